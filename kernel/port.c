// SPDX-License-Identifier: GPL-2.0
/*
 * The port registry: ids, names, lifetime, counters, drop events, and the
 * TX dispatch that /dev/m2mgw writes go through.
 */

#include <linux/percpu.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "port.h"
#include "reader.h"
#include "serial.h"
#include "trace.h"

/* Serialises every port configuration change: see port.h. */
DEFINE_MUTEX(m2mgw_ports_lock);
/* id -> port; readers look up under RCU, writers hold m2mgw_ports_lock. */
static DEFINE_XARRAY(m2mgw_ports);
static u32 m2mgw_next_id = 1;
static unsigned int m2mgw_nr_ports;

static void m2mgw_drop_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(m2mgw_drop_work, m2mgw_drop_work_fn);

/* The stats attribute that counts each drop reason. */
static const u8 m2mgw_drop_attr[M2MGW_DROP_REASONS] = {
	[M2MGW_DROP_RING_FULL] = M2MGW_STATS_A_DROP_RING_FULL,
	[M2MGW_DROP_OVERSIZE] = M2MGW_STATS_A_DROP_OVERSIZE,
	[M2MGW_DROP_NOMEM] = M2MGW_STATS_A_DROP_NOMEM,
	[M2MGW_DROP_FRAMING] = M2MGW_STATS_A_DROP_FRAMING,
	[M2MGW_DROP_OVERRUN] = M2MGW_STATS_A_DROP_OVERRUN,
};

static const struct m2mgw_port_ops *m2mgw_port_types[] = {
	[M2MGW_PORT_CAN] = &m2mgw_can_ops,
	[M2MGW_PORT_SERIAL] = &m2mgw_serial_ops,
};

static void m2mgw_port_free_rcu(struct rcu_head *rcu)
{
	struct m2mgw_port *port = container_of(rcu, struct m2mgw_port, rcu);

	port->ops->free(port->priv);
	free_percpu(port->stats);
	kfree(port);
}

static void m2mgw_port_release(struct kref *ref)
{
	struct m2mgw_port *port = container_of(ref, struct m2mgw_port, ref);

	/* Capture callbacks still running hold no reference, only RCU. */
	call_rcu(&port->rcu, m2mgw_port_free_rcu);
}

void m2mgw_port_put(struct m2mgw_port *port)
{
	kref_put(&port->ref, m2mgw_port_release);
}

/* Called with m2mgw_ports_lock held. */
struct m2mgw_port *m2mgw_port_by_name(struct net *net, const char *name)
{
	struct m2mgw_port *port;
	unsigned long id;

	lockdep_assert_held(&m2mgw_ports_lock);
	xa_for_each(&m2mgw_ports, id, port)
		if (net_eq(port->net, net) && !strcmp(port->name, name))
			return port;
	return NULL;
}

/**
 * m2mgw_port_find() - the port a request names by id or by name.
 * @net: the requester's namespace.
 * @info: the request; errors go to its extack.
 *
 * Return: the port (valid while m2mgw_ports_lock is held) or an ERR_PTR.
 */
struct m2mgw_port *m2mgw_port_find(struct net *net, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	struct m2mgw_port *port = NULL;

	lockdep_assert_held(&m2mgw_ports_lock);
	if (attrs[M2MGW_A_PORT_ID]) {
		port = xa_load(&m2mgw_ports,
			       nla_get_u32(attrs[M2MGW_A_PORT_ID]));
		if (port && !net_eq(port->net, net))
			port = NULL;
		if (!port) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    attrs[M2MGW_A_PORT_ID],
					    "no port with this id");
			return ERR_PTR(-ENOENT);
		}
	} else if (attrs[M2MGW_A_PORT_NAME]) {
		port = m2mgw_port_by_name(net,
					  nla_data(attrs[M2MGW_A_PORT_NAME]));
		if (!port) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    attrs[M2MGW_A_PORT_NAME],
					    "no port with this name");
			return ERR_PTR(-ENOENT);
		}
	} else {
		NL_SET_ERR_MSG(info->extack, "port id or name required");
		return ERR_PTR(-EINVAL);
	}
	return port;
}

/* Iterate ports of @net from *@index; under m2mgw_ports_lock. */
struct m2mgw_port *m2mgw_port_next(struct net *net, unsigned long *index)
{
	struct m2mgw_port *port;

	lockdep_assert_held(&m2mgw_ports_lock);
	xa_for_each_start(&m2mgw_ports, *index, port, *index)
		if (net_eq(port->net, net))
			return port;
	return NULL;
}

/*
 * A port that is not published yet: the caller fills in the type's part
 * and inserts it with m2mgw_port_publish(), or drops it with
 * m2mgw_port_put().
 */
