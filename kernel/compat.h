/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel version differences, all of them, in one place; force-included
 * into every file of the module by Kbuild.
 */
#ifndef _M2MGW_COMPAT_H
#define _M2MGW_COMPAT_H

#include <linux/mm.h>

/*
 * Header probes, done by Kbuild against the headers being built with:
 * M2MGW_HAVE_VM_FLAGS_CLEAR - 6.3 made vma->vm_flags read-only behind
 * accessors.
 */
#ifdef M2MGW_HAVE_VM_FLAGS_CLEAR
static inline void m2mgw_vm_flags_clear(struct vm_area_struct *vma,
					unsigned long flags)
{
	vm_flags_clear(vma, flags);
}
#else
static inline void m2mgw_vm_flags_clear(struct vm_area_struct *vma,
					unsigned long flags)
{
	vma->vm_flags &= ~flags;
}
#endif

#endif /* _M2MGW_COMPAT_H */
