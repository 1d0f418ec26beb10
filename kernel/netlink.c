// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "m2mgw": port commands and the "events"
 * multicast group.  Requests are strictly validated against the policy
 * below; every refusal carries an extack message.
 */

#include <linux/can.h>
#include <linux/module.h>
#include <linux/rtnetlink.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "port.h"

static const struct nla_policy m2mgw_filter_policy[M2MGW_FILTER_A_MAX + 1] = {
	[M2MGW_FILTER_A_CAN] = NLA_POLICY_EXACT_LEN(sizeof(struct can_filter)),
};

static struct netlink_range_validation m2mgw_baud_range __ro_after_init = {
	.min = 50,
	.max = 4000000,
};

static struct netlink_range_validation m2mgw_maxlen_range __ro_after_init = {
	.min = 1,
	.max = M2MGW_SERIAL_MAXLEN,
};

/* Attributes only the module sends are refused on input. */
static const struct nla_policy m2mgw_policy[M2MGW_A_MAX + 1] = {
	[M2MGW_A_PAD] = { .type = NLA_REJECT },
	[M2MGW_A_PORT_ID] = { .type = NLA_U32 },
	[M2MGW_A_PORT_NAME] = { .type = NLA_NUL_STRING,
				.len = M2MGW_NAME_MAX - 1 },
	[M2MGW_A_PORT_TYPE] =
		NLA_POLICY_RANGE(NLA_U32, M2MGW_PORT_CAN, M2MGW_PORT_SERIAL),
	[M2MGW_A_PORT_STATE] = { .type = NLA_REJECT },
	[M2MGW_A_PORT_ENABLED] = NLA_POLICY_MAX(NLA_U8, 1),
	[M2MGW_A_IFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[M2MGW_A_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[M2MGW_A_FILTERS] = NLA_POLICY_NESTED(m2mgw_filter_policy),
	[M2MGW_A_STATS] = { .type = NLA_REJECT },
	[M2MGW_A_TTY] = { .type = NLA_NUL_STRING, .len = 63 },
	[M2MGW_A_SERIAL_BAUD] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &m2mgw_baud_range),
	[M2MGW_A_SERIAL_DATA_BITS] = NLA_POLICY_RANGE(NLA_U8, 5, 8),
	[M2MGW_A_SERIAL_PARITY] = NLA_POLICY_MAX(NLA_U8, M2MGW_PARITY_ODD),
	[M2MGW_A_SERIAL_STOP_BITS] = NLA_POLICY_RANGE(NLA_U8, 1, 2),
	[M2MGW_A_SERIAL_FRAMING] = NLA_POLICY_MAX(NLA_U32, M2MGW_FRAMING_FIXED),
	[M2MGW_A_SERIAL_FRAMING_ARG] = { .type = NLA_U32 },
	[M2MGW_A_SERIAL_MAXLEN] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &m2mgw_maxlen_range),
	[M2MGW_A_DROP_REASON] = { .type = NLA_REJECT },
	[M2MGW_A_DROP_COUNT] = { .type = NLA_REJECT },
	[M2MGW_A_INFO_VERSION] = { .type = NLA_REJECT },
	[M2MGW_A_INFO_UAPI_VERSION] = { .type = NLA_REJECT },
};

enum m2mgw_mcgrp {
	M2MGW_MCGRP_EVENTS,
};

static const struct genl_multicast_group m2mgw_mcgrps[] = {
	[M2MGW_MCGRP_EVENTS] = { .name = M2MGW_GENL_MCGRP_EVENTS },
};

static struct genl_family m2mgw_genl_family;

