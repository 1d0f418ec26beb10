/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the in-VM tests: vcan interfaces, CAN ports
 * over generic netlink (libnl-genl-3), port counters, CAN sockets.
 * Header-only so each test program stays one file.
 */
#ifndef M2MGW_TESTLIB_H
#define M2MGW_TESTLIB_H

#include <errno.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <linux/can.h>
#include <linux/can/raw.h>
#include <net/if.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/m2mgw.h>

static inline int tl_sh(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Run a shell command built like printf; returns its exit status. */
static inline int tl_sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A fresh, up vcan interface. */
static inline int tl_vcan(const char *name)
{
	tl_sh("ip link del %s 2>/dev/null", name);
	return tl_sh("ip link add %s type vcan && ip link set %s up", name,
		     name);
}

static inline uint64_t tl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct tl_nl {
	struct nl_sock *sk;
	int family;
};

static inline int tl_nl_open(struct tl_nl *nl)
{
	nl->sk = nl_socket_alloc();
	if (!nl->sk || genl_connect(nl->sk))
		return -ENOTCONN;
	nl->family = genl_ctrl_resolve(nl->sk, M2MGW_GENL_NAME);
	if (nl->family < 0)
		return -ENOENT;
	/* Ask for the kernel's error messages. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &(int){ 1 }, sizeof(int));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &(int){ 1 }, sizeof(int));
	return 0;
}

static inline void tl_nl_close(struct tl_nl *nl)
{
	nl_socket_free(nl->sk);
}

struct tl_reply {
	int acked;
	int err;	  /* the kernel's errno, negative */
	char extack[256]; /* its extack message, if any */
	uint32_t port_id;
	uint64_t stats[M2MGW_STATS_A_MAX + 1];
	uint32_t state;
	uint32_t uapi_version;
	char version[32];
};

static inline int tl_parse(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[M2MGW_A_MAX + 1], *st[M2MGW_STATS_A_MAX + 1];
	struct tl_reply *r = arg;
	int i;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, M2MGW_A_MAX, NULL))
		return NL_SKIP;
	if (tb[M2MGW_A_PORT_ID])
		r->port_id = nla_get_u32(tb[M2MGW_A_PORT_ID]);
	if (tb[M2MGW_A_PORT_STATE])
		r->state = nla_get_u32(tb[M2MGW_A_PORT_STATE]);
	if (tb[M2MGW_A_INFO_UAPI_VERSION])
		r->uapi_version = nla_get_u32(tb[M2MGW_A_INFO_UAPI_VERSION]);
	if (tb[M2MGW_A_INFO_VERSION])
		snprintf(r->version, sizeof(r->version), "%s",
			 nla_get_string(tb[M2MGW_A_INFO_VERSION]));
	if (tb[M2MGW_A_STATS] &&
	    !nla_parse_nested(st, M2MGW_STATS_A_MAX, tb[M2MGW_A_STATS], NULL))
		for (i = 0; i <= M2MGW_STATS_A_MAX; i++)
			if (st[i] && i != M2MGW_STATS_A_PAD)
				r->stats[i] = nla_get_u64(st[i]);
	return NL_OK;
}

/* NLMSG_ERROR with an error: keep the errno and the extack message. */
static inline int tl_err(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)e - 1;
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct tl_reply *r = arg;
	size_t off = sizeof(*e);

	(void)who;
	r->acked = 1;
	r->err = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (!nla_parse(tb, NLMSGERR_ATTR_MAX,
		       (struct nlattr *)((char *)e + off),
		       (int)(nlh->nlmsg_len - NLMSG_HDRLEN - off), NULL) &&
	    tb[NLMSGERR_ATTR_MSG])
		snprintf(r->extack, sizeof(r->extack), "%s",
			 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	return NL_STOP;
}

static inline int tl_ack(struct nl_msg *msg, void *arg)
{
	(void)msg;
	((struct tl_reply *)arg)->acked = 1;
	return NL_STOP;
}

