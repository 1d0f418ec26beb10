// SPDX-License-Identifier: GPL-2.0
/*
 * Ports over generic netlink: the life of a port, every refusal with its
 * errno and extack text, permissions, events, filters at run time, and
 * TX through write().
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "m2mgw_ring.h"
#include "testlib.h"

#define IF0 "m2mp0"
#define IF1 "m2mp1"

FIXTURE(ports)
{
	struct tl_nl nl;
	uint32_t port;
};

FIXTURE_SETUP(ports)
{
	ASSERT_EQ(0, tl_sh("modprobe vcan && (modprobe can_raw || "
			   "modprobe can-raw)"));
	ASSERT_EQ(0, tl_vcan(IF0));
	ASSERT_EQ(0, tl_vcan(IF1));
	ASSERT_EQ(0, tl_nl_open(&self->nl));
	self->port = tl_port_add_can(&self->nl, IF0, "p0");
	ASSERT_NE(0, self->port);
}

FIXTURE_TEARDOWN(ports)
{
	tl_port_del(&self->nl, self->port);
	tl_nl_close(&self->nl);
	tl_sh("ip link del " IF0 "; ip link del " IF1);
}

struct dump {
	int n;
	uint32_t ids[64];
};

static int dump_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[M2MGW_A_MAX + 1];
	struct dump *d = arg;

	if (!genlmsg_parse(nlmsg_hdr(msg), 0, tb, M2MGW_A_MAX, NULL) &&
	    tb[M2MGW_A_PORT_ID] && d->n < 64)
		d->ids[d->n++] = nla_get_u32(tb[M2MGW_A_PORT_ID]);
	return NL_OK;
}

static int dump_ports(struct tl_nl *nl, struct dump *d)
{
	struct nl_msg *msg = nlmsg_alloc();
	int err;

	memset(d, 0, sizeof(*d));
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
		    NLM_F_REQUEST | NLM_F_DUMP, M2MGW_CMD_PORT_GET,
		    M2MGW_GENL_VERSION);
	nl_socket_modify_cb(nl->sk, NL_CB_VALID, NL_CB_CUSTOM, dump_cb, d);
	err = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	return err < 0 ? err : nl_recvmsgs_default(nl->sk);
}

TEST_F(ports, get_dump_and_delete)
{
	struct tl_reply r;
	uint32_t id2;
	struct dump d;
	int i, seen = 0;

	ASSERT_EQ(0, tl_port_get(&self->nl, self->port, &r));
	EXPECT_EQ(self->port, r.port_id);
	EXPECT_EQ(M2MGW_STATE_UP, r.state);

	/* Without a name the port is named after its device. */
	id2 = tl_port_add_can(&self->nl, IF1, NULL);
	ASSERT_NE(0, id2);
	EXPECT_NE(self->port, id2);
	ASSERT_EQ(0, dump_ports(&self->nl, &d));
	for (i = 0; i < d.n; i++)
		seen += d.ids[i] == self->port || d.ids[i] == id2;
	EXPECT_EQ(2, seen);

	ASSERT_EQ(0, tl_port_del(&self->nl, id2));
	EXPECT_EQ(-ENOENT, tl_port_get(&self->nl, id2, &r));
	EXPECT_STREQ("no port with this id", r.extack);
	EXPECT_EQ(-ENOENT, tl_port_del(&self->nl, id2));
	/* Ids are not reused. */
	id2 = tl_port_add_can(&self->nl, IF1, NULL);
	EXPECT_LT(self->port + 1, id2);
	tl_port_del(&self->nl, id2);
}

