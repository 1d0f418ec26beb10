// SPDX-License-Identifier: GPL-2.0
/*
 * CAN ports: capture with can_rx_register(), one receiver per filter as
 * CAN_RAW sockets do, and send with can_send().
 */

#include <linux/can.h>
#include <linux/can/core.h>
#include <linux/can/skb.h>
#include <linux/if_arp.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/slab.h>

#include "port.h"
#include "trace.h"

/* Remembers the last skb seen on this CPU: see m2mgw_can_rcv(). */
struct m2mgw_can_uniq {
	const struct sk_buff *skb;
	int skbcnt;
};

/**
 * struct m2mgw_can - a CAN port's state.
 * @dev: the device, held; NULL once it was unregistered.  Written under
 *	RTNL, read by TX under RCU.
 * @tracker: reference tracker for @dev.
 * @ifindex: the device's index, kept after it is gone for PORT_GET.
 * @ifname: ditto.
 * @filters: the registered filters (catch-all when @nfilters is 0).
 * @nfilters: how many.
 * @registered: whether @filters are registered with af_can.
 * @uniq: per-CPU last skb, so a frame matching several filters is
 *	captured once.
 */
struct m2mgw_can {
	struct net_device __rcu *dev;
	netdevice_tracker tracker;
	int ifindex;
	char ifname[IFNAMSIZ];
	struct can_filter *filters;
	int nfilters;
	bool registered;
	struct m2mgw_can_uniq __percpu *uniq;
};

/*
 * A port without filters captures everything: all data frames, and, as a
 * CAN_RAW socket with an error mask would, all error frames, which af_can
 * only hands to receivers whose mask has CAN_ERR_FLAG.
 */
static const struct can_filter m2mgw_can_all[] = {
	{ .can_id = 0, .can_mask = 0 },
	{ .can_id = 0, .can_mask = CAN_ERR_FLAG | CAN_ERR_MASK },
};

static struct m2mgw_can *m2mgw_can(const struct m2mgw_port *port)
{
	return port->priv;
}

static u64 m2mgw_can_tstamp(const struct sk_buff *skb, u16 *flags)
{
	ktime_t hw = skb_hwtstamps((struct sk_buff *)skb)->hwtstamp;

	if (hw) {
		*flags |= M2MGW_RECF_TS_HW;
		return ktime_to_ns(hw);
	}
	if (skb->tstamp) {
		*flags |= M2MGW_RECF_TS_SKB;
		return ktime_to_ns(skb->tstamp);
	}
	*flags |= M2MGW_RECF_TS_NOW;
	return ktime_get_real_ns();
}

/* softirq, any CPU, concurrently; must not sleep nor free the skb. */
static void m2mgw_can_rcv(struct sk_buff *skb, void *data)
{
	struct m2mgw_port *port = data;
	struct m2mgw_can *can = m2mgw_can(port);
	const struct canfd_frame *cf = (const void *)skb->data;
	struct m2mgw_can_uniq *uniq;
	u16 type, flags = 0;
	u64 ts;

	/*
	 * Overlapping filters deliver the same skb once per match; skbcnt
	 * tells a new skb at a recycled address from the same one.
	 */
	uniq = this_cpu_ptr(can->uniq);
	if (uniq->skb == skb && uniq->skbcnt == can_skb_prv(skb)->skbcnt)
		return;
	uniq->skb = skb;
	uniq->skbcnt = can_skb_prv(skb)->skbcnt;

	if (!READ_ONCE(port->enabled) || skb_is_nonlinear(skb))
		return;
	if (can_is_canxl_skb(skb))
		type = M2MGW_REC_CANXL;
	else if (can_is_canfd_skb(skb))
		type = M2MGW_REC_CANFD;
	else if (can_is_can_skb(skb))
		type = M2MGW_REC_CAN;
	else
		return;

	/*
	 * Sent from a socket on this host: af_can loops such frames back
	 * with the sender as owner (can-raw's MSG_DONTROUTE rule).
	 */
	if (skb->sk || skb->pkt_type == PACKET_LOOPBACK)
		flags |= M2MGW_RECF_TX_ECHO;
	if (type != M2MGW_REC_CANXL && (cf->can_id & CAN_ERR_FLAG))
		flags |= M2MGW_RECF_ERR_FRAME;
	ts = m2mgw_can_tstamp(skb, &flags);
	m2mgw_port_capture(port, type, flags, ts, skb->data, skb->len,
			   can_skb_get_data_len(skb));
}