/*
 * Send @msg, parse the reply into @r, read up to the ACK, which may come
 * in a later datagram than the reply.  Returns 0 or the kernel's negative
 * errno (r->extack has its message), or -EIO for a local failure.
 */
static inline int tl_nl_call(struct tl_nl *nl, struct nl_msg *msg,
			     struct tl_reply *r)
{
	int err;

	memset(r, 0, sizeof(*r));
	nl_socket_modify_cb(nl->sk, NL_CB_VALID, NL_CB_CUSTOM, tl_parse, r);
	nl_socket_modify_cb(nl->sk, NL_CB_ACK, NL_CB_CUSTOM, tl_ack, r);
	nl_socket_modify_err_cb(nl->sk, NL_CB_CUSTOM, tl_err, r);
	err = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (err < 0)
		return -EIO;
	while (!r->acked) {
		err = nl_recvmsgs_default(nl->sk);
		if (err < 0 && !r->acked)
			return -EIO;
	}
	return r->err;
}

static inline struct nl_msg *tl_msg(struct tl_nl *nl, uint8_t cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
		    NLM_F_REQUEST | NLM_F_ACK, cmd, M2MGW_GENL_VERSION);
	return msg;
}

/* Create a CAN port on @ifname; returns its id, or 0 on failure. */
static inline uint32_t tl_port_add_can(struct tl_nl *nl, const char *ifname,
				       const char *name)
{
	struct nl_msg *msg = tl_msg(nl, M2MGW_CMD_PORT_NEW);
	struct tl_reply r;

	nla_put_u32(msg, M2MGW_A_PORT_TYPE, M2MGW_PORT_CAN);
	nla_put_string(msg, M2MGW_A_IFNAME, ifname);
	if (name)
		nla_put_string(msg, M2MGW_A_PORT_NAME, name);
	if (tl_nl_call(nl, msg, &r))
		return 0;
	return r.port_id;
}

static inline int tl_port_del(struct tl_nl *nl, uint32_t id)
{
	struct nl_msg *msg = tl_msg(nl, M2MGW_CMD_PORT_DEL);
	struct tl_reply r;

	nla_put_u32(msg, M2MGW_A_PORT_ID, id);
	return tl_nl_call(nl, msg, &r);
}

static inline int tl_port_get(struct tl_nl *nl, uint32_t id, struct tl_reply *r)
{
	struct nl_msg *msg = tl_msg(nl, M2MGW_CMD_PORT_GET);

	nla_put_u32(msg, M2MGW_A_PORT_ID, id);
	return tl_nl_call(nl, msg, r);
}

/* Set (or clear, with n == 0) a port's CAN filters. */
static inline int tl_port_filters(struct tl_nl *nl, uint32_t id,
				  const struct can_filter *f, int n)
{
	struct nl_msg *msg = tl_msg(nl, M2MGW_CMD_PORT_SET);
	struct nlattr *nest;
	struct tl_reply r;
	int i;

	nla_put_u32(msg, M2MGW_A_PORT_ID, id);
	nest = nla_nest_start(msg, M2MGW_A_FILTERS);
	for (i = 0; i < n; i++)
		nla_put(msg, M2MGW_FILTER_A_CAN, sizeof(f[i]), &f[i]);
	/* libnl drops empty nests, but an empty list is what clears them. */
	nla_nest_end_keep_empty(msg, nest);
	return tl_nl_call(nl, msg, &r);
}

/* A raw CAN socket on @ifname, FD frames enabled, own frames not looped. */
static inline int tl_can_socket(const char *ifname)
{
	struct sockaddr_can addr = { .can_family = AF_CAN };
	int fd, on = 1;

	fd = socket(PF_CAN, SOCK_RAW, CAN_RAW);
	if (fd < 0)
		return -1;
	addr.can_ifindex = (int)if_nametoindex(ifname);
	setsockopt(fd, SOL_CAN_RAW, CAN_RAW_FD_FRAMES, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

#endif /* M2MGW_TESTLIB_H */
