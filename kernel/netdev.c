// SPDX-License-Identifier: GPL-2.0
/*
 * Follows the CAN devices that ports capture: up/down changes the port's
 * state, unregister makes it gone and lets go of the device.
 */

#include <linux/if_arp.h>
#include <linux/netdevice.h>
#include <net/net_namespace.h>

#include "port.h"

static int m2mgw_netdev_notify(struct notifier_block *nb, unsigned long event,
			       void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct m2mgw_port *port;
	unsigned long idx = 0;

	if (dev->type != ARPHRD_CAN)
		return NOTIFY_DONE;
	if (event != NETDEV_UP && event != NETDEV_DOWN &&
	    event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;

	/* RTNL is held: the lock order is the one port.h documents. */
	mutex_lock(&m2mgw_ports_lock);
	while ((port = m2mgw_port_next(dev_net(dev), &idx))) {
		idx++;
		if (port->ops == &m2mgw_can_ops)
			m2mgw_can_netdev_event(port, dev, event);
	}
	mutex_unlock(&m2mgw_ports_lock);
	return NOTIFY_DONE;
}

static struct notifier_block m2mgw_netdev_nb = {
	.notifier_call = m2mgw_netdev_notify,
};

/*
 * A namespace going away takes its ports with it.  As device pernet ops
 * registered after the core's, this runs while the namespace's devices
 * still exist, so the ports detach from them normally.
 */
static void __net_exit m2mgw_net_exit(struct net *net)
{
	m2mgw_port_del_net(net);
}

static struct pernet_operations m2mgw_net_ops = {
	.exit = m2mgw_net_exit,
};

int __init m2mgw_netdev_init(void)
{
	int err;

	err = register_netdevice_notifier(&m2mgw_netdev_nb);
	if (err)
		return err;
	err = register_pernet_device(&m2mgw_net_ops);
	if (err)
		goto err_notifier;
	return 0;

err_notifier:
	unregister_netdevice_notifier(&m2mgw_netdev_nb);
	return err;
}

void m2mgw_netdev_exit(void)
{
	unregister_pernet_device(&m2mgw_net_ops);
	unregister_netdevice_notifier(&m2mgw_netdev_nb);
}
