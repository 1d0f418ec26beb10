// SPDX-License-Identifier: GPL-2.0
/*
 * Port configuration over generic netlink, beyond ports.c: every
 * attribute of a reply, PORT_SET touching only what it names, state
 * following the netdev and the enable flag, each refusal of PORT_NEW,
 * PORT_SET and PORT_DEL with its errno and extack text, M2MGW_MAX_PORTS,
 * events for enable/disable, and DROP events summing to the counters.
 */
#define _GNU_SOURCE
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "portlib.h"

#define IF0 "m2mp0"
#define IF1 "m2mp1"
#define IF2 "m2mp2"

FIXTURE(ports)
{
	struct pl nl;
	struct pl_call *c;
};

FIXTURE_SETUP(ports)
{
	ASSERT_EQ(0, tl_sh("modprobe vcan && (modprobe can_raw || "
			   "modprobe can-raw)"));
	ASSERT_EQ(0, tl_vcan(IF0));
	ASSERT_EQ(0, tl_vcan(IF1));
	ASSERT_EQ(0, tl_vcan(IF2));
	ASSERT_EQ(0, pl_open(&self->nl));
	self->c = pl_call_new();
	ASSERT_NE(NULL, self->c);
}

FIXTURE_TEARDOWN(ports)
{
	struct pl_call *c = self->c;
	int i;

	/* Delete whatever this test left: ports on our devices. */
	pl_call(&self->nl, pl_msg(&self->nl, M2MGW_CMD_PORT_GET, NLM_F_DUMP),
		c);
	for (i = 0; i < c->n; i++)
		if (!strncmp(c->port[i].ifname, "m2mp", 4))
			pl_del(&self->nl, c->port[i].id);
	free(c);
	pl_close(&self->nl);
	tl_sh("for i in " IF0 " " IF1 " " IF2 "; do ip link del $i; done "
	      "2>/dev/null");
}

TEST_F(ports, create_get_delete)
{
	const struct can_filter f[2] = {
		{ .can_id = 0x123, .can_mask = CAN_SFF_MASK },
		{ .can_id = 0x400 | CAN_INV_FILTER, .can_mask = 0x700 },
	};
	struct pl_port p;
	uint32_t id;
	int i;

	ASSERT_EQ(0, pl_add_can(&self->nl, self->c, IF0, "alpha", f, 2));
	ASSERT_EQ(1, self->c->n);
	id = self->c->port[0].id;
	EXPECT_NE(0, id);
	EXPECT_EQ(M2MGW_CMD_PORT_NEW, self->c->port[0].cmd);

	ASSERT_EQ(0, pl_get(&self->nl, id, &p));
	EXPECT_EQ(id, p.id);
	EXPECT_STREQ("alpha", p.name);
	EXPECT_STREQ(IF0, p.ifname);
	EXPECT_EQ(if_nametoindex(IF0), p.ifindex);
	EXPECT_EQ(M2MGW_PORT_CAN, p.type);
	EXPECT_EQ(M2MGW_STATE_UP, p.state);
	EXPECT_EQ(1, p.enabled);
	ASSERT_EQ(2, p.nfilters);
	EXPECT_EQ(0, memcmp(f, p.filters, sizeof(f)));
	/* Every counter is there, and a new port has counted nothing. */
	EXPECT_EQ(M2MGW_STATS_A_MAX - M2MGW_STATS_A_RX_FRAMES + 1, p.nstats);
	for (i = M2MGW_STATS_A_RX_FRAMES; i <= M2MGW_STATS_A_MAX; i++)
		EXPECT_EQ(0, p.stats[i]);

	/* By name too. */
	{
		struct nl_msg *m = pl_msg(&self->nl, M2MGW_CMD_PORT_GET, 0);

		nla_put_string(m, M2MGW_A_PORT_NAME, "alpha");
		ASSERT_EQ(0, pl_call(&self->nl, m, self->c));
		ASSERT_EQ(1, self->c->n);
		EXPECT_EQ(id, self->c->port[0].id);
	}

	/* Delete by name; then it is unknown by id. */
	{
		struct nl_msg *m = pl_msg(&self->nl, M2MGW_CMD_PORT_DEL, 0);

		nla_put_string(m, M2MGW_A_PORT_NAME, "alpha");
		ASSERT_EQ(0, pl_call(&self->nl, m, self->c));
	}
	EXPECT_EQ(-ENOENT, pl_get(&self->nl, id, &p));
	EXPECT_EQ(-ENOENT, pl_del(&self->nl, id));
}

