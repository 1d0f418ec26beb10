// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The m2mgw generic netlink client (see m2mgw_genl.h).  libnl does the
 * framing and attribute work; this file only knows the m2mgw family.
 *
 * libnl 3.7 turns a kernel error into its own error code and drops the
 * extack TLVs, so a custom error callback keeps the errno and the
 * NLMSGERR_ATTR_MSG text (the kernel's explanation) for the caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "m2mgw_genl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Replies and events are checked against this before they are read. */
static struct nla_policy port_policy[M2MGW_A_MAX + 1] = {
	[M2MGW_A_PORT_ID] = { .type = NLA_U32 },
	[M2MGW_A_PORT_NAME] = { .type = NLA_STRING },
	[M2MGW_A_PORT_TYPE] = { .type = NLA_U32 },
	[M2MGW_A_PORT_STATE] = { .type = NLA_U32 },
	[M2MGW_A_PORT_ENABLED] = { .type = NLA_U8 },
	[M2MGW_A_IFNAME] = { .type = NLA_STRING },
	[M2MGW_A_IFINDEX] = { .type = NLA_U32 },
	[M2MGW_A_FILTERS] = { .type = NLA_NESTED },
	[M2MGW_A_STATS] = { .type = NLA_NESTED },
	[M2MGW_A_TTY] = { .type = NLA_STRING },
	[M2MGW_A_SERIAL_BAUD] = { .type = NLA_U32 },
	[M2MGW_A_SERIAL_DATA_BITS] = { .type = NLA_U8 },
	[M2MGW_A_SERIAL_PARITY] = { .type = NLA_U8 },
	[M2MGW_A_SERIAL_STOP_BITS] = { .type = NLA_U8 },
	[M2MGW_A_SERIAL_FRAMING] = { .type = NLA_U32 },
	[M2MGW_A_SERIAL_FRAMING_ARG] = { .type = NLA_U32 },
	[M2MGW_A_SERIAL_MAXLEN] = { .type = NLA_U32 },
	[M2MGW_A_DROP_REASON] = { .type = NLA_U32 },
	[M2MGW_A_DROP_COUNT] = { .type = NLA_U64 },
	[M2MGW_A_INFO_VERSION] = { .type = NLA_STRING },
	[M2MGW_A_INFO_UAPI_VERSION] = { .type = NLA_U32 },
};

/* State of one request: done when the ACK, DONE or error arrived. */
struct xfer {
	struct m2mgw_genl *g;
	int (*parse)(struct xfer *x, struct nlattr **tb, uint8_t cmd);
	void *out;
	m2mgw_port_cb cb;
	void *ctx;
	int count;
	int err;
	int done;
	int stop;
};

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct xfer *x = arg;
	size_t off = sizeof(*e);
	int len;

	(void)nla;
	x->err = e->error;
	x->done = 1;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	/* The TLVs follow the echoed request unless it was capped. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)off;
	if (len <= 0)
		return NL_STOP;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off),
		      len, NULL) < 0)
		return NL_STOP;
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(x->g->errmsg, tb[NLMSGERR_ATTR_MSG],
			    sizeof(x->g->errmsg));
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct xfer *x = arg;

	(void)msg;
	x->done = 1;
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[M2MGW_A_MAX + 1];
	struct xfer *x = arg;
	int err;

	if (!x->parse || x->err)
		return NL_SKIP;
	err = genlmsg_parse(nlmsg_hdr(msg), 0, tb, M2MGW_A_MAX, port_policy);
	if (err < 0) {
		x->err = -EBADMSG;
		return NL_SKIP;
	}
	err = x->parse(x, tb, gh->cmd);
	if (err < 0)
		x->err = err;
	return NL_SKIP;
}

/* Send @msg (consumed) and read until its ACK, DONE or error. */
static int transact(struct m2mgw_genl *g, struct nl_msg *msg, struct xfer *x)
{
	struct nl_cb *cb;
	int err;

	g->errmsg[0] = '\0';
	x->g = g;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, x);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, x);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_ack, x);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, x);

	err = nl_send_auto(g->sk, msg);
	nlmsg_free(msg);
	if (err < 0) {
		err = -EIO;
		goto out;
	}
	err = 0;
	while (!x->done) {
		int r = nl_recvmsgs(g->sk, cb);

		if (r < 0 && !x->done) {
			err = -EIO;
			break;
		}
	}
	if (!err && x->err)
		err = x->err;
out:
	nl_cb_put(cb);
	return err;
}

