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

/* --- serial (line discipline) block, owned by serial.c ------------- */
/*
 * M2MGW_HAVE_LDISC_U8_FLAGS (Kbuild probe): 6.6 made
 * tty_ldisc_ops::receive_buf() take u8 flags and a size_t count (6.1:
 * const char *fp, int count); the data pointer is u8 in both.
 */
#ifdef M2MGW_HAVE_LDISC_U8_FLAGS
#define M2MGW_TTY_FLAG	u8
#define M2MGW_TTY_COUNT size_t
#else
#define M2MGW_TTY_FLAG	char
#define M2MGW_TTY_COUNT int
#endif
/* --- end of serial block -------------------------------------------- */

#endif /* _M2MGW_COMPAT_H */