TEST_F(ports, name_defaults_to_ifname_and_ifindex_works)
{
	struct nl_msg *m = pl_msg(&self->nl, M2MGW_CMD_PORT_NEW, 0);

	nla_put_u32(m, M2MGW_A_PORT_TYPE, M2MGW_PORT_CAN);
	nla_put_u32(m, M2MGW_A_IFINDEX, if_nametoindex(IF1));
	ASSERT_EQ(0, pl_call(&self->nl, m, self->c));
	ASSERT_EQ(1, self->c->n);
	EXPECT_STREQ(IF1, self->c->port[0].name);
	EXPECT_STREQ(IF1, self->c->port[0].ifname);
	/* No filters: an empty nest, i.e. capture everything. */
	EXPECT_EQ(1, self->c->port[0].has_filters);
	EXPECT_EQ(0, self->c->port[0].nfilters);
}

TEST_F(ports, set_changes_only_what_it_names)
{
	const struct can_filter f[1] = { { .can_id = 0x10,
					   .can_mask = 0x7f0 } };
	struct pl_port p;
	uint32_t id;

	id = pl_port(&self->nl, IF0, NULL);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, pl_set_simple(&self->nl, id, f, 1, -1));
	ASSERT_EQ(0, pl_get(&self->nl, id, &p));
	ASSERT_EQ(1, p.nfilters);
	EXPECT_EQ(0x10, p.filters[0].can_id);
	EXPECT_EQ(1, p.enabled);

	/* Disable: filters stay, the port goes down. */
	ASSERT_EQ(0, pl_set_simple(&self->nl, id, NULL, -1, 0));
	ASSERT_EQ(0, pl_get(&self->nl, id, &p));
	EXPECT_EQ(0, p.enabled);
	EXPECT_EQ(M2MGW_STATE_DOWN, p.state);
	EXPECT_EQ(1, p.nfilters);

	/* Enable again. */
	ASSERT_EQ(0, pl_set_simple(&self->nl, id, NULL, -1, 1));
	ASSERT_EQ(0, pl_get(&self->nl, id, &p));
	EXPECT_EQ(1, p.enabled);
	EXPECT_EQ(M2MGW_STATE_UP, p.state);

	/* An empty filter list removes all filters. */
	ASSERT_EQ(0, pl_set_simple(&self->nl, id, NULL, 0, -1));
	ASSERT_EQ(0, pl_get(&self->nl, id, &p));
	EXPECT_EQ(0, p.nfilters);
	EXPECT_EQ(1, p.enabled);
}

TEST_F(ports, created_disabled_is_down)
{
	struct nl_msg *m = pl_msg(&self->nl, M2MGW_CMD_PORT_NEW, 0);

	nla_put_u32(m, M2MGW_A_PORT_TYPE, M2MGW_PORT_CAN);
	nla_put_string(m, M2MGW_A_IFNAME, IF0);
	nla_put_u8(m, M2MGW_A_PORT_ENABLED, 0);
	ASSERT_EQ(0, pl_call(&self->nl, m, self->c));
	ASSERT_EQ(1, self->c->n);
	EXPECT_EQ(0, self->c->port[0].enabled);
	EXPECT_EQ(M2MGW_STATE_DOWN, self->c->port[0].state);
}