static struct m2mgw_port *m2mgw_port_alloc(struct net *net,
					   const struct m2mgw_port_ops *ops,
					   bool enabled)
{
	struct m2mgw_port *port;

	port = kzalloc(sizeof(*port), GFP_KERNEL_ACCOUNT);
	if (!port)
		return NULL;
	port->stats = netdev_alloc_pcpu_stats(struct m2mgw_port_stats);
	if (!port->stats) {
		kfree(port);
		return NULL;
	}
	kref_init(&port->ref);
	port->ops = ops;
	port->net = net;
	port->state = M2MGW_STATE_DOWN;
	port->enabled = enabled;
	port->id = m2mgw_next_id;
	return port;
}

/* Make @port visible to lookups under the id m2mgw_port_alloc() gave it. */
static int m2mgw_port_publish(struct m2mgw_port *port)
{
	int err;

	err = xa_insert(&m2mgw_ports, port->id, port, GFP_KERNEL);
	if (err)
		return err;
	m2mgw_next_id++;
	m2mgw_nr_ports++;
	return 0;
}

/**
 * m2mgw_port_new() - create a port from a PORT_NEW request.
 * @info: the request, with a validated M2MGW_A_PORT_TYPE.
 *
 * Called with rtnl_lock() and m2mgw_ports_lock held.
 *
 * Return: the new port, visible to lookups, or an ERR_PTR.
 */
struct m2mgw_port *m2mgw_port_new(struct genl_info *info)
{
	u32 type = nla_get_u32(info->attrs[M2MGW_A_PORT_TYPE]);
	struct nlattr *name = info->attrs[M2MGW_A_PORT_NAME];
	struct net *net = genl_info_net(info);
	struct m2mgw_port *port;
	bool enabled;
	int err;

	ASSERT_RTNL();
	lockdep_assert_held(&m2mgw_ports_lock);
	if (type >= ARRAY_SIZE(m2mgw_port_types) || !m2mgw_port_types[type]) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[M2MGW_A_PORT_TYPE],
				    "port type not supported by this module");
		return ERR_PTR(-EOPNOTSUPP);
	}
	if (m2mgw_nr_ports >= M2MGW_MAX_PORTS) {
		NL_SET_ERR_MSG(info->extack, "too many ports");
		return ERR_PTR(-ENOSPC);
	}
	if (name && m2mgw_port_by_name(net, nla_data(name))) {
		NL_SET_ERR_MSG_ATTR(info->extack, name,
				    "a port with this name exists");
		return ERR_PTR(-EEXIST);
	}

	enabled = !info->attrs[M2MGW_A_PORT_ENABLED] ||
		  nla_get_u8(info->attrs[M2MGW_A_PORT_ENABLED]);
	port = m2mgw_port_alloc(net, m2mgw_port_types[type], enabled);
	if (!port)
		return ERR_PTR(-ENOMEM);
	if (name)
		nla_strscpy(port->name, name, sizeof(port->name));

	err = port->ops->create(port, info);
	if (err)
		goto err_free;
	/* The type may have named it after its device. */
	if (!name && m2mgw_port_by_name(net, port->name)) {
		NL_SET_ERR_MSG(info->extack,
			       "a port named after this device exists");
		err = -EEXIST;
		goto err_destroy;
	}
	err = m2mgw_port_publish(port);
	if (err)
		goto err_destroy;
	return port;

err_destroy:
	port->ops->destroy(port);
err_free:
	m2mgw_port_put(port);
	return ERR_PTR(err);
}

/**
 * m2mgw_port_new_attached() - register a port its device created.
 * @net: the namespace it belongs to.
 * @ops: its type.
 * @name: its name.
 * @priv: the type's state, owned by the port on success.
 *
 * For a tty given the m2mgw line discipline with TIOCSETD (serial.c):
 * there is no request, the device is already attached.  Called with
 * rtnl_lock() and m2mgw_ports_lock held.
 *
 * Return: the new port, visible to lookups, or an ERR_PTR.
 */
struct m2mgw_port *m2mgw_port_new_attached(struct net *net,
					   const struct m2mgw_port_ops *ops,
					   const char *name, void *priv)
{
	struct m2mgw_port *port;
	int err;

	ASSERT_RTNL();
	lockdep_assert_held(&m2mgw_ports_lock);
	if (m2mgw_nr_ports >= M2MGW_MAX_PORTS)
		return ERR_PTR(-ENOSPC);
	if (m2mgw_port_by_name(net, name))
		return ERR_PTR(-EEXIST);
	port = m2mgw_port_alloc(net, ops, true);
	if (!port)
		return ERR_PTR(-ENOMEM);
	strscpy(port->name, name, sizeof(port->name));
	port->priv = priv;
	err = m2mgw_port_publish(port);
	if (err) {
		/* @priv stays the caller's. */
		port->priv = NULL;
		m2mgw_port_put(port);
		return ERR_PTR(err);
	}
	return port;
}