static int m2mgw_can_register(struct m2mgw_port *port,
			      const struct can_filter *f, int n)
{
	struct m2mgw_can *can = m2mgw_can(port);
	struct net_device *dev = rtnl_dereference(can->dev);
	int i, err;

	ASSERT_RTNL();
	if (!n) {
		f = m2mgw_can_all;
		n = ARRAY_SIZE(m2mgw_can_all);
	}
	for (i = 0; i < n; i++) {
		err = can_rx_register(port->net, dev, f[i].can_id,
				      f[i].can_mask, m2mgw_can_rcv, port,
				      "m2mgw", NULL);
		if (err)
			goto err_undo;
	}
	return 0;

err_undo:
	while (--i >= 0)
		can_rx_unregister(port->net, dev, f[i].can_id, f[i].can_mask,
				  m2mgw_can_rcv, port);
	return err;
}

static void m2mgw_can_unregister(struct m2mgw_port *port,
				 const struct can_filter *f, int n)
{
	struct m2mgw_can *can = m2mgw_can(port);
	struct net_device *dev = rtnl_dereference(can->dev);
	int i;

	ASSERT_RTNL();
	if (!n) {
		f = m2mgw_can_all;
		n = ARRAY_SIZE(m2mgw_can_all);
	}
	/* af_can frees its receivers after a grace period. */
	for (i = 0; i < n; i++)
		can_rx_unregister(port->net, dev, f[i].can_id, f[i].can_mask,
				  m2mgw_can_rcv, port);
}

/* Parse M2MGW_A_FILTERS into a new array (NULL and 0 for none). */
static int m2mgw_can_parse_filters(struct genl_info *info,
				   struct can_filter **out, int *nout)
{
	struct nlattr *nest = info->attrs[M2MGW_A_FILTERS], *a;
	struct can_filter *f;
	int rem, n = 0;

	*out = NULL;
	*nout = 0;
	nla_for_each_nested(a, nest, rem)
		n++;
	if (n > M2MGW_MAX_FILTERS) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest, "too many filters");
		return -E2BIG;
	}
	if (!n)
		return 0;
	f = kcalloc(n, sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	n = 0;
	/* The policy checked each entry's type and exact size. */
	nla_for_each_nested(a, nest, rem)
		memcpy(&f[n++], nla_data(a), sizeof(*f));
	*out = f;
	*nout = n;
	return 0;
}

static u32 m2mgw_can_state(const struct m2mgw_port *port)
{
	struct net_device *dev = rtnl_dereference(m2mgw_can(port)->dev);

	if (!dev)
		return M2MGW_STATE_GONE;
	return port->enabled && (dev->flags & IFF_UP) ? M2MGW_STATE_UP :
							M2MGW_STATE_DOWN;
}

