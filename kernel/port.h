/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ports: one CAN netdev or one tty each.  The port layer owns the id
 * space, lifetime (kref + RCU), counters and the netlink-visible state;
 * each type plugs in through struct m2mgw_port_ops (can.c, serial.c).
 *
 * Locking: every configuration change (create, destroy, set, state) runs
 * under rtnl_lock() and then m2mgw_ports_lock, in that order, which is
 * also the order the netdevice notifier sees them in.  Capture paths
 * (softirq, tty workers) take neither: they hold the port through the
 * type's own registration (can_rx_register(), the ldisc) and RCU.
 */
#ifndef _M2MGW_PORT_H
#define _M2MGW_PORT_H

#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/rcupdate.h>
#include <linux/u64_stats_sync.h>
#include <net/genetlink.h>
#include <uapi/linux/m2mgw.h>

#define M2MGW_DROP_REASONS (M2MGW_DROP_OVERRUN + 1)

struct m2mgw_port;

/**
 * struct m2mgw_port_ops - what a port type provides.
 * @type: enum m2mgw_port_type.
 * @create: attach to the device named in @info's attributes; set
 *	port->name if the request had none; report errors through extack.
 *	Called with the port not yet visible.
 * @destroy: detach; after it returns no capture callback runs any more
 *	(an RCU grace period later, see m2mgw_port_put()).  May sleep.
 * @free: free the type's state (port->priv, may be NULL) once no capture
 *	callback can see it: called from an RCU callback, must not sleep.
 * @set: apply the type's attributes of a PORT_SET request.
 * @fill: add the type's attributes to a netlink message.
 * @enable: the port was enabled or disabled; recompute the state.
 * @tx_check: validate one TX record without sending it.
 * @tx: send one record.  May sleep.  Returns the data bytes sent (the
 *	frame's payload, for the byte counters) or a negative errno.
 */
struct m2mgw_port_ops {
	enum m2mgw_port_type type;
	int (*create)(struct m2mgw_port *port, struct genl_info *info);
	void (*destroy)(struct m2mgw_port *port);
	void (*free)(void *priv);
	int (*set)(struct m2mgw_port *port, struct genl_info *info);
	int (*fill)(struct sk_buff *skb, const struct m2mgw_port *port);
	void (*enable)(struct m2mgw_port *port);
	int (*tx_check)(struct m2mgw_port *port, const struct m2mgw_rec *rec,
			u32 len);
	int (*tx)(struct m2mgw_port *port, const struct m2mgw_rec *rec, u32 len,
		  bool nonblock);
};

struct m2mgw_port_stats {
	u64_stats_t rx_frames;
	u64_stats_t rx_bytes;
	u64_stats_t tx_frames;
	u64_stats_t tx_bytes;
	u64_stats_t tx_errors;
	u64_stats_t filtered;
	u64_stats_t drops[M2MGW_DROP_REASONS];
	struct u64_stats_sync syncp;
};

/**
 * struct m2mgw_port - a port.
 * @id: never reused while the module is loaded.
 * @name: unique, NUL-terminated.
 * @ops: the type's operations.
 * @net: the namespace it was created in (not referenced: its devices
 *	go away, and with them the port's device, before it does).
 * @ref: the registry holds one reference; TX holds one while sending.
 * @state: enum m2mgw_port_state, changed under m2mgw_ports_lock, read
 *	anywhere with READ_ONCE().
 * @enabled: read locklessly by the capture path.
 * @seq: next frame sequence number.
 * @stats: per-CPU counters.
 * @drops_reported: drop counts already announced by events.
 * @priv: the type's state.
 * @rcu: frees the port after capture callbacks are done with it.
 */
struct m2mgw_port {
	u32 id;
	char name[M2MGW_NAME_MAX];
	const struct m2mgw_port_ops *ops;
	struct net *net;
	struct kref ref;
	u32 state;
	bool enabled;
	atomic64_t seq;
	struct m2mgw_port_stats __percpu *stats;
	u64 drops_reported[M2MGW_DROP_REASONS];
	void *priv;
	struct rcu_head rcu;
};

extern struct mutex m2mgw_ports_lock;
extern const struct m2mgw_port_ops m2mgw_can_ops;

void m2mgw_port_exit(void);
void m2mgw_port_del_net(struct net *net);

struct m2mgw_port *m2mgw_port_new(struct genl_info *info);
struct m2mgw_port *m2mgw_port_new_attached(struct net *net,
					   const struct m2mgw_port_ops *ops,
					   const char *name, void *priv);
void m2mgw_port_del(struct m2mgw_port *port);
struct m2mgw_port *m2mgw_port_find(struct net *net, struct genl_info *info);
struct m2mgw_port *m2mgw_port_by_name(struct net *net, const char *name);
struct m2mgw_port *m2mgw_port_next(struct net *net, unsigned long *index);
void m2mgw_port_put(struct m2mgw_port *port);
void m2mgw_port_set_state(struct m2mgw_port *port, u32 state);
void m2mgw_port_set_enabled(struct m2mgw_port *port, bool enabled);

/* Counters; any context. */
void m2mgw_port_rx(struct m2mgw_port *port, u32 bytes, unsigned int full);
void m2mgw_port_tx_done(struct m2mgw_port *port, u32 bytes, int err);
void m2mgw_port_drop(struct m2mgw_port *port, enum m2mgw_drop_reason reason,
		     u32 count);
void m2mgw_port_filtered(struct m2mgw_port *port);
void m2mgw_port_stats_sum(const struct m2mgw_port *port,
			  u64 out[M2MGW_STATS_A_MAX + 1]);

/* Fill the header of a captured frame and hand it to the readers. */
void m2mgw_port_capture(struct m2mgw_port *port, u16 type, u16 flags,
			u64 tstamp_ns, const void *payload, u32 len,
			u32 data_bytes);

/* For /dev/m2mgw (chrdev.c). */
int m2mgw_port_exists(u32 port_id);
int m2mgw_port_tx_check(const struct m2mgw_rec *rec, u32 payload_len);
int m2mgw_port_tx(const struct m2mgw_rec *rec, u32 payload_len, bool nonblock);

/* netlink.c */
int m2mgw_netlink_init(void);
void m2mgw_netlink_exit(void);
void m2mgw_nl_port_event(struct m2mgw_port *port, u8 cmd);
void m2mgw_nl_drop_event(struct m2mgw_port *port, u32 reason, u64 count);

/* netdev.c */
int m2mgw_netdev_init(void);
void m2mgw_netdev_exit(void);
void m2mgw_can_netdev_event(struct m2mgw_port *port, struct net_device *dev,
			    unsigned long event);

#endif /* _M2MGW_PORT_H */