TEST_F(ports, state_follows_the_netdev)
{
	struct pl_port p;
	uint32_t id;

	ASSERT_EQ(0, tl_sh("ip link set " IF0 " down"));
	id = pl_port(&self->nl, IF0, NULL);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, pl_get(&self->nl, id, &p));
	EXPECT_EQ(M2MGW_STATE_DOWN, p.state);
	ASSERT_EQ(0, tl_sh("ip link set " IF0 " up"));
	ASSERT_EQ(0, pl_get(&self->nl, id, &p));
	EXPECT_EQ(M2MGW_STATE_UP, p.state);
	ASSERT_EQ(0, tl_sh("ip link del " IF0));
	ASSERT_EQ(0, pl_get(&self->nl, id, &p));
	EXPECT_EQ(M2MGW_STATE_GONE, p.state);
	/* A gone port keeps its identity until deleted. */
	EXPECT_STREQ(IF0, p.ifname);
	EXPECT_EQ(-ENODEV, pl_set_simple(&self->nl, id, NULL, 0, -1));
	EXPECT_EQ(0, pl_del(&self->nl, id));
}

/* One refused request: errno and the extack text. */
#define EXPECT_REFUSED(errno_, text, call)                                  \
	do {                                                                \
		EXPECT_EQ(-(errno_), (call));                               \
		EXPECT_NE(NULL, strstr(self->c->msg, (text)))               \
		TH_LOG("extack \"%s\", wanted \"%s\"", self->c->msg, text); \
	} while (0)

TEST_F(ports, new_refusals)
{
	struct can_filter f[M2MGW_MAX_FILTERS + 1];
	struct nl_msg *m;
	char longname[M2MGW_NAME_MAX + 8];
	int i;

	/* Unknown attribute: strict policy. */
	m = pl_msg(&self->nl, M2MGW_CMD_PORT_NEW, 0);
	nla_put_u32(m, M2MGW_A_PORT_TYPE, M2MGW_PORT_CAN);
	nla_put_string(m, M2MGW_A_IFNAME, IF0);
	nla_put_u32(m, M2MGW_A_MAX + 1, 1);
	EXPECT_REFUSED(EINVAL, "Unknown attribute",
		       pl_call(&self->nl, m, self->c));

	/* Attributes only the module sends are refused on input. */
	m = pl_msg(&self->nl, M2MGW_CMD_PORT_NEW, 0);
	nla_put_u32(m, M2MGW_A_PORT_TYPE, M2MGW_PORT_CAN);
	nla_put_string(m, M2MGW_A_IFNAME, IF0);
	nla_put_u32(m, M2MGW_A_PORT_STATE, 1);
	EXPECT_REFUSED(EINVAL, "policy", pl_call(&self->nl, m, self->c));

	/* Missing type. */
	m = pl_msg(&self->nl, M2MGW_CMD_PORT_NEW, 0);
	nla_put_string(m, M2MGW_A_IFNAME, IF0);
	EXPECT_REFUSED(EINVAL, "port type required",
		       pl_call(&self->nl, m, self->c));
	EXPECT_EQ(M2MGW_A_PORT_TYPE, self->c->miss_type);

	/* Type out of range: netlink's range checks say ERANGE. */
	m = pl_msg(&self->nl, M2MGW_CMD_PORT_NEW, 0);
	nla_put_u32(m, M2MGW_A_PORT_TYPE, 77);
	nla_put_string(m, M2MGW_A_IFNAME, IF0);
	EXPECT_EQ(-ERANGE, pl_call(&self->nl, m, self->c));
	EXPECT_NE(0, self->c->msg[0]);

	/* Missing ifname. */
	EXPECT_REFUSED(EINVAL, "needs an ifname",
		       pl_add_can(&self->nl, self->c, NULL, "x", NULL, -1));
	/* No such device. */
	EXPECT_REFUSED(ENODEV, "no such network device",
		       pl_add_can(&self->nl, self->c, "m2mnope", NULL, NULL,
				  -1));
	/* Not a CAN device. */
	EXPECT_REFUSED(EPROTOTYPE, "not a CAN",
		       pl_add_can(&self->nl, self->c, "lo", NULL, NULL, -1));
	/* The module assigns ids. */
	m = pl_msg(&self->nl, M2MGW_CMD_PORT_NEW, 0);
	nla_put_u32(m, M2MGW_A_PORT_TYPE, M2MGW_PORT_CAN);
	nla_put_string(m, M2MGW_A_IFNAME, IF0);
	nla_put_u32(m, M2MGW_A_PORT_ID, 5);
	EXPECT_REFUSED(EINVAL, "assigned by the module",
		       pl_call(&self->nl, m, self->c));
	/* Name too long for the policy. */
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	EXPECT_EQ(-EINVAL,
		  pl_add_can(&self->nl, self->c, IF0, longname, NULL, -1));
	EXPECT_NE(0, self->c->msg[0]);

	/* Too many filters, and a filter of the wrong size. */
	for (i = 0; i <= M2MGW_MAX_FILTERS; i++) {
		f[i].can_id = (canid_t)i;
		f[i].can_mask = CAN_SFF_MASK;
	}
	EXPECT_REFUSED(E2BIG, "too many filters",
		       pl_add_can(&self->nl, self->c, IF0, NULL, f,
				  M2MGW_MAX_FILTERS + 1));
	m = pl_msg(&self->nl, M2MGW_CMD_PORT_NEW, 0);
	nla_put_u32(m, M2MGW_A_PORT_TYPE, M2MGW_PORT_CAN);
	nla_put_string(m, M2MGW_A_IFNAME, IF0);
	{
		struct nlattr *nest = nla_nest_start(m, M2MGW_A_FILTERS);

		nla_put_u32(m, M2MGW_FILTER_A_CAN, 0x123);
		nla_nest_end(m, nest);
	}
	EXPECT_EQ(-ERANGE, pl_call(&self->nl, m, self->c));
	EXPECT_NE(0, self->c->msg[0]);

	/* None of these left a port behind: the device is still free. */
	EXPECT_EQ(0, pl_add_can(&self->nl, self->c, IF0, "ok", f,
				M2MGW_MAX_FILTERS));

	/* Duplicates: same device, same name. */
	EXPECT_REFUSED(EEXIST, "already captures this device",
		       pl_add_can(&self->nl, self->c, IF0, "other", NULL, -1));
	EXPECT_REFUSED(EEXIST, "name exists",
		       pl_add_can(&self->nl, self->c, IF1, "ok", NULL, -1));
}