static int m2mgw_can_create(struct m2mgw_port *port, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	struct net_device *dev;
	struct m2mgw_can *can;
	struct m2mgw_port *p;
	unsigned long idx = 0;
	int err;

	if (attrs[M2MGW_A_IFNAME]) {
		dev = __dev_get_by_name(port->net,
					nla_data(attrs[M2MGW_A_IFNAME]));
	} else if (attrs[M2MGW_A_IFINDEX]) {
		dev = __dev_get_by_index(port->net,
					 nla_get_u32(attrs[M2MGW_A_IFINDEX]));
	} else {
		NL_SET_ERR_MSG(info->extack,
			       "a CAN port needs an ifname or ifindex");
		return -EINVAL;
	}
	if (!dev) {
		NL_SET_ERR_MSG(info->extack, "no such network device");
		return -ENODEV;
	}
	if (dev->type != ARPHRD_CAN) {
		NL_SET_ERR_MSG(info->extack, "not a CAN network device");
		return -EPROTOTYPE;
	}
	while ((p = m2mgw_port_next(port->net, &idx))) {
		idx++;
		if (p->ops == &m2mgw_can_ops &&
		    rtnl_dereference(m2mgw_can(p)->dev) == dev) {
			NL_SET_ERR_MSG(info->extack,
				       "a port already captures this device");
			return -EEXIST;
		}
	}

	can = kzalloc(sizeof(*can), GFP_KERNEL_ACCOUNT);
	if (!can)
		return -ENOMEM;
	port->priv = can;
	can->uniq = alloc_percpu(struct m2mgw_can_uniq);
	if (!can->uniq)
		return -ENOMEM;
	if (attrs[M2MGW_A_FILTERS]) {
		err = m2mgw_can_parse_filters(info, &can->filters,
					      &can->nfilters);
		if (err)
			goto err_free;
	}
	can->ifindex = dev->ifindex;
	strscpy(can->ifname, dev->name, sizeof(can->ifname));
	if (!port->name[0])
		strscpy(port->name, dev->name, sizeof(port->name));
	netdev_hold(dev, &can->tracker, GFP_KERNEL);
	rcu_assign_pointer(can->dev, dev);

	err = m2mgw_can_register(port, can->filters, can->nfilters);
	if (err) {
		NL_SET_ERR_MSG(info->extack, "cannot register CAN receivers");
		goto err_put;
	}
	can->registered = true;
	/* skb->tstamp for every received frame while a port exists. */
	net_enable_timestamp();
	port->state = m2mgw_can_state(port);
	return 0;

err_put:
	RCU_INIT_POINTER(can->dev, NULL);
	netdev_put(dev, &can->tracker);
err_free:
	/* The rest goes with the port, through m2mgw_can_free(). */
	return err;
}

/* Stop capturing and let go of the device; RTNL held. */
static void m2mgw_can_detach(struct m2mgw_port *port)
{
	struct m2mgw_can *can = m2mgw_can(port);
	struct net_device *dev = rtnl_dereference(can->dev);

	if (!dev)
		return;
	if (can->registered) {
		m2mgw_can_unregister(port, can->filters, can->nfilters);
		can->registered = false;
		net_disable_timestamp();
	}
	/*
	 * A TX that read the pointer takes its own reference before any
	 * grace period ends; the device cannot be freed before one does
	 * (unregistering waits in synchronize_net()), so ours can go now.
	 */
	RCU_INIT_POINTER(can->dev, NULL);
	netdev_put(dev, &can->tracker);
}

static void m2mgw_can_destroy(struct m2mgw_port *port)
{
	m2mgw_can_detach(port);
}

/* After a grace period: no receive callback can be using it any more. */
static void m2mgw_can_free(void *priv)
{
	struct m2mgw_can *can = priv;

	if (!can)
		return;
	free_percpu(can->uniq);
	kfree(can->filters);
	kfree(can);
}

void m2mgw_can_netdev_event(struct m2mgw_port *port, struct net_device *dev,
			    unsigned long event)
{
	struct m2mgw_can *can = m2mgw_can(port);

	if (rtnl_dereference(can->dev) != dev)
		return;
	if (event == NETDEV_UNREGISTER)
		m2mgw_can_detach(port);
	m2mgw_port_set_state(port, m2mgw_can_state(port));
}

static int m2mgw_can_set(struct m2mgw_port *port, struct genl_info *info)
{
	struct m2mgw_can *can = m2mgw_can(port);
	struct can_filter *f;
	int n, err;

	if (!info->attrs[M2MGW_A_FILTERS])
		return 0;
	if (!rtnl_dereference(can->dev)) {
		NL_SET_ERR_MSG(info->extack, "the port's device is gone");
		return -ENODEV;
	}
	err = m2mgw_can_parse_filters(info, &f, &n);
	if (err)
		return err;
	/* New receivers first: no frame slips through while we switch. */
	err = m2mgw_can_register(port, f, n);
	if (err) {
		NL_SET_ERR_MSG(info->extack, "cannot register CAN receivers");
		kfree(f);
		return err;
	}
	m2mgw_can_unregister(port, can->filters, can->nfilters);
	kfree(can->filters);
	can->filters = f;
	can->nfilters = n;
	return 0;
}