/**
 * m2mgw_port_del() - unpublish and destroy a port.
 * @port: a registered port.
 *
 * Called with rtnl_lock() and m2mgw_ports_lock held.  Readers lose their
 * subscriptions; the memory goes after a grace period.
 */
void m2mgw_port_del(struct m2mgw_port *port)
{
	ASSERT_RTNL();
	lockdep_assert_held(&m2mgw_ports_lock);
	xa_erase(&m2mgw_ports, port->id);
	m2mgw_nr_ports--;
	port->ops->destroy(port);
	/*
	 * No capture callback starts any more; wait for those still running
	 * so that no frame of this port reaches a ring after PORT_DEL.
	 */
	synchronize_rcu();
	m2mgw_readers_port_del(port->id);
	m2mgw_port_put(port);
}

void m2mgw_port_set_state(struct m2mgw_port *port, u32 state)
{
	u32 old = port->state;

	lockdep_assert_held(&m2mgw_ports_lock);
	if (old == state)
		return;
	WRITE_ONCE(port->state, state);
	trace_port_state(port->id, old, state);
	m2mgw_nl_port_event(port, M2MGW_CMD_PORT_STATE);
}

void m2mgw_port_set_enabled(struct m2mgw_port *port, bool enabled)
{
	lockdep_assert_held(&m2mgw_ports_lock);
	WRITE_ONCE(port->enabled, enabled);
	port->ops->enable(port);
}

void m2mgw_port_rx(struct m2mgw_port *port, u32 bytes, unsigned int full)
{
	struct m2mgw_port_stats *s = this_cpu_ptr(port->stats);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&s->syncp);
	u64_stats_inc(&s->rx_frames);
	u64_stats_add(&s->rx_bytes, bytes);
	u64_stats_update_end_irqrestore(&s->syncp, flags);
	if (full)
		m2mgw_port_drop(port, M2MGW_DROP_RING_FULL, full);
}

void m2mgw_port_tx_done(struct m2mgw_port *port, u32 bytes, int err)
{
	struct m2mgw_port_stats *s;
	unsigned long flags;

	s = get_cpu_ptr(port->stats);
	flags = u64_stats_update_begin_irqsave(&s->syncp);
	if (err) {
		u64_stats_inc(&s->tx_errors);
	} else {
		u64_stats_inc(&s->tx_frames);
		u64_stats_add(&s->tx_bytes, bytes);
	}
	u64_stats_update_end_irqrestore(&s->syncp, flags);
	put_cpu_ptr(port->stats);
}

void m2mgw_port_filtered(struct m2mgw_port *port)
{
	struct m2mgw_port_stats *s = this_cpu_ptr(port->stats);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&s->syncp);
	u64_stats_inc(&s->filtered);
	u64_stats_update_end_irqrestore(&s->syncp, flags);
}

void m2mgw_port_drop(struct m2mgw_port *port, enum m2mgw_drop_reason reason,
		     u32 count)
{
	struct m2mgw_port_stats *s;
	unsigned long flags;

	s = get_cpu_ptr(port->stats);
	flags = u64_stats_update_begin_irqsave(&s->syncp);
	u64_stats_add(&s->drops[reason], count);
	u64_stats_update_end_irqrestore(&s->syncp, flags);
	put_cpu_ptr(port->stats);
	trace_drop(port->id, reason, count);
	/* Announced from process context, at most once per interval. */
	schedule_delayed_work(&m2mgw_drop_work,
			      msecs_to_jiffies(M2MGW_DROP_EVENT_MS));
}