static int m2mgw_fill_stats(struct sk_buff *skb, const struct m2mgw_port *port)
{
	u64 v[M2MGW_STATS_A_MAX + 1];
	struct nlattr *nest;
	int i;

	m2mgw_port_stats_sum(port, v);
	nest = nla_nest_start(skb, M2MGW_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = M2MGW_STATS_A_RX_FRAMES; i <= M2MGW_STATS_A_MAX; i++)
		if (nla_put_u64_64bit(skb, i, v[i], M2MGW_STATS_A_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int m2mgw_fill_port(struct sk_buff *skb, const struct m2mgw_port *port,
			   u32 portid, u32 seq, int flags, u8 cmd, bool stats)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &m2mgw_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, M2MGW_A_PORT_ID, port->id) ||
	    nla_put_string(skb, M2MGW_A_PORT_NAME, port->name) ||
	    nla_put_u32(skb, M2MGW_A_PORT_TYPE, port->ops->type) ||
	    nla_put_u32(skb, M2MGW_A_PORT_STATE, READ_ONCE(port->state)) ||
	    nla_put_u8(skb, M2MGW_A_PORT_ENABLED, READ_ONCE(port->enabled)) ||
	    port->ops->fill(skb, port) ||
	    (stats && m2mgw_fill_stats(skb, port)))
		goto err_cancel;
	genlmsg_end(skb, hdr);
	return 0;

err_cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int m2mgw_reply_port(struct genl_info *info, struct m2mgw_port *port,
			    u8 cmd)
{
	struct sk_buff *skb;
	int err;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	err = m2mgw_fill_port(skb, port, info->snd_portid, info->snd_seq, 0,
			      cmd, true);
	if (err) {
		nlmsg_free(skb);
		return err;
	}
	return genlmsg_reply(skb, info);
}

/*
 * Events are multicast while the family is registered.  Every sender
 * holds m2mgw_ports_lock, under which m2mgw_netlink_exit() clears this
 * before unregistering: a netdev or tty event between the unregister and
 * the ports' teardown at module exit must not multicast into a group id
 * that is no longer ours.
 */
static bool m2mgw_nl_events;

void m2mgw_nl_port_event(struct m2mgw_port *port, u8 cmd)
{
	struct sk_buff *skb;

	lockdep_assert_held(&m2mgw_ports_lock);
	if (!m2mgw_nl_events)
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	if (m2mgw_fill_port(skb, port, 0, 0, 0, cmd, false)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_multicast_netns(&m2mgw_genl_family, port->net, skb, 0,
				M2MGW_MCGRP_EVENTS, GFP_KERNEL);
}

void m2mgw_nl_drop_event(struct m2mgw_port *port, u32 reason, u64 count)
{
	struct sk_buff *skb;
	void *hdr;

	lockdep_assert_held(&m2mgw_ports_lock);
	if (!m2mgw_nl_events)
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &m2mgw_genl_family, 0, M2MGW_CMD_DROP);
	if (!hdr || nla_put_u32(skb, M2MGW_A_PORT_ID, port->id) ||
	    nla_put_string(skb, M2MGW_A_PORT_NAME, port->name) ||
	    nla_put_u32(skb, M2MGW_A_DROP_REASON, reason) ||
	    nla_put_u64_64bit(skb, M2MGW_A_DROP_COUNT, count, M2MGW_A_PAD)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(&m2mgw_genl_family, port->net, skb, 0,
				M2MGW_MCGRP_EVENTS, GFP_KERNEL);
}

static int m2mgw_nl_port_new(struct sk_buff *skb, struct genl_info *info)
{
	struct m2mgw_port *port;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, M2MGW_A_PORT_TYPE)) {
		NL_SET_ERR_MSG(info->extack, "port type required");
		return -EINVAL;
	}
	if (info->attrs[M2MGW_A_PORT_ID]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[M2MGW_A_PORT_ID],
				    "port ids are assigned by the module");
		return -EINVAL;
	}
	rtnl_lock();
	mutex_lock(&m2mgw_ports_lock);
	port = m2mgw_port_new(info);
	if (IS_ERR(port)) {
		err = PTR_ERR(port);
		goto out;
	}
	err = m2mgw_reply_port(info, port, M2MGW_CMD_PORT_NEW);
	m2mgw_nl_port_event(port, M2MGW_CMD_PORT_NEW);
out:
	mutex_unlock(&m2mgw_ports_lock);
	rtnl_unlock();
	return err;
}

static int m2mgw_nl_port_del(struct sk_buff *skb, struct genl_info *info)
{
	struct m2mgw_port *port;
	int err = 0;

	rtnl_lock();
	mutex_lock(&m2mgw_ports_lock);
	port = m2mgw_port_find(genl_info_net(info), info);
	if (IS_ERR(port)) {
		err = PTR_ERR(port);
		goto out;
	}
	m2mgw_nl_port_event(port, M2MGW_CMD_PORT_DEL);
	m2mgw_port_del(port);
out:
	mutex_unlock(&m2mgw_ports_lock);
	rtnl_unlock();
	return err;
}