static int m2mgw_can_fill(struct sk_buff *skb, const struct m2mgw_port *port)
{
	const struct m2mgw_can *can = m2mgw_can(port);
	struct nlattr *nest;
	int i;

	if (nla_put_string(skb, M2MGW_A_IFNAME, can->ifname) ||
	    nla_put_u32(skb, M2MGW_A_IFINDEX, can->ifindex))
		return -EMSGSIZE;
	nest = nla_nest_start(skb, M2MGW_A_FILTERS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < can->nfilters; i++)
		if (nla_put(skb, M2MGW_FILTER_A_CAN, sizeof(can->filters[i]),
			    &can->filters[i]))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static void m2mgw_can_enable(struct m2mgw_port *port)
{
	m2mgw_port_set_state(port, m2mgw_can_state(port));
}

/*
 * The lengths a CAN FD DLC can express.  can_fd_len2dlc() would do, but
 * lives in the can-dev module, which a port on vcan must not need.
 */
static bool m2mgw_canfd_len_valid(u8 len)
{
	switch (len) {
	case 0 ... 8:
	case 12:
	case 16:
	case 20:
	case 24:
	case 32:
	case 48:
	case 64:
		return true;
	default:
		return false;
	}
}

static int m2mgw_can_tx_check(struct m2mgw_port *port,
			      const struct m2mgw_rec *rec, u32 len)
{
	const struct canxl_frame *cxl = (const void *)rec->data;
	const struct canfd_frame *cfd = (const void *)rec->data;
	struct net_device *dev;
	unsigned int mtu;

	switch (rec->type) {
	case M2MGW_REC_CAN:
		if (len != CAN_MTU || cfd->len > CAN_MAX_DLEN)
			return -EINVAL;
		break;
	case M2MGW_REC_CANFD:
		if (len != CANFD_MTU || !m2mgw_canfd_len_valid(cfd->len))
			return -EINVAL;
		break;
	case M2MGW_REC_CANXL:
		if (len < CANXL_HDR_SIZE + CANXL_MIN_DLEN || len > CANXL_MTU ||
		    len != CANXL_HDR_SIZE + cxl->len ||
		    !(cxl->flags & CANXL_XLF))
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	rcu_read_lock();
	dev = rcu_dereference(m2mgw_can(port)->dev);
	mtu = dev ? READ_ONCE(dev->mtu) : 0;
	rcu_read_unlock();
	if (!mtu)
		return -ENETDOWN;
	/* An FD frame on a classic-only device, as can_send() would say. */
	return len > mtu ? -EINVAL : 0;
}

static int m2mgw_can_tx(struct m2mgw_port *port, const struct m2mgw_rec *rec,
			u32 len, bool nonblock)
{
	struct net_device *dev;
	struct sk_buff *skb;
	int err, bytes;

	rcu_read_lock();
	dev = rcu_dereference(m2mgw_can(port)->dev);
	if (dev)
		dev_hold(dev);
	rcu_read_unlock();
	if (!dev)
		return -ENETDOWN;

	skb = alloc_skb(len + sizeof(struct can_skb_priv), GFP_KERNEL);
	if (!skb) {
		err = -ENOMEM;
		goto out;
	}
	can_skb_reserve(skb);
	can_skb_prv(skb)->ifindex = dev->ifindex;
	can_skb_prv(skb)->skbcnt = 0;
	skb_put_data(skb, rec->data, len);
	skb->dev = dev;
	bytes = can_skb_get_data_len(skb);
	/* Loop back so local listeners (candump, other readers) see it. */
	err = can_send(skb, 1);
	if (!err)
		err = bytes;
out:
	trace_tx(rec, *(const u32 *)rec->data, err < 0 ? err : 0);
	dev_put(dev);
	return err;
}

const struct m2mgw_port_ops m2mgw_can_ops = {
	.type = M2MGW_PORT_CAN,
	.create = m2mgw_can_create,
	.destroy = m2mgw_can_destroy,
	.free = m2mgw_can_free,
	.set = m2mgw_can_set,
	.fill = m2mgw_can_fill,
	.enable = m2mgw_can_enable,
	.tx_check = m2mgw_can_tx_check,
	.tx = m2mgw_can_tx,
};