TEST_F(ports, unknown_port_refusals)
{
	struct nl_msg *m;

	m = pl_msg(&self->nl, M2MGW_CMD_PORT_GET, 0);
	nla_put_u32(m, M2MGW_A_PORT_ID, 0x7ffffff0);
	EXPECT_REFUSED(ENOENT, "no port with this id",
		       pl_call(&self->nl, m, self->c));
	m = pl_msg(&self->nl, M2MGW_CMD_PORT_DEL, 0);
	nla_put_string(m, M2MGW_A_PORT_NAME, "m2mnoport");
	EXPECT_REFUSED(ENOENT, "no port with this name",
		       pl_call(&self->nl, m, self->c));
	EXPECT_REFUSED(ENOENT, "no port with this id",
		       pl_set(&self->nl, self->c, 0x7ffffff0, NULL, 0, 1));
	m = pl_msg(&self->nl, M2MGW_CMD_PORT_DEL, 0);
	EXPECT_REFUSED(EINVAL, "port id or name required",
		       pl_call(&self->nl, m, self->c));
}

TEST_F(ports, set_refusals_leave_the_port_alone)
{
	struct can_filter f[M2MGW_MAX_FILTERS + 1] = { 0 };
	struct pl_port p;
	struct nl_msg *m;
	uint32_t id;

	id = pl_port(&self->nl, IF0, NULL);
	ASSERT_NE(0, id);
	m = pl_msg(&self->nl, M2MGW_CMD_PORT_SET, 0);
	nla_put_u32(m, M2MGW_A_PORT_ID, id);
	nla_put_string(m, M2MGW_A_IFNAME, IF1);
	EXPECT_REFUSED(EINVAL, "fixed", pl_call(&self->nl, m, self->c));
	EXPECT_REFUSED(E2BIG, "too many filters",
		       pl_set(&self->nl, self->c, id, f, M2MGW_MAX_FILTERS + 1,
			      0));
	m = pl_msg(&self->nl, M2MGW_CMD_PORT_SET, 0);
	nla_put_u32(m, M2MGW_A_PORT_ID, id);
	nla_put_u8(m, M2MGW_A_PORT_ENABLED, 2);
	EXPECT_EQ(-ERANGE, pl_call(&self->nl, m, self->c));
	EXPECT_NE(0, self->c->msg[0]);
	ASSERT_EQ(0, pl_get(&self->nl, id, &p));
	EXPECT_EQ(1, p.enabled);
	EXPECT_EQ(0, p.nfilters);
}

