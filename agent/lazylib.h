/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Libraries loaded on first use.  libcurl (the HTTP output) and
 * libmicrohttpd (the metrics endpoint) are not linked into m2mgwd: on
 * Debian they pull in 33 and 13 shared objects (two TLS stacks, Kerberos,
 * LDAP, SSH, ...), and merely loading and relocating those took 4 MiB of
 * m2mgwd's RSS (bench/agent/replay.conf: 8.9 -> 4.9 MiB), also
 * in a daemon configured to use neither.  They are dlopen()ed by soname
 * when a configuration first needs them, and never closed (TLS libraries
 * do not support being unloaded).
 *
 * Call them through the tables below: libcurl.easy_init() for
 * curl_easy_init(), libmhd.start_daemon() for MHD_start_daemon().  The
 * pointer types come from the libraries' own headers, so every call is
 * checked against the real prototype (curl's *_setopt/getinfo are
 * variadic: their value type is, as with curl itself, the caller's job).
 */
#ifndef M2MGWD_LAZYLIB_H
#define M2MGWD_LAZYLIB_H

#include <stddef.h>
#include <curl/curl.h>
#include <microhttpd.h>

/* The ABI the headers describe; a new soname means a new ABI. */
#define LIBCURL_SONAME "libcurl.so.4"
#define LIBMHD_SONAME  "libmicrohttpd.so.12"

/* The functions m2mgwd calls, without their curl_ / MHD_ prefix. */
/* clang-format off */
#define LIBCURL_FNS(X)							\
	X(global_init) X(global_cleanup) X(free)			\
	X(easy_init) X(easy_cleanup) X(easy_reset)			\
	X(easy_setopt) X(easy_getinfo) X(easy_strerror)			\
	X(slist_append) X(slist_free_all)				\
	X(multi_init) X(multi_cleanup) X(multi_setopt)			\
	X(multi_add_handle) X(multi_remove_handle)			\
	X(multi_socket_action) X(multi_assign)				\
	X(multi_info_read) X(multi_strerror)				\
	X(url) X(url_cleanup) X(url_set) X(url_get) X(url_strerror)

#define LIBMHD_FNS(X)							\
	X(start_daemon) X(stop_daemon) X(get_daemon_info)		\
	X(run) X(get_timeout)						\
	X(create_response_from_buffer) X(add_response_header)		\
	X(queue_response) X(destroy_response)
/* clang-format on */

#define LAZYLIB_PTR(prefix, fn) __typeof__(prefix##fn) *fn;
#define LIBCURL_PTR(fn)		LAZYLIB_PTR(curl_, fn)
#define LIBMHD_PTR(fn)		LAZYLIB_PTR(MHD_, fn)

struct libcurl_fns {
	LIBCURL_FNS(LIBCURL_PTR)
};

struct libmhd_fns {
	LIBMHD_FNS(LIBMHD_PTR)
};

/* Valid after a successful libcurl_load() / libmhd_load(). */
extern struct libcurl_fns libcurl;
extern struct libmhd_fns libmhd;

/*
 * Load the library and resolve its table, once; later calls return at
 * once.  0, or -1 with dlerror()'s reason in @err.
 */
int libcurl_load(char *err, size_t n);
int libmhd_load(char *err, size_t n);

#endif