static int port_new(struct tl_nl *nl, struct tl_reply *r, const char *ifname,
		    const char *name, int extra_attr)
{
	struct nl_msg *msg = tl_msg(nl, M2MGW_CMD_PORT_NEW);

	nla_put_u32(msg, M2MGW_A_PORT_TYPE, M2MGW_PORT_CAN);
	if (ifname)
		nla_put_string(msg, M2MGW_A_IFNAME, ifname);
	if (name)
		nla_put_string(msg, M2MGW_A_PORT_NAME, name);
	if (extra_attr)
		nla_put_u32(msg, extra_attr, 1);
	return tl_nl_call(nl, msg, r);
}

TEST_F(ports, refusals_say_why)
{
	struct nl_msg *msg;
	struct tl_reply r;

	EXPECT_EQ(-EINVAL, port_new(&self->nl, &r, NULL, "x", 0));
	EXPECT_STREQ("a CAN port needs an ifname or ifindex", r.extack);
	EXPECT_EQ(-EPROTOTYPE, port_new(&self->nl, &r, "lo", "x", 0));
	EXPECT_STREQ("not a CAN network device", r.extack);
	EXPECT_EQ(-ENODEV, port_new(&self->nl, &r, "nosuchcan9", "x", 0));
	EXPECT_STREQ("no such network device", r.extack);
	EXPECT_EQ(-EEXIST, port_new(&self->nl, &r, IF0, "other", 0));
	EXPECT_STREQ("a port already captures this device", r.extack);
	EXPECT_EQ(-EEXIST, port_new(&self->nl, &r, IF1, "p0", 0));
	EXPECT_STREQ("a port with this name exists", r.extack);
	/* Unknown attribute type, and one only the module may send. */
	EXPECT_EQ(-EINVAL, port_new(&self->nl, &r, IF1, "x", 200));
	EXPECT_EQ(-EINVAL, port_new(&self->nl, &r, IF1, "x", M2MGW_A_STATS));
	EXPECT_EQ(-EINVAL, port_new(&self->nl, &r, IF1, "x", M2MGW_A_PORT_ID));
	EXPECT_STREQ("port ids are assigned by the module", r.extack);
	/* A name that does not fit. */
	EXPECT_EQ(-EINVAL, port_new(&self->nl, &r, IF1,
				    "0123456789012345678901234567890123", 0));

	msg = tl_msg(&self->nl, M2MGW_CMD_PORT_NEW);
	nla_put_string(msg, M2MGW_A_IFNAME, IF1);
	EXPECT_EQ(-EINVAL, tl_nl_call(&self->nl, msg, &r));
	EXPECT_STREQ("port type required", r.extack);

	msg = tl_msg(&self->nl, M2MGW_CMD_PORT_NEW);
	nla_put_u32(msg, M2MGW_A_PORT_TYPE, 9);
	EXPECT_EQ(-ERANGE, tl_nl_call(&self->nl, msg, &r));

	msg = tl_msg(&self->nl, M2MGW_CMD_PORT_SET);
	nla_put_u32(msg, M2MGW_A_PORT_ID, self->port);
	nla_put_string(msg, M2MGW_A_IFNAME, IF1);
	EXPECT_EQ(-EINVAL, tl_nl_call(&self->nl, msg, &r));
	EXPECT_STREQ("type and device are fixed: delete, then add", r.extack);

	msg = tl_msg(&self->nl, M2MGW_CMD_PORT_DEL);
	EXPECT_EQ(-EINVAL, tl_nl_call(&self->nl, msg, &r));
	EXPECT_STREQ("port id or name required", r.extack);
}

TEST_F(ports, filter_limits)
{
	struct can_filter f[M2MGW_MAX_FILTERS + 1];
	struct nlattr *nest;
	struct nl_msg *msg;
	struct tl_reply r;

	memset(f, 0, sizeof(f));
	EXPECT_EQ(-E2BIG, tl_port_filters(&self->nl, self->port, f,
					  M2MGW_MAX_FILTERS + 1));
	EXPECT_EQ(0,
		  tl_port_filters(&self->nl, self->port, f, M2MGW_MAX_FILTERS));
	/* A filter entry of the wrong size. */
	msg = tl_msg(&self->nl, M2MGW_CMD_PORT_SET);
	nla_put_u32(msg, M2MGW_A_PORT_ID, self->port);
	nest = nla_nest_start(msg, M2MGW_A_FILTERS);
	nla_put_u32(msg, M2MGW_FILTER_A_CAN, 0x123);
	nla_nest_end(msg, nest);
	EXPECT_EQ(-ERANGE, tl_nl_call(&self->nl, msg, &r));
	EXPECT_EQ(0, tl_port_filters(&self->nl, self->port, NULL, 0));
}