TEST_F_TIMEOUT(ports, max_ports_enforced, 300)
{
	const int max = M2MGW_MAX_PORTS;
	int existing, i, created = 0, refused_at = -1;
	FILE *f;

	ASSERT_EQ(0, pl_call(&self->nl,
			     pl_msg(&self->nl, M2MGW_CMD_PORT_GET, NLM_F_DUMP),
			     self->c));
	existing = self->c->n;
	ASSERT_LT(existing, max);
	f = fopen("/tmp/m2mgw-vcans", "w");
	ASSERT_NE(NULL, f);
	for (i = 0; i <= max - existing; i++)
		fprintf(f, "link add m2mpx%d type vcan\n", i);
	fclose(f);
	ASSERT_EQ(0, tl_sh("ip -batch /tmp/m2mgw-vcans"));
	for (i = 0; i <= max - existing; i++) {
		char ifn[IFNAMSIZ];
		int err;

		snprintf(ifn, sizeof(ifn), "m2mpx%d", i);
		err = pl_add_can(&self->nl, self->c, ifn, NULL, NULL, -1);
		if (!err) {
			created++;
			continue;
		}
		if (refused_at < 0) {
			refused_at = i;
			EXPECT_EQ(-ENOSPC, err);
			EXPECT_NE(NULL, strstr(self->c->msg, "too many ports"));
		}
	}
	EXPECT_EQ(max - existing, created);
	EXPECT_EQ(max - existing, refused_at);
	/* Devices go first: every port becomes gone, then is deleted. */
	f = fopen("/tmp/m2mgw-vcans", "w");
	ASSERT_NE(NULL, f);
	for (i = 0; i <= max - existing; i++)
		fprintf(f, "link del m2mpx%d\n", i);
	fclose(f);
	EXPECT_EQ(0, tl_sh("ip -batch /tmp/m2mgw-vcans"));
	ASSERT_EQ(0, pl_call(&self->nl,
			     pl_msg(&self->nl, M2MGW_CMD_PORT_GET, NLM_F_DUMP),
			     self->c));
	for (i = 0; i < self->c->n; i++) {
		if (strncmp(self->c->port[i].ifname, "m2mpx", 5))
			continue;
		EXPECT_EQ(M2MGW_STATE_GONE, self->c->port[i].state);
		EXPECT_EQ(0, pl_del(&self->nl, self->c->port[i].id));
	}
}

