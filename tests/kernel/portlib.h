/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the port, CAN and lifetime tests: generic netlink requests
 * that keep the kernel's errno and extack text, full parsing of port
 * messages (replies, dumps, events), CAN raw sockets and ring collection.
 * Header-only so each test program stays one file.
 */
#ifndef M2MGW_PORTLIB_H
#define M2MGW_PORTLIB_H

#include <poll.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <sys/syscall.h>

#include "m2mgw_ring.h"
#include "testlib.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Everything a port message (reply, dump entry or event) says. */
struct pl_port {
	uint8_t cmd;
	uint32_t id, type, state, ifindex;
	int enabled;
	char name[M2MGW_NAME_MAX];
	char ifname[IFNAMSIZ];
	int has_filters, nfilters;
	struct can_filter filters[M2MGW_MAX_FILTERS + 8];
	int nstats;
	uint64_t stats[M2MGW_STATS_A_MAX + 1];
	uint32_t drop_reason;
	uint64_t drop_count;
};

#define PL_MAX_MSGS 300

/* The outcome of one request. */
struct pl_call {
	int done;
	int err;       /* the kernel's negative errno, or 0 */
	char msg[256]; /* NLMSGERR_ATTR_MSG */
	int miss_type; /* NLMSGERR_ATTR_MISS_TYPE, or -1 */
	int n;	       /* port messages received */
	struct pl_port port[PL_MAX_MSGS];
	char version[64];
	uint32_t uapi;
};

struct pl {
	struct nl_sock *sk;
	int family;
	int events_grp;
};

static inline void pl_parse_port(struct nlattr **tb, struct pl_port *p)
{
	struct nlattr *st[M2MGW_STATS_A_MAX + 1], *a;
	int i, rem;

	if (tb[M2MGW_A_PORT_ID])
		p->id = nla_get_u32(tb[M2MGW_A_PORT_ID]);
	if (tb[M2MGW_A_PORT_TYPE])
		p->type = nla_get_u32(tb[M2MGW_A_PORT_TYPE]);
	if (tb[M2MGW_A_PORT_STATE])
		p->state = nla_get_u32(tb[M2MGW_A_PORT_STATE]);
	if (tb[M2MGW_A_IFINDEX])
		p->ifindex = nla_get_u32(tb[M2MGW_A_IFINDEX]);
	p->enabled = tb[M2MGW_A_PORT_ENABLED] ?
			     nla_get_u8(tb[M2MGW_A_PORT_ENABLED]) :
			     -1;
	if (tb[M2MGW_A_PORT_NAME])
		nla_strlcpy(p->name, tb[M2MGW_A_PORT_NAME], sizeof(p->name));
	if (tb[M2MGW_A_IFNAME])
		nla_strlcpy(p->ifname, tb[M2MGW_A_IFNAME], sizeof(p->ifname));
	if (tb[M2MGW_A_FILTERS]) {
		p->has_filters = 1;
		nla_for_each_nested(a, tb[M2MGW_A_FILTERS], rem) {
			if (p->nfilters >=
			    (int)(sizeof(p->filters) / sizeof(p->filters[0])))
				break;
			if (nla_type(a) == M2MGW_FILTER_A_CAN &&
			    nla_len(a) == sizeof(struct can_filter))
				memcpy(&p->filters[p->nfilters++], nla_data(a),
				       sizeof(struct can_filter));
		}
	}
	if (tb[M2MGW_A_STATS] &&
	    !nla_parse_nested(st, M2MGW_STATS_A_MAX, tb[M2MGW_A_STATS], NULL))
		for (i = M2MGW_STATS_A_RX_FRAMES; i <= M2MGW_STATS_A_MAX; i++)
			if (st[i] && nla_len(st[i]) == 8) {
				p->stats[i] = nla_get_u64(st[i]);
				p->nstats++;
			}
	if (tb[M2MGW_A_DROP_REASON])
		p->drop_reason = nla_get_u32(tb[M2MGW_A_DROP_REASON]);
	if (tb[M2MGW_A_DROP_COUNT])
		p->drop_count = nla_get_u64(tb[M2MGW_A_DROP_COUNT]);
}

