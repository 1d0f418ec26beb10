/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The two pieces of systemd's service protocol m2mgwd uses: readiness /
 * watchdog notifications and the watchdog interval.  Both are documented
 * as a stable interface (sd_notify(3), "NOTIFY_SOCKET" and
 * "WATCHDOG_USEC" in systemd.exec(5)); speaking them here instead of
 * linking libsystemd keeps libsystemd and its compression and crypto
 * libraries (about 1 MiB of RSS) out of the daemon.
 */
#ifndef M2MGWD_SYSTEMD_H
#define M2MGWD_SYSTEMD_H

#include <stdint.h>

/* Send @state ("READY=1", ...) to $NOTIFY_SOCKET; quiet no-op without it. */
void systemd_notify(const char *state);
/* The watchdog interval systemd expects us to ping within, 0 if none. */
uint64_t systemd_watchdog_usec(void);

#endif