void m2mgw_port_stats_sum(const struct m2mgw_port *port,
			  u64 out[M2MGW_STATS_A_MAX + 1])
{
	u64 v[M2MGW_STATS_A_MAX + 1];
	unsigned int start, r;
	int cpu;

	memset(out, 0, sizeof(u64) * (M2MGW_STATS_A_MAX + 1));
	for_each_possible_cpu(cpu) {
		const struct m2mgw_port_stats *s =
			per_cpu_ptr(port->stats, cpu);

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			v[M2MGW_STATS_A_RX_FRAMES] =
				u64_stats_read(&s->rx_frames);
			v[M2MGW_STATS_A_RX_BYTES] =
				u64_stats_read(&s->rx_bytes);
			v[M2MGW_STATS_A_TX_FRAMES] =
				u64_stats_read(&s->tx_frames);
			v[M2MGW_STATS_A_TX_BYTES] =
				u64_stats_read(&s->tx_bytes);
			v[M2MGW_STATS_A_TX_ERRORS] =
				u64_stats_read(&s->tx_errors);
			v[M2MGW_STATS_A_FILTERED] =
				u64_stats_read(&s->filtered);
			for (r = 0; r < M2MGW_DROP_REASONS; r++)
				v[m2mgw_drop_attr[r]] =
					u64_stats_read(&s->drops[r]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (r = 0; r <= M2MGW_STATS_A_MAX; r++)
			out[r] += v[r];
	}
	out[M2MGW_STATS_A_UNSPEC] = 0;
	out[M2MGW_STATS_A_PAD] = 0;
}

void m2mgw_port_capture(struct m2mgw_port *port, u16 type, u16 flags,
			u64 tstamp_ns, const void *payload, u32 len,
			u32 data_bytes)
{
	struct m2mgw_rec hdr = {
		.len = M2MGW_REC_HDR_LEN + len,
		.port_id = port->id,
		.type = type,
		.flags = flags,
		.tstamp_ns = tstamp_ns,
	};

	/* One number per captured frame, the same in every reader's ring. */
	hdr.seq = atomic64_fetch_add(1, &port->seq);
	m2mgw_port_rx(port, data_bytes, m2mgw_deliver(&hdr, payload, len));
}

static void m2mgw_drop_work_fn(struct work_struct *work)
{
	u64 sum[M2MGW_STATS_A_MAX + 1];
	struct m2mgw_port *port;
	unsigned long id;
	unsigned int r;

	mutex_lock(&m2mgw_ports_lock);
	xa_for_each(&m2mgw_ports, id, port) {
		m2mgw_port_stats_sum(port, sum);
		for (r = 0; r < M2MGW_DROP_REASONS; r++) {
			u64 now = sum[m2mgw_drop_attr[r]];

			if (now == port->drops_reported[r])
				continue;
			m2mgw_nl_drop_event(port, r,
					    now - port->drops_reported[r]);
			port->drops_reported[r] = now;
		}
	}
	mutex_unlock(&m2mgw_ports_lock);
}

int m2mgw_port_exists(u32 port_id)
{
	int ret;

	rcu_read_lock();
	ret = xa_load(&m2mgw_ports, port_id) ? 0 : -ENOENT;
	rcu_read_unlock();
	return ret;
}

static struct m2mgw_port *m2mgw_port_get(u32 port_id)
{
	struct m2mgw_port *port;

	rcu_read_lock();
	port = xa_load(&m2mgw_ports, port_id);
	if (port && !kref_get_unless_zero(&port->ref))
		port = NULL;
	rcu_read_unlock();
	return port;
}

int m2mgw_port_tx_check(const struct m2mgw_rec *rec, u32 payload_len)
{
	struct m2mgw_port *port = m2mgw_port_get(rec->port_id);
	int err;

	if (!port)
		return -ENODEV;
	if (!READ_ONCE(port->enabled) ||
	    READ_ONCE(port->state) != M2MGW_STATE_UP)
		err = -ENETDOWN;
	else
		err = port->ops->tx_check(port, rec, payload_len);
	m2mgw_port_put(port);
	return err;
}

int m2mgw_port_tx(const struct m2mgw_rec *rec, u32 payload_len, bool nonblock)
{
	struct m2mgw_port *port = m2mgw_port_get(rec->port_id);
	int err;

	if (!port)
		return -ENODEV;
	if (!READ_ONCE(port->enabled))
		err = -ENETDOWN;
	else
		err = port->ops->tx(port, rec, payload_len, nonblock);
	/* ops->tx returns the data bytes it sent; a full queue is no error. */
	if (err != -EAGAIN)
		m2mgw_port_tx_done(port, err < 0 ? 0 : err, err < 0 ? err : 0);
	m2mgw_port_put(port);
	return err < 0 ? err : 0;
}

/**
 * m2mgw_port_del_net() - destroy every port of a namespace.
 * @net: a namespace being dismantled.
 *
 * Ports do not hold their namespace; they must not outlive it, or a
 * later event would be sent into freed memory.
 */
void m2mgw_port_del_net(struct net *net)
{
	struct m2mgw_port *port;
	unsigned long id;

	rtnl_lock();
	mutex_lock(&m2mgw_ports_lock);
	xa_for_each(&m2mgw_ports, id, port)
		if (net_eq(port->net, net))
			m2mgw_port_del(port);
	mutex_unlock(&m2mgw_ports_lock);
	rtnl_unlock();
}

/* Module exit: no netlink any more, so nothing can add ports. */
void m2mgw_port_exit(void)
{
	struct m2mgw_port *port;
	unsigned long id;

	rtnl_lock();
	mutex_lock(&m2mgw_ports_lock);
	xa_for_each(&m2mgw_ports, id, port)
		m2mgw_port_del(port);
	mutex_unlock(&m2mgw_ports_lock);
	rtnl_unlock();
	cancel_delayed_work_sync(&m2mgw_drop_work);
	/* Wait for the ports' RCU frees before the module text goes. */
	rcu_barrier();
}