static inline int pl_on_valid(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[M2MGW_A_MAX + 1];
	struct pl_call *c = arg;
	struct pl_port *p;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, M2MGW_A_MAX, NULL))
		return NL_SKIP;
	if (tb[M2MGW_A_INFO_VERSION])
		nla_strlcpy(c->version, tb[M2MGW_A_INFO_VERSION],
			    sizeof(c->version));
	if (tb[M2MGW_A_INFO_UAPI_VERSION])
		c->uapi = nla_get_u32(tb[M2MGW_A_INFO_UAPI_VERSION]);
	if (!tb[M2MGW_A_PORT_ID] || c->n >= PL_MAX_MSGS)
		return NL_OK;
	p = &c->port[c->n++];
	memset(p, 0, sizeof(*p));
	p->cmd = gh->cmd;
	pl_parse_port(tb, p);
	return NL_OK;
}

static inline int pl_on_err(struct sockaddr_nl *nla, struct nlmsgerr *e,
			    void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct pl_call *c = arg;
	size_t off = sizeof(*e);
	int len;

	(void)nla;
	c->err = e->error;
	c->done = 1;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)off;
	if (len <= 0 ||
	    nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off),
		      len, NULL) < 0)
		return NL_STOP;
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(c->msg, tb[NLMSGERR_ATTR_MSG], sizeof(c->msg));
	if (tb[NLMSGERR_ATTR_MISS_TYPE])
		c->miss_type = (int)nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
	return NL_STOP;
}

static inline int pl_on_done(struct nl_msg *msg, void *arg)
{
	(void)msg;
	((struct pl_call *)arg)->done = 1;
	return NL_STOP;
}

static inline int pl_open(struct pl *nl)
{
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->sk = nl_socket_alloc();
	if (!nl->sk || genl_connect(nl->sk))
		return -ENOTCONN;
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one,
		   sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one,
		   sizeof(one));
	nl->family = genl_ctrl_resolve(nl->sk, M2MGW_GENL_NAME);
	return nl->family < 0 ? -ENOENT : 0;
}

static inline void pl_close(struct pl *nl)
{
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

static inline struct nl_msg *pl_msg(struct pl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
		    NLM_F_REQUEST | NLM_F_ACK | flags, cmd, M2MGW_GENL_VERSION);
	return msg;
}

/* Send @msg (freed), collect replies until the ACK, error or DONE. */
static inline int pl_call(struct pl *nl, struct nl_msg *msg, struct pl_call *c)
{
	int err;

	memset(c, 0, offsetof(struct pl_call, port));
	c->miss_type = -1;
	c->version[0] = 0;
	c->uapi = 0;
	nl_socket_modify_cb(nl->sk, NL_CB_VALID, NL_CB_CUSTOM, pl_on_valid, c);
	nl_socket_modify_cb(nl->sk, NL_CB_ACK, NL_CB_CUSTOM, pl_on_done, c);
	nl_socket_modify_cb(nl->sk, NL_CB_FINISH, NL_CB_CUSTOM, pl_on_done, c);
	nl_socket_modify_err_cb(nl->sk, NL_CB_CUSTOM, pl_on_err, c);
	err = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (err < 0)
		return c->err = -EIO;
	while (!c->done) {
		err = nl_recvmsgs_default(nl->sk);
		if (err < 0 && !c->done)
			return c->err ? c->err : (c->err = -EIO);
	}
	return c->err;
}

static inline struct pl_call *pl_call_new(void)
{
	return calloc(1, sizeof(struct pl_call));
}

/* PORT_NEW for a CAN port; @nf filters (-1: no M2MGW_A_FILTERS). */
static inline int pl_add_can(struct pl *nl, struct pl_call *c,
			     const char *ifname, const char *name,
			     const struct can_filter *f, int nf)
{
	struct nl_msg *msg = pl_msg(nl, M2MGW_CMD_PORT_NEW, 0);
	struct nlattr *nest;
	int i;

	nla_put_u32(msg, M2MGW_A_PORT_TYPE, M2MGW_PORT_CAN);
	if (ifname)
		nla_put_string(msg, M2MGW_A_IFNAME, ifname);
	if (name)
		nla_put_string(msg, M2MGW_A_PORT_NAME, name);
	if (nf >= 0) {
		nest = nla_nest_start(msg, M2MGW_A_FILTERS);
		for (i = 0; i < nf; i++)
			nla_put(msg, M2MGW_FILTER_A_CAN, sizeof(f[i]), &f[i]);
		nla_nest_end_keep_empty(msg, nest);
	}
	return pl_call(nl, msg, c);
}

