// SPDX-License-Identifier: GPL-2.0
/*
 * m2mctl dump: frames from a ring of /dev/m2mgw, read through the shared
 * consumer library (lib/m2mgw_ring.h), printed candump-style, as JSON
 * lines, or as a candump log (-L) that canplayer can replay.
 */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "m2mctl.h"
#include "m2mgw_ring.h"
#include "output.h"
#include "parse.h"

const char help_dump[] =
	"Usage: m2mctl [-j] dump [PORT...] [-n COUNT] [-L]\n"
	"Print frames captured on the given ports (default: all) until\n"
	"interrupted or COUNT frames were printed.  -L writes candump's log\n"
	"format '(sec.usec) IFNAME ID#DATA' (ID##FDATA for CAN FD), with the\n"
	"port's network device as IFNAME, so canplayer can replay it.\n";

static const char cmd[] = "dump";
static volatile sig_atomic_t stop;

#define DUMP_RING_SIZE (1U << 20)
#define DUMP_MAX_PORTS 64

struct dump {
	struct m2mgw_genl *g;
	bool log;
	uint32_t left;
	unsigned int n_ports;
	struct m2mgw_port ports[DUMP_MAX_PORTS]; /* id -> names cache */
};

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const struct m2mgw_port *port_of(struct dump *d, uint32_t id)
{
	static struct m2mgw_port unknown;
	unsigned int i;

	for (i = 0; i < d->n_ports; i++)
		if (d->ports[i].id == id)
			return &d->ports[i];
	/* A port created after we started: ask once and remember. */
	if (d->n_ports < DUMP_MAX_PORTS &&
	    !m2mgw_genl_port_get(d->g, id, NULL, &d->ports[d->n_ports]))
		return &d->ports[d->n_ports++];
	snprintf(unknown.name, sizeof(unknown.name), "port%u", id);
	snprintf(unknown.ifname, sizeof(unknown.ifname), "port%u", id);
	unknown.id = id;
	return &unknown;
}

static void hex(const uint8_t *b, size_t n, char *out, size_t cap, bool sp)
{
	size_t i, off = 0;

	out[0] = '\0';
	for (i = 0; i < n && off + 4 <= cap; i++)
		off += (size_t)snprintf(out + off, cap - off, "%s%02X",
					sp && i ? " " : "", b[i]);
}

static void print_can(const struct canfd_frame *cf, bool fd, bool err)
{
	char id[16], data[CANFD_MAX_DLEN * 3 + 1];

	if (cf->can_id & CAN_EFF_FLAG)
		snprintf(id, sizeof(id), "%08X", cf->can_id & CAN_EFF_MASK);
	else
		snprintf(id, sizeof(id), "%03X", cf->can_id & CAN_SFF_MASK);
	out_str("id", "  %s", id);
	out_bool("extended", NULL, cf->can_id & CAN_EFF_FLAG);
	if (err)
		out_bool("error", NULL, true);
	if (fd) {
		out_u64("fd_flags", NULL, cf->flags);
		out_u64("len", "  [%02llu]", cf->len);
	} else {
		out_u64("len", "   [%llu]", cf->len);
	}
	if (cf->can_id & CAN_RTR_FLAG) {
		out_bool("rtr", NULL, true);
		out_text("  remote request");
		return;
	}
	hex(cf->data, cf->len, data, sizeof(data), true);
	out_str("data", "  %s", data);
}

static void print_serial(const uint8_t *b, size_t n)
{
	static char h[M2MGW_SERIAL_MAXLEN * 3 + 1], t[M2MGW_SERIAL_MAXLEN + 1];
	size_t i;

	hex(b, n, h, sizeof(h), true);
	for (i = 0; i < n && i < M2MGW_SERIAL_MAXLEN; i++)
		t[i] = isprint(b[i]) ? (char)b[i] : '.';
	t[i] = '\0';
	out_u64("len", "  [%llu]", n);
	out_str("data", "  %s", h);
	out_str("text", "  '%s'", t);
}

static void print_log(const struct m2mgw_rec *rec, const struct m2mgw_port *p,
		      const char *ts)
{
	char buf[256];
	struct canfd_frame cf;

	/* Only classic and FD frames have a candump log form. */
	if (rec->type != M2MGW_REC_CAN && rec->type != M2MGW_REC_CANFD)
		return;
	memset(&cf, 0, sizeof(cf));
	memcpy(&cf, rec->data,
	       rec->type == M2MGW_REC_CAN ? sizeof(struct can_frame) :
					    sizeof(struct canfd_frame));
	format_can_log(&cf, rec->type == M2MGW_REC_CANFD, buf, sizeof(buf));
	printf("(%s) %s %s\n", ts, p->ifname[0] ? p->ifname : p->name, buf);
}

