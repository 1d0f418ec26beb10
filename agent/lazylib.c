// SPDX-License-Identifier: GPL-2.0
/*
 * dlopen() of the libraries m2mgwd needs only for some configurations;
 * see lazylib.h for which and why.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>

#include "lazylib.h"

struct libcurl_fns libcurl;
struct libmhd_fns libmhd;

/*
 * RTLD_NOW: an incompatible library fails here, at configuration time,
 * not in the middle of a transfer.  RTLD_LOCAL: its symbols stay out of
 * the global scope, as if it had never been loaded for everyone else.
 */
static void *open_lib(const char *soname, char *err, size_t n)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!h)
		snprintf(err, n, "%s", dlerror());
	return h;
}

/* Casting dlsym()'s void * to a function pointer is what POSIX asks of
 * every dlsym() user. */
#define RESOLVE(tab, prefix, fn)                                    \
	do {                                                        \
		tab.fn = (__typeof__(tab.fn))dlsym(h, #prefix #fn); \
		if (!tab.fn)                                        \
			goto err_sym;                               \
	} while (0);
#define RESOLVE_CURL(fn) RESOLVE(libcurl, curl_, fn)
#define RESOLVE_MHD(fn)	 RESOLVE(libmhd, MHD_, fn)

int libcurl_load(char *err, size_t n)
{
	static bool loaded;
	void *h;

	if (loaded)
		return 0;
	h = open_lib(LIBCURL_SONAME, err, n);
	if (!h)
		return -1;
	LIBCURL_FNS(RESOLVE_CURL)
	loaded = true;
	return 0;
err_sym:
	snprintf(err, n, "%s", dlerror());
	dlclose(h);
	return -1;
}

int libmhd_load(char *err, size_t n)
{
	static bool loaded;
	void *h;

	if (loaded)
		return 0;
	h = open_lib(LIBMHD_SONAME, err, n);
	if (!h)
		return -1;
	LIBMHD_FNS(RESOLVE_MHD)
	loaded = true;
	return 0;
err_sym:
	snprintf(err, n, "%s", dlerror());
	dlclose(h);
	return -1;
}