/* Create a CAN port and return its id (0 on failure). */
static inline uint32_t pl_port(struct pl *nl, const char *ifname,
			       const char *name)
{
	struct pl_call *c = pl_call_new();
	uint32_t id = 0;

	if (!pl_add_can(nl, c, ifname, name, NULL, -1) && c->n == 1)
		id = c->port[0].id;
	free(c);
	return id;
}

static inline int pl_get(struct pl *nl, uint32_t id, struct pl_port *out)
{
	struct nl_msg *msg = pl_msg(nl, M2MGW_CMD_PORT_GET, 0);
	struct pl_call *c = pl_call_new();
	int err;

	nla_put_u32(msg, M2MGW_A_PORT_ID, id);
	err = pl_call(nl, msg, c);
	if (!err && c->n != 1)
		err = -EPROTO;
	if (!err)
		*out = c->port[0];
	free(c);
	return err;
}

static inline int pl_del(struct pl *nl, uint32_t id)
{
	struct nl_msg *msg = pl_msg(nl, M2MGW_CMD_PORT_DEL, 0);
	struct pl_call *c = pl_call_new();
	int err;

	nla_put_u32(msg, M2MGW_A_PORT_ID, id);
	err = pl_call(nl, msg, c);
	free(c);
	return err;
}

/* PORT_SET: @nf filters (-1: leave them), @enabled (-1: leave it). */
static inline int pl_set(struct pl *nl, struct pl_call *c, uint32_t id,
			 const struct can_filter *f, int nf, int enabled)
{
	struct nl_msg *msg = pl_msg(nl, M2MGW_CMD_PORT_SET, 0);
	struct nlattr *nest;
	int i;

	nla_put_u32(msg, M2MGW_A_PORT_ID, id);
	if (nf >= 0) {
		nest = nla_nest_start(msg, M2MGW_A_FILTERS);
		for (i = 0; i < nf; i++)
			nla_put(msg, M2MGW_FILTER_A_CAN, sizeof(f[i]), &f[i]);
		nla_nest_end_keep_empty(msg, nest);
	}
	if (enabled >= 0)
		nla_put_u8(msg, M2MGW_A_PORT_ENABLED, (uint8_t)enabled);
	return pl_call(nl, msg, c);
}

static inline int pl_set_simple(struct pl *nl, uint32_t id,
				const struct can_filter *f, int nf, int enabled)
{
	struct pl_call *c = pl_call_new();
	int err = pl_set(nl, c, id, f, nf, enabled);

	free(c);
	return err;
}

/* A socket on the "events" group; non-blocking, no sequence checks. */
static inline int pl_events_open(struct pl *nl)
{
	int grp, err = pl_open(nl);

	if (err)
		return err;
	grp = genl_ctrl_resolve_grp(nl->sk, M2MGW_GENL_NAME,
				    M2MGW_GENL_MCGRP_EVENTS);
	if (grp < 0)
		return -ENOENT;
	nl->events_grp = grp;
	nl_socket_disable_seq_check(nl->sk);
	if (nl_socket_add_membership(nl->sk, grp))
		return -EIO;
	nl_socket_set_nonblocking(nl->sk);
	return 0;
}

/*
 * Wait up to @ms for an event @cmd about port @id (and, if @state >= 0,
 * with that state).  Events are taken in order; others are skipped.
 * 0 and *@out filled, or -ETIMEDOUT.
 */
static inline int pl_event_wait(struct pl *nl, uint8_t cmd, uint32_t id,
				int state, int ms, struct pl_port *out)
{
	static struct pl_call c;
	uint64_t end = tl_now_ns() + (uint64_t)ms * 1000000ull;
	struct pollfd pfd = { .fd = nl_socket_get_fd(nl->sk),
			      .events = POLLIN };
	int i;

	nl_socket_modify_cb(nl->sk, NL_CB_VALID, NL_CB_CUSTOM, pl_on_valid, &c);
	for (;;) {
		c.n = 0;
		while (nl_recvmsgs_default(nl->sk) >= 0 && c.n < PL_MAX_MSGS)
			;
		for (i = 0; i < c.n; i++) {
			if (c.port[i].cmd != cmd || c.port[i].id != id ||
			    (state >= 0 && c.port[i].state != (uint32_t)state))
				continue;
			if (out)
				*out = c.port[i];
			return 0;
		}
		if (tl_now_ns() >= end)
			return -ETIMEDOUT;
		poll(&pfd, 1, 50);
	}
}