static struct nl_msg *req_alloc(struct m2mgw_genl *g, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, g->family, 0,
			 flags | NLM_F_ACK, cmd, M2MGW_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int m2mgw_genl_open(struct m2mgw_genl *g)
{
	const char *name = getenv("M2MGW_GENL_FAMILY");
	struct nl_cache *cache = NULL;
	struct genl_family *fam;
	int one = 1, err;

	memset(g, 0, sizeof(*g));
	if (!name || !*name)
		name = M2MGW_GENL_NAME;
	g->sk = nl_socket_alloc();
	if (!g->sk)
		return -ENOMEM;
	if (genl_connect(g->sk) < 0) {
		err = -EIO;
		goto err_free;
	}
	/* Ask for extack messages and do not echo requests back in errors. */
	setsockopt(nl_socket_get_fd(g->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one,
		   sizeof(one));
	setsockopt(nl_socket_get_fd(g->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one,
		   sizeof(one));
	if (genl_ctrl_alloc_cache(g->sk, &cache) < 0) {
		err = -EIO;
		goto err_free;
	}
	fam = genl_ctrl_search_by_name(cache, name);
	if (!fam) {
		snprintf(
			g->errmsg, sizeof(g->errmsg),
			"generic netlink family \"%s\" not found (is the m2mgw module loaded?)",
			name);
		err = -ENOENT;
		goto err_cache;
	}
	g->family = genl_family_get_id(fam);
	g->version = genl_family_get_version(fam);
	genl_family_put(fam);
	nl_cache_free(cache);
	if (g->version != M2MGW_GENL_VERSION) {
		snprintf(
			g->errmsg, sizeof(g->errmsg),
			"module speaks m2mgw netlink version %u, this tool version %u",
			g->version, (unsigned int)M2MGW_GENL_VERSION);
		err = -EPROTONOSUPPORT;
		goto err_free;
	}
	g->events_grp =
		genl_ctrl_resolve_grp(g->sk, name, M2MGW_GENL_MCGRP_EVENTS);
	return 0;

err_cache:
	nl_cache_free(cache);
err_free:
	nl_socket_free(g->sk);
	g->sk = NULL;
	return err;
}

void m2mgw_genl_close(struct m2mgw_genl *g)
{
	if (g->sk)
		nl_socket_free(g->sk);
	g->sk = NULL;
}

int m2mgw_genl_parse_port(struct nlattr **tb, struct m2mgw_port *p)
{
	struct nlattr *a;
	int i, rem;

	memset(p, 0, sizeof(*p));
	for (i = 1; i <= M2MGW_A_MAX; i++)
		if (tb[i])
			M2MGW_PORT_SET(p, i);
	if (tb[M2MGW_A_PORT_ID])
		p->id = nla_get_u32(tb[M2MGW_A_PORT_ID]);
	if (tb[M2MGW_A_PORT_NAME])
		nla_strlcpy(p->name, tb[M2MGW_A_PORT_NAME], sizeof(p->name));
	if (tb[M2MGW_A_PORT_TYPE])
		p->type = nla_get_u32(tb[M2MGW_A_PORT_TYPE]);
	if (tb[M2MGW_A_PORT_STATE])
		p->state = nla_get_u32(tb[M2MGW_A_PORT_STATE]);
	if (tb[M2MGW_A_PORT_ENABLED])
		p->enabled = nla_get_u8(tb[M2MGW_A_PORT_ENABLED]);
	if (tb[M2MGW_A_IFNAME])
		nla_strlcpy(p->ifname, tb[M2MGW_A_IFNAME], sizeof(p->ifname));
	if (tb[M2MGW_A_IFINDEX])
		p->ifindex = nla_get_u32(tb[M2MGW_A_IFINDEX]);
	if (tb[M2MGW_A_TTY])
		nla_strlcpy(p->tty, tb[M2MGW_A_TTY], sizeof(p->tty));
	if (tb[M2MGW_A_SERIAL_BAUD])
		p->baud = nla_get_u32(tb[M2MGW_A_SERIAL_BAUD]);
	if (tb[M2MGW_A_SERIAL_DATA_BITS])
		p->data_bits = nla_get_u8(tb[M2MGW_A_SERIAL_DATA_BITS]);
	if (tb[M2MGW_A_SERIAL_PARITY])
		p->parity = nla_get_u8(tb[M2MGW_A_SERIAL_PARITY]);
	if (tb[M2MGW_A_SERIAL_STOP_BITS])
		p->stop_bits = nla_get_u8(tb[M2MGW_A_SERIAL_STOP_BITS]);
	if (tb[M2MGW_A_SERIAL_FRAMING])
		p->framing = nla_get_u32(tb[M2MGW_A_SERIAL_FRAMING]);
	if (tb[M2MGW_A_SERIAL_FRAMING_ARG])
		p->framing_arg = nla_get_u32(tb[M2MGW_A_SERIAL_FRAMING_ARG]);
	if (tb[M2MGW_A_SERIAL_MAXLEN])
		p->maxlen = nla_get_u32(tb[M2MGW_A_SERIAL_MAXLEN]);
	if (tb[M2MGW_A_DROP_REASON])
		p->drop_reason = nla_get_u32(tb[M2MGW_A_DROP_REASON]);
	if (tb[M2MGW_A_DROP_COUNT])
		p->drop_count = nla_get_u64(tb[M2MGW_A_DROP_COUNT]);
	if (tb[M2MGW_A_FILTERS]) {
		nla_for_each_nested(a, tb[M2MGW_A_FILTERS], rem) {
			if (nla_type(a) != M2MGW_FILTER_A_CAN ||
			    nla_len(a) != sizeof(struct can_filter))
				return -EBADMSG;
			if (p->n_filters == M2MGW_MAX_FILTERS)
				return -EBADMSG;
			memcpy(&p->filters[p->n_filters++], nla_data(a),
			       sizeof(struct can_filter));
		}
	}
	if (tb[M2MGW_A_STATS]) {
		nla_for_each_nested(a, tb[M2MGW_A_STATS], rem) {
			int t = nla_type(a);

			/* Unknown (newer) counters are skipped, not fatal. */
			if (t > M2MGW_STATS_A_PAD && t <= M2MGW_STATS_A_MAX &&
			    nla_len(a) == sizeof(uint64_t))
				p->stats[t] = nla_get_u64(a);
		}
	}
	return 0;
}

/* Put every attribute of @p that is marked present. */
static int put_port(struct nl_msg *msg, const struct m2mgw_port *p)
{
	struct nlattr *nest;
	unsigned int i;

#define PUT(a, fn, v)                                          \
	do {                                                   \
		if (M2MGW_PORT_HAS(p, a) && fn(msg, a, v) < 0) \
			return -EMSGSIZE;                      \
	} while (0)
	PUT(M2MGW_A_PORT_ID, nla_put_u32, p->id);
	PUT(M2MGW_A_PORT_NAME, nla_put_string, p->name);
	PUT(M2MGW_A_PORT_TYPE, nla_put_u32, p->type);
	PUT(M2MGW_A_PORT_ENABLED, nla_put_u8, p->enabled);
	PUT(M2MGW_A_IFNAME, nla_put_string, p->ifname);
	PUT(M2MGW_A_IFINDEX, nla_put_u32, p->ifindex);
	PUT(M2MGW_A_TTY, nla_put_string, p->tty);
	PUT(M2MGW_A_SERIAL_BAUD, nla_put_u32, p->baud);
	PUT(M2MGW_A_SERIAL_DATA_BITS, nla_put_u8, p->data_bits);
	PUT(M2MGW_A_SERIAL_PARITY, nla_put_u8, p->parity);
	PUT(M2MGW_A_SERIAL_STOP_BITS, nla_put_u8, p->stop_bits);
	PUT(M2MGW_A_SERIAL_FRAMING, nla_put_u32, p->framing);
	PUT(M2MGW_A_SERIAL_FRAMING_ARG, nla_put_u32, p->framing_arg);
	PUT(M2MGW_A_SERIAL_MAXLEN, nla_put_u32, p->maxlen);
#undef PUT
	if (M2MGW_PORT_HAS(p, M2MGW_A_FILTERS)) {
		nest = nla_nest_start(msg, M2MGW_A_FILTERS);
		if (!nest)
			return -EMSGSIZE;
		for (i = 0; i < p->n_filters; i++)
			if (nla_put(msg, M2MGW_FILTER_A_CAN,
				    sizeof(p->filters[i]), &p->filters[i]) < 0)
				return -EMSGSIZE;
		/* An empty nest means "no filters": libnl would drop it. */
		nla_nest_end_keep_empty(msg, nest);
	}
	return 0;
}

static int parse_one_port(struct xfer *x, struct nlattr **tb, uint8_t cmd)
{
	(void)cmd;
	if (!x->out || x->count++)
		return 0;
	return m2mgw_genl_parse_port(tb, x->out);
}

static int parse_dump_port(struct xfer *x, struct nlattr **tb, uint8_t cmd)
{
	struct m2mgw_port p;
	int err;

	(void)cmd;
	err = m2mgw_genl_parse_port(tb, &p);
	if (err)
		return err;
	x->count++;
	if (!x->stop && x->cb(x->ctx, &p))
		x->stop = 1;
	return 0;
}

static int parse_info(struct xfer *x, struct nlattr **tb, uint8_t cmd)
{
	struct m2mgw_info *info = x->out;

	(void)cmd;
	if (tb[M2MGW_A_INFO_VERSION])
		nla_strlcpy(info->version, tb[M2MGW_A_INFO_VERSION],
			    sizeof(info->version));
	if (tb[M2MGW_A_INFO_UAPI_VERSION])
		info->uapi_version = nla_get_u32(tb[M2MGW_A_INFO_UAPI_VERSION]);
	x->count++;
	return 0;
}

int m2mgw_genl_info_get(struct m2mgw_genl *g, struct m2mgw_info *info)
{
	struct xfer x = { .parse = parse_info, .out = info };
	struct nl_msg *msg = req_alloc(g, M2MGW_CMD_INFO_GET, 0);
	int err;

	memset(info, 0, sizeof(*info));
	info->genl_version = g->version;
	if (!msg)
		return -ENOMEM;
	err = transact(g, msg, &x);
	if (!err && !x.count)
		err = -EBADMSG;
	return err;
}

static int port_req(struct m2mgw_genl *g, uint8_t cmd,
		    const struct m2mgw_port *req, struct m2mgw_port *reply)
{
	struct xfer x = { .parse = parse_one_port, .out = reply };
	struct nl_msg *msg = req_alloc(g, cmd, 0);
	int err;

	if (!msg)
		return -ENOMEM;
	err = put_port(msg, req);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	err = transact(g, msg, &x);
	if (!err && reply && !x.count)
		err = -EBADMSG;
	return err;
}

int m2mgw_genl_port_new(struct m2mgw_genl *g, const struct m2mgw_port *req,
			struct m2mgw_port *reply)
{
	return port_req(g, M2MGW_CMD_PORT_NEW, req, reply);
}

int m2mgw_genl_port_set(struct m2mgw_genl *g, const struct m2mgw_port *req)
{
	return port_req(g, M2MGW_CMD_PORT_SET, req, NULL);
}

static void port_key(struct m2mgw_port *p, uint32_t id, const char *name)
{
	memset(p, 0, sizeof(*p));
	if (name) {
		snprintf(p->name, sizeof(p->name), "%s", name);
		M2MGW_PORT_SET(p, M2MGW_A_PORT_NAME);
	} else {
		p->id = id;
		M2MGW_PORT_SET(p, M2MGW_A_PORT_ID);
	}
}

int m2mgw_genl_port_del(struct m2mgw_genl *g, uint32_t id, const char *name)
{
	struct m2mgw_port key;

	port_key(&key, id, name);
	return port_req(g, M2MGW_CMD_PORT_DEL, &key, NULL);
}

int m2mgw_genl_port_get(struct m2mgw_genl *g, uint32_t id, const char *name,
			struct m2mgw_port *out)
{
	struct m2mgw_port key;

	port_key(&key, id, name);
	return port_req(g, M2MGW_CMD_PORT_GET, &key, out);
}

int m2mgw_genl_port_dump(struct m2mgw_genl *g, m2mgw_port_cb cb, void *ctx)
{
	struct xfer x = { .parse = parse_dump_port, .cb = cb, .ctx = ctx };
	struct nl_msg *msg = req_alloc(g, M2MGW_CMD_PORT_GET, NLM_F_DUMP);
	int err;

	if (!msg)
		return -ENOMEM;
	err = transact(g, msg, &x);
	return err ? err : x.count;
}

static int on_event(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[M2MGW_A_MAX + 1];
	struct m2mgw_genl *g = arg;
	struct m2mgw_port p;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, M2MGW_A_MAX, port_policy) <
		    0 ||
	    m2mgw_genl_parse_port(tb, &p) < 0)
		return NL_SKIP; /* a malformed event is not worth dying for */
	if (g->event_cb && g->event_cb(g->event_ctx, gh->cmd, &p))
		return NL_STOP;
	return NL_OK;
}

int m2mgw_genl_subscribe(struct m2mgw_genl *g, m2mgw_event_cb cb, void *ctx)
{
	if (g->events_grp < 0)
		return g->events_grp;
	g->event_cb = cb;
	g->event_ctx = ctx;
	/* Events carry no sequence numbers of ours. */
	nl_socket_disable_seq_check(g->sk);
	nl_socket_modify_cb(g->sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, g);
	if (nl_socket_add_membership(g->sk, g->events_grp) < 0)
		return -EIO;
	return 0;
}

int m2mgw_genl_fd(const struct m2mgw_genl *g)
{
	return nl_socket_get_fd(g->sk);
}

int m2mgw_genl_recv_events(struct m2mgw_genl *g, bool nonblock)
{
	int fd = nl_socket_get_fd(g->sk);
	int fl = fcntl(fd, F_GETFL);
	int err;

	if (fl < 0 ||
	    fcntl(fd, F_SETFL, nonblock ? fl | O_NONBLOCK : fl & ~O_NONBLOCK))
		return -errno;
	err = nl_recvmsgs_default(g->sk);
	if (err == -NLE_AGAIN)
		return 0;
	/* libnl reports a receive buffer overrun (ENOBUFS) as NLE_NOMEM. */
	if (err == -NLE_NOMEM)
		return -ENOBUFS;
	return err < 0 ? -EIO : 0;
}
