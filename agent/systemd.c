// SPDX-License-Identifier: GPL-2.0
/*
 * systemd notifications without libsystemd: one datagram per state
 * change on the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or an
 * abstract name when it starts with '@').  See systemd.h for why.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "systemd.h"

/* The watchdog pings every tick: a broken socket is said once, not on
 * every tick (libsystemd's sd_notify() said nothing at all). */
static void notify_failed(const char *state, const char *why)
{
	static bool warned;

	if (warned)
		return;
	warned = true;
	log_warn("notify systemd (%s): %s; not repeated", state, why);
}

void systemd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len;
	size_t n;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@'))
		return;
	n = strlen(path);
	if (n >= sizeof(sun.sun_path)) {
		notify_failed(state, "NOTIFY_SOCKET too long");
		return;
	}
	memcpy(sun.sun_path, path, n);
	if (path[0] == '@')
		sun.sun_path[0] = '\0'; /* abstract namespace, no NUL at end */
	else
		n++; /* a path includes its terminating NUL */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);

	/* A socket per message: rare (start, reload, watchdog), never kept
	 * across a fork, and no state to restore after errors. */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		notify_failed(state, strerror(errno));
		return;
	}
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		   (struct sockaddr *)&sun, len) < 0)
		notify_failed(state, strerror(errno));
	close(fd);
}

uint64_t systemd_watchdog_usec(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	unsigned long long v;
	char *end;

	if (!usec)
		return 0;
	/* Set for our parent's main process only: not ours to feed. */
	if (pid && strtol(pid, NULL, 10) != getpid())
		return 0;
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno || end == usec || *end || !v)
		return 0;
	return v;
}
