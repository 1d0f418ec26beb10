// SPDX-License-Identifier: GPL-2.0
/* m2mctl monitor: the "events" multicast group, one line per event. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "m2mctl.h"
#include "output.h"
#include "parse.h"

const char help_monitor[] =
	"Usage: m2mctl [-j] monitor [-n COUNT]\n"
	"Print port events (new, del, state, drop) until interrupted, or\n"
	"until COUNT events were printed.\n";

static const char cmd[] = "monitor";
static volatile sig_atomic_t stop;

struct mon {
	uint32_t left; /* 0: no limit */
};

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *event_name(uint8_t c)
{
	switch (c) {
	case M2MGW_CMD_PORT_NEW:
		return "new";
	case M2MGW_CMD_PORT_DEL:
		return "del";
	case M2MGW_CMD_PORT_STATE:
		return "state";
	case M2MGW_CMD_DROP:
		return "drop";
	default:
		return "unknown";
	}
}

static int on_event(void *ctx, uint8_t c, const struct m2mgw_port *p)
{
	struct mon *m = ctx;

	out_obj_begin(NULL);
	out_str("event", "%s", event_name(c));
	if (c == M2MGW_CMD_DROP) {
		out_u64("id", " port %llu", p->id);
		out_str("name", " %s", p->name);
		out_str("reason", " %s",
			m2mgw_drop_reason_name(p->drop_reason));
		out_u64("count", " %llu", p->drop_count);
		out_text("\n");
	} else {
		out_text(" ");
		out_obj_begin("port");
		out_u64("id", "%llu:", p->id);
		out_str("name", " %s:", p->name);
		out_str("type", " %s", m2mgw_port_type_name(p->type));
		if (M2MGW_PORT_HAS(p, M2MGW_A_IFNAME))
			out_str("ifname", " %s", p->ifname);
		if (M2MGW_PORT_HAS(p, M2MGW_A_TTY))
			out_str("tty", " %s", p->tty);
		out_str("state", " state %s", m2mgw_port_state_name(p->state));
		out_bool("enabled", " enabled %s", p->enabled);
		out_obj_end();
		out_text("\n");
	}
	out_obj_end();
	fflush(stdout);
	if (m->left && !--m->left)
		stop = 1;
	return stop;
}

int cmd_monitor(int argc, char **argv)
{
	struct mon m = { 0 };
	struct sigaction sa;
	struct m2mgw_genl g;
	struct pollfd pfd;
	int err;

	if (argc == 3 && !strcmp(argv[1], "-n")) {
		if (parse_u32(argv[2], 1, UINT32_MAX, &m.left))
			return usage_error(
				cmd, "COUNT '%s' is not a positive number",
				argv[2]);
	} else if (argc != 1) {
		return usage_error(cmd, "unexpected argument '%s'", argv[1]);
	}
	if ((err = nl_open(&g)))
		return err;
	err = m2mgw_genl_subscribe(&g, on_event, &m);
	if (err) {
		err = kernel_error(&g, "cannot join the events group", err);
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pfd.fd = m2mgw_genl_fd(&g);
	pfd.events = POLLIN;
	while (!stop) {
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			err = kernel_error(NULL, cmd, -errno);
			goto out;
		}
		err = m2mgw_genl_recv_events(&g, true);
		if (err == -ENOBUFS) {
			/* Keep going, but say so: lines are missing here. */
			fprintf(stderr,
				"%s: %s: events lost (receive buffer overrun)\n",
				prog, cmd);
			continue;
		}
		if (err) {
			err = kernel_error(&g, cmd, err);
			goto out;
		}
	}
	err = EXIT_OK;
out:
	m2mgw_genl_close(&g);
	return err;
}