/* Drop CAP_NET_ADMIN (and all else) in a child; report its results. */
TEST_F(ports, mutating_needs_cap_net_admin)
{
	pid_t pid = fork();
	int st;

	ASSERT_LE(0, pid);
	if (!pid) {
		struct __user_cap_header_struct h = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct d[2] = { { 0 } };
		struct tl_reply r;
		struct tl_nl nl;

		if (syscall(SYS_capset, &h, d) || tl_nl_open(&nl))
			_exit(10);
		if (port_new(&nl, &r, IF1, "np", 0) != -EPERM)
			_exit(11);
		if (tl_port_del(&nl, self->port) != -EPERM)
			_exit(12);
		if (tl_port_filters(&nl, self->port, NULL, 0) != -EPERM)
			_exit(13);
		/* Reading needs no privilege. */
		if (tl_port_get(&nl, self->port, &r) || r.port_id != self->port)
			_exit(14);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

TEST_F(ports, info_reports_versions)
{
	struct nl_msg *msg = tl_msg(&self->nl, M2MGW_CMD_INFO_GET);
	struct tl_reply r;

	EXPECT_EQ(0, tl_nl_call(&self->nl, msg, &r));
	EXPECT_EQ(M2MGW_UAPI_VERSION, r.uapi_version);
	EXPECT_STREQ("0.1.0", r.version);
}

struct events {
	int n;
	uint8_t cmd[32];
	uint32_t state[32];
};

static int event_cb(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[M2MGW_A_MAX + 1];
	struct events *e = arg;

	if (e->n >= 32 ||
	    genlmsg_parse(nlmsg_hdr(msg), 0, tb, M2MGW_A_MAX, NULL))
		return NL_OK;
	e->cmd[e->n] = g->cmd;
	e->state[e->n] = tb[M2MGW_A_PORT_STATE] ?
				 nla_get_u32(tb[M2MGW_A_PORT_STATE]) :
				 ~0u;
	e->n++;
	return NL_OK;
}

TEST_F(ports, events_follow_the_device)
{
	struct nl_sock *ev = nl_socket_alloc();
	struct events e = { 0 };
	uint32_t id;
	int grp, i;

	ASSERT_EQ(0, genl_connect(ev));
	grp = genl_ctrl_resolve_grp(ev, M2MGW_GENL_NAME,
				    M2MGW_GENL_MCGRP_EVENTS);
	ASSERT_LE(0, grp);
	ASSERT_EQ(0, nl_socket_add_membership(ev, grp));
	nl_socket_disable_seq_check(ev);
	nl_socket_modify_cb(ev, NL_CB_VALID, NL_CB_CUSTOM, event_cb, &e);
	nl_socket_set_nonblocking(ev);

	id = tl_port_add_can(&self->nl, IF1, "ev");
	ASSERT_NE(0, id);
	tl_sh("ip link set " IF1 " down && ip link set " IF1 " up");
	tl_sh("ip link del " IF1);
	ASSERT_EQ(0, tl_port_del(&self->nl, id));
	for (i = 0; i < 50 && e.n < 6; i++) {
		nl_recvmsgs_default(ev);
		usleep(20000);
	}
	/* ip link del takes the device down before unregistering it. */
	ASSERT_EQ(6, e.n);
	EXPECT_EQ(M2MGW_CMD_PORT_NEW, e.cmd[0]);
	EXPECT_EQ(M2MGW_STATE_UP, e.state[0]);
	EXPECT_EQ(M2MGW_CMD_PORT_STATE, e.cmd[1]);
	EXPECT_EQ(M2MGW_STATE_DOWN, e.state[1]);
	EXPECT_EQ(M2MGW_CMD_PORT_STATE, e.cmd[2]);
	EXPECT_EQ(M2MGW_STATE_UP, e.state[2]);
	EXPECT_EQ(M2MGW_CMD_PORT_STATE, e.cmd[3]);
	EXPECT_EQ(M2MGW_STATE_DOWN, e.state[3]);
	EXPECT_EQ(M2MGW_CMD_PORT_STATE, e.cmd[4]);
	EXPECT_EQ(M2MGW_STATE_GONE, e.state[4]);
	EXPECT_EQ(M2MGW_CMD_PORT_DEL, e.cmd[5]);
	nl_socket_free(ev);
}

static int ids_cb(void *ctx, const struct m2mgw_rec *rec)
{
	const struct can_frame *cf = (const void *)rec->data;
	uint32_t *ids = ctx;

	ids[++ids[0]] = cf->can_id;
	return 0;
}

static void send_ids(int s, const uint32_t *ids, int n)
{
	struct can_frame cf = { .len = 1 };
	int i;

	for (i = 0; i < n; i++) {
		cf.can_id = ids[i];
		if (write(s, &cf, sizeof(cf)) != sizeof(cf))
			return;
	}
}

static int got_ids(struct m2mgw_ring *r, uint32_t *out)
{
	out[0] = 0;
	while (m2mgw_ring_wait(r, 300) > 0)
		m2mgw_ring_consume(r, ids_cb, out, 0);
	return (int)out[0];
}

TEST_F(ports, filters_apply_and_change_at_run_time)
{
	static const uint32_t ids[] = { 0x100, 0x200, 0x1ff, 0x105, 0x300 };
	struct can_filter f = { .can_id = 0x100, .can_mask = 0x700 };
	struct m2mgw_ring r;
	uint32_t got[16];
	int s;

	s = tl_can_socket(IF0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, m2mgw_ring_open(&r, NULL, 1 << 16));
	ASSERT_EQ(0, m2mgw_ring_subscribe(&r, self->port));

	ASSERT_EQ(0, tl_port_filters(&self->nl, self->port, &f, 1));
	send_ids(s, ids, 5);
	ASSERT_EQ(3, got_ids(&r, got));
	EXPECT_EQ(0x100, got[1]);
	EXPECT_EQ(0x1ff, got[2]);
	EXPECT_EQ(0x105, got[3]);

	/* Two overlapping filters still capture each frame once. */
	struct can_filter two[2] = { { 0x200, 0x7ff }, { 0x200, 0x700 } };

	ASSERT_EQ(0, tl_port_filters(&self->nl, self->port, two, 2));
	send_ids(s, ids, 5);
	ASSERT_EQ(1, got_ids(&r, got));
	EXPECT_EQ(0x200, got[1]);

	/* Inverted: everything but 0x300. */
	f = (struct can_filter){ 0x300 | CAN_INV_FILTER, 0x7ff };
	ASSERT_EQ(0, tl_port_filters(&self->nl, self->port, &f, 1));
	send_ids(s, ids, 5);
	EXPECT_EQ(4, got_ids(&r, got));

	ASSERT_EQ(0, tl_port_filters(&self->nl, self->port, NULL, 0));
	send_ids(s, ids, 5);
	EXPECT_EQ(5, got_ids(&r, got));
	m2mgw_ring_close(&r);
	close(s);
}

static int set_enabled(struct tl_nl *nl, uint32_t id, int on)
{
	struct nl_msg *msg = tl_msg(nl, M2MGW_CMD_PORT_SET);
	struct tl_reply r;

	nla_put_u32(msg, M2MGW_A_PORT_ID, id);
	nla_put_u8(msg, M2MGW_A_PORT_ENABLED, (uint8_t)on);
	return tl_nl_call(nl, msg, &r);
}

TEST_F(ports, tx_reaches_the_bus_and_bad_records_do_not)
{
	struct can_frame cf = { .can_id = 0x321,
				.len = 4,
				.data = { 1, 2, 3, 4 } };
	struct canfd_frame fd = { .can_id = 0x42,
				  .len = 12,
				  .flags = CANFD_BRS };
	unsigned char buf[256], in[CANFD_MTU];
	struct m2mgw_rec *rec = (void *)buf;
	struct tl_reply st;
	size_t n, n2;
	int s, dev;

	s = tl_can_socket(IF0);
	ASSERT_LE(0, s);
	dev = open(M2MGW_DEV_PATH, O_RDWR);
	ASSERT_LE(0, dev);

	/* Two records in one write: both go out, in order. */
	n = m2mgw_rec_build(buf, sizeof(buf), self->port, M2MGW_REC_CAN, &cf,
			    sizeof(cf));
	n2 = m2mgw_rec_build(buf + n, sizeof(buf) - n, self->port,
			     M2MGW_REC_CANFD, &fd, sizeof(fd));
	ASSERT_EQ((ssize_t)(n + n2), write(dev, buf, n + n2));
	ASSERT_EQ(CAN_MTU, read(s, in, sizeof(in)));
	EXPECT_EQ(0, memcmp(in, &cf, sizeof(cf)));
	ASSERT_EQ(CANFD_MTU, read(s, in, sizeof(in)));
	EXPECT_EQ(0x42, ((struct canfd_frame *)in)->can_id);
	EXPECT_EQ(12, ((struct canfd_frame *)in)->len);

	/* A bad second record stops the whole write: nothing is sent. */
	((struct canfd_frame *)(buf + n + M2MGW_REC_HDR_LEN))->len = 13;
	EXPECT_EQ(-1, write(dev, buf, n + n2));
	EXPECT_EQ(EINVAL, errno);
	cf.len = 9;
	n = m2mgw_rec_build(buf, sizeof(buf), self->port, M2MGW_REC_CAN, &cf,
			    sizeof(cf));
	EXPECT_EQ(-1, write(dev, buf, n));
	EXPECT_EQ(EINVAL, errno);
	/* A classic record with an FD payload size. */
	rec->len = M2MGW_REC_HDR_LEN + sizeof(fd);
	EXPECT_EQ(-1, write(dev, buf, m2mgw_rec_space(rec->len)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, recv(s, in, sizeof(in), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);

	/* Disabled, or link down: ENETDOWN. */
	cf.len = 1;
	n = m2mgw_rec_build(buf, sizeof(buf), self->port, M2MGW_REC_CAN, &cf,
			    sizeof(cf));
	ASSERT_EQ(0, set_enabled(&self->nl, self->port, 0));
	EXPECT_EQ(-1, write(dev, buf, n));
	EXPECT_EQ(ENETDOWN, errno);
	ASSERT_EQ(0, set_enabled(&self->nl, self->port, 1));
	tl_sh("ip link set " IF0 " down");
	EXPECT_EQ(-1, write(dev, buf, n));
	EXPECT_EQ(ENETDOWN, errno);
	tl_sh("ip link set " IF0 " up");
	EXPECT_EQ((ssize_t)n, write(dev, buf, n));

	ASSERT_EQ(0, tl_port_get(&self->nl, self->port, &st));
	EXPECT_EQ(3, st.stats[M2MGW_STATS_A_TX_FRAMES]);
	EXPECT_EQ(4 + 12 + 1, st.stats[M2MGW_STATS_A_TX_BYTES]);
	close(dev);
	close(s);
}

TEST_HARNESS_MAIN
