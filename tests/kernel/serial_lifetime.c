// SPDX-License-Identifier: GPL-2.0
/*
 * Serial port lifetime against the module: while a tty has the m2mgw
 * line discipline the module is in use (the ldisc holds a reference, as
 * for any ldisc module) and rmmod is refused, cleanly; once the tty hung
 * up (port GONE) or the port was deleted, rmmod succeeds, also with a
 * GONE port still registered.  The harness checks dmesg afterwards.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "serial_testlib.h"

static int module_loaded(void)
{
	struct stat st;

	return !stat("/sys/module/m2mgw", &st);
}

static int reload(void)
{
	const char *ko = getenv("M2MGW_KO");

	if (module_loaded())
		return 0;
	return ko ? tl_sh("insmod %s", ko) : -1;
}

TEST(rmmod_refused_while_attached_clean_with_gone_port)
{
	struct sp p;

	ASSERT_EQ(0, sp_open(&p, B9600));
	/* The ring's fd holds the module too: close it first. */
	m2mgw_ring_close(&p.ring);
	p.ring.fd = -1;
	EXPECT_NE(0, tl_sh("rmmod m2mgw 2>/dev/null"));
	ASSERT_TRUE(module_loaded());
	/* Hang the slave up: the ldisc goes, the port stays GONE. */
	close(p.master);
	p.master = -1;
	ASSERT_EQ(0, sp_wait_state(&p.nl, p.port, M2MGW_STATE_GONE, 5000));
	EXPECT_EQ(0, tl_sh("rmmod m2mgw"));
	EXPECT_FALSE(module_loaded());
	p.port = 0;
	close(p.slave);
	p.slave = -1;
	tl_nl_close(&p.nl);
	ASSERT_EQ(0, reload());
}

TEST(rmmod_refused_with_a_kernel_opened_uart_until_port_del)
{
	struct tl_reply r;
	struct tl_nl nl;
	struct nl_msg *msg;
	int fd;

	fd = open("/dev/ttyS1", O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		SKIP(return, "no ttyS1 (M2MGW_VM_UARTS=0?)");
	close(fd);
	ASSERT_EQ(0, reload());
	ASSERT_EQ(0, tl_nl_open(&nl));
	msg = tl_msg(&nl, M2MGW_CMD_PORT_NEW);
	nla_put_u32(msg, M2MGW_A_PORT_TYPE, M2MGW_PORT_SERIAL);
	nla_put_string(msg, M2MGW_A_TTY, "ttyS1");
	ASSERT_EQ(0, tl_nl_call(&nl, msg, &r));
	EXPECT_NE(0, tl_sh("rmmod m2mgw 2>/dev/null"));
	ASSERT_TRUE(module_loaded());
	ASSERT_EQ(0, tl_port_del(&nl, r.port_id));
	tl_nl_close(&nl);
	EXPECT_EQ(0, tl_sh("rmmod m2mgw"));
	EXPECT_FALSE(module_loaded());
	ASSERT_EQ(0, reload());
}

TEST_HARNESS_MAIN