static int m2mgw_nl_port_get(struct sk_buff *skb, struct genl_info *info)
{
	struct m2mgw_port *port;
	int err;

	mutex_lock(&m2mgw_ports_lock);
	port = m2mgw_port_find(genl_info_net(info), info);
	err = IS_ERR(port) ? PTR_ERR(port) :
			     m2mgw_reply_port(info, port, M2MGW_CMD_PORT_NEW);
	mutex_unlock(&m2mgw_ports_lock);
	return err;
}

static int m2mgw_nl_port_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long index = cb->args[0];
	struct m2mgw_port *port;
	int err = 0;

	mutex_lock(&m2mgw_ports_lock);
	while ((port = m2mgw_port_next(sock_net(skb->sk), &index))) {
		err = m2mgw_fill_port(skb, port, NETLINK_CB(cb->skb).portid,
				      cb->nlh->nlmsg_seq, NLM_F_MULTI,
				      M2MGW_CMD_PORT_NEW, true);
		if (err)
			break;
		index++;
	}
	mutex_unlock(&m2mgw_ports_lock);
	cb->args[0] = index;
	/* A full skb ends this part of the dump; the rest comes next time. */
	return err == -EMSGSIZE && skb->len ? skb->len : err ?: skb->len;
}

static int m2mgw_nl_port_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *en = info->attrs[M2MGW_A_PORT_ENABLED];
	struct m2mgw_port *port;
	int err;

	if (info->attrs[M2MGW_A_PORT_TYPE] || info->attrs[M2MGW_A_IFNAME] ||
	    info->attrs[M2MGW_A_IFINDEX] || info->attrs[M2MGW_A_TTY]) {
		NL_SET_ERR_MSG(info->extack,
			       "type and device are fixed: delete, then add");
		return -EINVAL;
	}
	rtnl_lock();
	mutex_lock(&m2mgw_ports_lock);
	port = m2mgw_port_find(genl_info_net(info), info);
	if (IS_ERR(port)) {
		err = PTR_ERR(port);
		goto out;
	}
	err = port->ops->set(port, info);
	if (!err && en)
		m2mgw_port_set_enabled(port, nla_get_u8(en));
out:
	mutex_unlock(&m2mgw_ports_lock);
	rtnl_unlock();
	return err;
}

static int m2mgw_nl_info_get(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &m2mgw_genl_family, 0,
				M2MGW_CMD_INFO_GET);
	if (!hdr ||
	    nla_put_string(msg, M2MGW_A_INFO_VERSION, THIS_MODULE->version) ||
	    nla_put_u32(msg, M2MGW_A_INFO_UAPI_VERSION, M2MGW_UAPI_VERSION)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static const struct genl_small_ops m2mgw_ops[] = {
	{
		.cmd = M2MGW_CMD_PORT_NEW,
		.doit = m2mgw_nl_port_new,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = M2MGW_CMD_PORT_DEL,
		.doit = m2mgw_nl_port_del,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = M2MGW_CMD_PORT_GET,
		.doit = m2mgw_nl_port_get,
		.dumpit = m2mgw_nl_port_dump,
	},
	{
		.cmd = M2MGW_CMD_PORT_SET,
		.doit = m2mgw_nl_port_set,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = M2MGW_CMD_INFO_GET,
		.doit = m2mgw_nl_info_get,
	},
};

static struct genl_family m2mgw_genl_family __ro_after_init = {
	.name = M2MGW_GENL_NAME,
	.version = M2MGW_GENL_VERSION,
	.maxattr = M2MGW_A_MAX,
	.policy = m2mgw_policy,
	.netnsok = true,
	.module = THIS_MODULE,
	.small_ops = m2mgw_ops,
	.n_small_ops = ARRAY_SIZE(m2mgw_ops),
	.mcgrps = m2mgw_mcgrps,
	.n_mcgrps = ARRAY_SIZE(m2mgw_mcgrps),
};

int __init m2mgw_netlink_init(void)
{
	int err;

	err = genl_register_family(&m2mgw_genl_family);
	if (err)
		return err;
	mutex_lock(&m2mgw_ports_lock);
	m2mgw_nl_events = true;
	mutex_unlock(&m2mgw_ports_lock);
	return 0;
}

void m2mgw_netlink_exit(void)
{
	mutex_lock(&m2mgw_ports_lock);
	m2mgw_nl_events = false;
	mutex_unlock(&m2mgw_ports_lock);
	genl_unregister_family(&m2mgw_genl_family);
}
