/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP for the agent's host unit tests: each test program prints
 * "ok N name" / "not ok N name" lines; tests/agent/run-unit numbers them
 * into one plan.  A failed check prints why as a "#" comment.
 */
#ifndef M2MGWD_TAP_H
#define M2MGWD_TAP_H

#include <stdio.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                       \
	({                                                                  \
		int _c = !!(cond);                                          \
		printf("%sok %d ", _c ? "" : "not ", ++tap_n);              \
		printf(__VA_ARGS__);                                        \
		printf("\n");                                               \
		if (!_c) {                                                  \
			tap_failed++;                                       \
			printf("#   failed: %s (%s:%d)\n", #cond, __FILE__, \
			       __LINE__);                                   \
		}                                                           \
		fflush(stdout);                                             \
		_c;                                                         \
	})

#define tap_done() (tap_failed ? 1 : 0)

#endif /* M2MGWD_TAP_H */