/* Drop CAP_NET_ADMIN from every capability set of this process. */
static inline int pl_drop_net_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	int i;

	if (syscall(SYS_capget, &h, d))
		return -errno;
	i = CAP_NET_ADMIN / 32;
	d[i].effective &= ~(1u << (CAP_NET_ADMIN % 32));
	d[i].permitted &= ~(1u << (CAP_NET_ADMIN % 32));
	d[i].inheritable &= ~(1u << (CAP_NET_ADMIN % 32));
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/* Send one classic (len <= 8) or FD frame on a raw socket. */
static inline int pl_send(int s, canid_t id, const void *data, int len, int fd)
{
	struct canfd_frame f;

	memset(&f, 0, sizeof(f));
	f.can_id = id;
	f.len = (uint8_t)len;
	memcpy(f.data, data, (size_t)len);
	return write(s, &f, fd ? CANFD_MTU : CAN_MTU) ==
			       (fd ? CANFD_MTU : CAN_MTU) ?
		       0 :
		       -errno;
}

/* Read one frame from a raw socket within @ms; its size or -errno. */
static inline int pl_recv(int s, struct canfd_frame *f, int ms)
{
	struct pollfd pfd = { .fd = s, .events = POLLIN };
	ssize_t r;

	if (poll(&pfd, 1, ms) != 1)
		return -ETIMEDOUT;
	r = read(s, f, sizeof(*f));
	return r < 0 ? -errno : (int)r;
}

/* Records collected from a ring. */
struct pl_rec {
	uint32_t port_id;
	uint16_t type, flags;
	uint64_t tstamp_ns, seq;
	uint32_t plen;
	union {
		struct canfd_frame fd;
		uint8_t raw[2048 + 16];
	};
};

struct pl_collect {
	int n, cap;
	struct pl_rec *recs;
};

static inline int pl_collect_cb(void *ctx, const struct m2mgw_rec *rec)
{
	struct pl_collect *c = ctx;
	struct pl_rec *p;
	uint32_t plen = m2mgw_rec_payload_len(rec);

	if (c->n >= c->cap)
		return 0;
	p = &c->recs[c->n++];
	memset(p, 0, sizeof(*p));
	p->port_id = rec->port_id;
	p->type = rec->type;
	p->flags = rec->flags;
	p->tstamp_ns = rec->tstamp_ns;
	p->seq = rec->seq;
	p->plen = plen;
	memcpy(p->raw, rec->data,
	       plen < sizeof(p->raw) ? plen : sizeof(p->raw));
	return 0;
}

/*
 * Consume what arrives in @r until @ms pass without a new record;
 * append to @c.  Returns how many were added.
 */
static inline int pl_drain(struct m2mgw_ring *r, struct pl_collect *c, int ms)
{
	int before = c->n;

	for (;;) {
		if (m2mgw_ring_consume(r, pl_collect_cb, c, 0) > 0)
			continue;
		if (m2mgw_ring_wait(r, ms) <= 0 && !m2mgw_ring_peek(r))
			break;
	}
	return c->n - before;
}

static inline void pl_collect_init(struct pl_collect *c, int cap)
{
	c->n = 0;
	c->cap = cap;
	c->recs = calloc((size_t)cap, sizeof(*c->recs));
}

/* write() one TX record for @port; returns write()'s result or -errno. */
static inline ssize_t pl_write_rec(int fd, uint32_t port, uint16_t type,
				   const void *payload, uint32_t len)
{
	uint8_t buf[4096];
	size_t n = m2mgw_rec_build(buf, sizeof(buf), port, type, payload, len);
	ssize_t r;

	if (!n)
		return -EMSGSIZE;
	r = write(fd, buf, n);
	return r < 0 ? -errno : r;
}

#endif /* M2MGW_PORTLIB_H */
