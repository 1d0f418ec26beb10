// SPDX-License-Identifier: GPL-2.0
/*
 * m2mgw: CAN and serial frames to userspace through per-reader mmap
 * rings (/dev/m2mgw), controlled over the generic netlink family "m2mgw".
 * The contract is include/uapi/linux/m2mgw.h.
 */

#include <linux/module.h>

#include "port.h"
#include "reader.h"
#include "serial.h"

static int __init m2mgw_init(void)
{
	int err;

	err = m2mgw_netdev_init();
	if (err)
		return err;
	err = m2mgw_chrdev_init();
	if (err)
		goto err_netdev;
	err = m2mgw_serial_init();
	if (err)
		goto err_chrdev;
	/* Last: ports can be created once everything they use is ready. */
	err = m2mgw_netlink_init();
	if (err)
		goto err_serial;
	pr_info("version %s, uapi %d\n", THIS_MODULE->version,
		M2MGW_UAPI_VERSION);
	return 0;

err_serial:
	m2mgw_serial_exit();
err_chrdev:
	m2mgw_chrdev_exit();
err_netdev:
	m2mgw_netdev_exit();
	return err;
}

static void __exit m2mgw_exit(void)
{
	/* First: its pending work may still send events. */
	m2mgw_serial_exit();
	m2mgw_netlink_exit();
	m2mgw_port_exit();
	m2mgw_chrdev_exit();
	m2mgw_netdev_exit();
}

module_init(m2mgw_init);
module_exit(m2mgw_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("M2M gateway: CAN and serial frames to zero-copy rings");
MODULE_VERSION("0.1.0");
MODULE_ALIAS_GENL_FAMILY(M2MGW_GENL_NAME);