static int on_rec(void *ctx, const struct m2mgw_rec *rec)
{
	const uint32_t plen = m2mgw_rec_payload_len(rec);
	struct dump *d = ctx;
	const struct m2mgw_port *p = port_of(d, rec->port_id);
	struct canfd_frame cf;
	char ts[32];

	snprintf(ts, sizeof(ts), "%llu.%06llu",
		 (unsigned long long)(rec->tstamp_ns / 1000000000ULL),
		 (unsigned long long)(rec->tstamp_ns % 1000000000ULL / 1000));
	if (d->log) {
		print_log(rec, p, ts);
	} else {
		out_obj_begin(NULL);
		out_str("time", "(%s)", ts);
		out_str("port", "  %s", p->name);
		out_u64("port_id", NULL, rec->port_id);
		out_u64("seq", NULL, rec->seq);
		switch (rec->type) {
		case M2MGW_REC_CAN:
		case M2MGW_REC_CANFD:
			memset(&cf, 0, sizeof(cf));
			memcpy(&cf, rec->data,
			       plen < sizeof(cf) ? plen : sizeof(cf));
			out_str("type", NULL,
				rec->type == M2MGW_REC_CAN ? "can" : "canfd");
			print_can(&cf, rec->type == M2MGW_REC_CANFD,
				  rec->flags & M2MGW_RECF_ERR_FRAME);
			break;
		case M2MGW_REC_SERIAL:
			out_str("type", NULL, "serial");
			print_serial(rec->data, plen);
			break;
		default:
			/* CAN XL and future types: the raw payload. */
			out_str("type", "  type",
				rec->type == M2MGW_REC_CANXL ? "canxl" :
							       "unknown");
			print_serial(rec->data, plen);
			break;
		}
		out_text("\n");
		out_obj_end();
	}
	if (d->left && !--d->left)
		stop = 1;
	return 0;
}

static int add_port(void *ctx, const struct m2mgw_port *p)
{
	struct dump *d = ctx;

	if (d->n_ports < DUMP_MAX_PORTS)
		d->ports[d->n_ports++] = *p;
	return 0;
}

static int parse_args(struct dump *d, int argc, char **argv, int *first)
{
	int i, n = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n")) {
			if (++i == argc ||
			    parse_u32(argv[i], 1, UINT32_MAX, &d->left))
				return usage_error(cmd,
						   "-n needs a positive COUNT");
		} else if (!strcmp(argv[i], "-L")) {
			d->log = true;
		} else if (argv[i][0] == '-') {
			return usage_error(cmd, "unknown option '%s'", argv[i]);
		} else {
			if (!n++)
				*first = i;
			if (n > DUMP_MAX_PORTS)
				return usage_error(cmd, "more than %d ports",
						   DUMP_MAX_PORTS);
		}
	}
	if (d->log && opts.json)
		return usage_error(cmd, "-L and -j do not mix");
	return 0;
}

int cmd_dump(int argc, char **argv)
{
	struct dump d = { 0 };
	struct m2mgw_ring r = { .fd = -1 };
	struct sigaction sa;
	struct m2mgw_genl g;
	int i, first = 0, err;

	if ((err = parse_args(&d, argc, argv, &first)))
		return err;
	if ((err = nl_open(&g)))
		return err;
	d.g = &g;
	/* Resolve every port before opening the ring: unknown ones are usage errors. */
	for (i = first; first && i < argc; i++) {
		if (!strcmp(argv[i], "-n")) {
			i++;
			continue;
		}
		if (argv[i][0] == '-')
			continue;
		if ((err = nl_port_lookup(&g, cmd, argv[i],
					  &d.ports[d.n_ports])))
			goto out;
		d.n_ports++;
	}
	if (!d.n_ports && m2mgw_genl_port_dump(&g, add_port, &d) < 0)
		d.n_ports = 0; /* names are looked up per frame instead */

	err = m2mgw_ring_open(&r, NULL, DUMP_RING_SIZE);
	if (err) {
		err = kernel_error(NULL, "cannot open " M2MGW_DEV_PATH, err);
		goto out;
	}
	if (!first) {
		err = m2mgw_ring_subscribe(&r, M2MGW_PORT_ALL);
	} else {
		for (i = 0, err = 0; i < (int)d.n_ports && !err; i++)
			err = m2mgw_ring_subscribe(&r, d.ports[i].id);
	}
	if (err) {
		err = kernel_error(NULL, "cannot subscribe", err);
		goto out_ring;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop) {
		/* Short waits: the library's poll() restarts after signals. */
		err = m2mgw_ring_wait(&r, 200);
		if (err < 0) {
			err = kernel_error(NULL, cmd, err);
			goto out_ring;
		}
		m2mgw_ring_consume(&r, on_rec, &d, d.left);
		fflush(stdout);
	}
	err = EXIT_OK;
	if (m2mgw_ring_dropped(&r))
		fprintf(stderr, "%s: %s: %llu frames lost (ring full)\n", prog,
			cmd, (unsigned long long)m2mgw_ring_dropped(&r));
out_ring:
	m2mgw_ring_close(&r);
out:
	m2mgw_genl_close(&g);
	return err;
}