TEST_F(ports, events_new_state_del)
{
	struct pl ev;
	struct pl_port p;
	uint32_t id;

	ASSERT_EQ(0, pl_events_open(&ev));
	id = pl_port(&self->nl, IF2, "ev");
	ASSERT_NE(0, id);
	ASSERT_EQ(0, pl_event_wait(&ev, M2MGW_CMD_PORT_NEW, id, -1, 2000, &p));
	EXPECT_STREQ("ev", p.name);
	EXPECT_STREQ(IF2, p.ifname);
	EXPECT_EQ(M2MGW_STATE_UP, p.state);

	ASSERT_EQ(0, tl_sh("ip link set " IF2 " down"));
	EXPECT_EQ(0, pl_event_wait(&ev, M2MGW_CMD_PORT_STATE, id,
				   M2MGW_STATE_DOWN, 2000, NULL));
	ASSERT_EQ(0, tl_sh("ip link set " IF2 " up"));
	EXPECT_EQ(0, pl_event_wait(&ev, M2MGW_CMD_PORT_STATE, id,
				   M2MGW_STATE_UP, 2000, NULL));
	ASSERT_EQ(0, pl_set_simple(&self->nl, id, NULL, -1, 0));
	EXPECT_EQ(0, pl_event_wait(&ev, M2MGW_CMD_PORT_STATE, id,
				   M2MGW_STATE_DOWN, 2000, &p));
	EXPECT_EQ(0, p.enabled);
	ASSERT_EQ(0, pl_set_simple(&self->nl, id, NULL, -1, 1));
	EXPECT_EQ(0, pl_event_wait(&ev, M2MGW_CMD_PORT_STATE, id,
				   M2MGW_STATE_UP, 2000, NULL));
	ASSERT_EQ(0, tl_sh("ip link del " IF2));
	EXPECT_EQ(0, pl_event_wait(&ev, M2MGW_CMD_PORT_STATE, id,
				   M2MGW_STATE_GONE, 2000, NULL));
	ASSERT_EQ(0, pl_del(&self->nl, id));
	EXPECT_EQ(0,
		  pl_event_wait(&ev, M2MGW_CMD_PORT_DEL, id, -1, 2000, NULL));
	/* Nothing more about it. */
	EXPECT_EQ(-ETIMEDOUT,
		  pl_event_wait(&ev, M2MGW_CMD_PORT_STATE, id, -1, 300, NULL));
	pl_close(&ev);
}

TEST_F(ports, drop_event_counts_ring_full_drops)
{
	struct m2mgw_ring r;
	struct pl_port p, e;
	struct pl ev;
	uint64_t announced = 0;
	uint32_t id;
	int s, i;

	ASSERT_EQ(0, pl_events_open(&ev));
	id = pl_port(&self->nl, IF1, "drops");
	ASSERT_NE(0, id);
	/* A ring nobody consumes: 4 KiB holds ~85 classic records. */
	ASSERT_EQ(0, m2mgw_ring_open(&r, NULL, 4096));
	ASSERT_EQ(0, m2mgw_ring_subscribe(&r, id));
	s = tl_can_socket(IF1);
	ASSERT_LE(0, s);
	for (i = 0; i < 300; i++)
		ASSERT_EQ(0, pl_send(s, 0x55, &i, sizeof(i), 0));
	ASSERT_EQ(0, pl_get(&self->nl, id, &p));
	EXPECT_EQ(300, p.stats[M2MGW_STATS_A_RX_FRAMES]);
	EXPECT_LT(0, p.stats[M2MGW_STATS_A_DROP_RING_FULL]);
	EXPECT_EQ(m2mgw_ring_dropped(&r),
		  p.stats[M2MGW_STATS_A_DROP_RING_FULL]);
	/* Rate-limited: at most one event per second, summing them all. */
	while (announced < p.stats[M2MGW_STATS_A_DROP_RING_FULL]) {
		memset(&e, 0, sizeof(e));
		if (pl_event_wait(&ev, M2MGW_CMD_DROP, id, -1,
				  3 * M2MGW_DROP_EVENT_MS, &e))
			break;
		EXPECT_EQ(M2MGW_DROP_RING_FULL, e.drop_reason);
		announced += e.drop_count;
	}
	EXPECT_EQ(p.stats[M2MGW_STATS_A_DROP_RING_FULL], announced);
	close(s);
	m2mgw_ring_close(&r);
	pl_close(&ev);
}

TEST_HARNESS_MAIN
