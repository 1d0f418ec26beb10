// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading m2mgw.ko: the misc device and the generic netlink
 * family appear with the promised mode and version, a second load fails
 * with EEXIST and leaves the first one working, an open /dev/m2mgw pins
 * the module, and rmmod takes both away again.  M2MGW_KO names the .ko
 * (the VM harness sets it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include <linux/m2mgw.h>

#include "kselftest_harness.h"

#define DEV_PATH   "/dev/" M2MGW_DEVICE_NAME
#define MISC_MAJOR 10

/* Is m2mgw in /proc/modules? */
static int mod_loaded(void)
{
	char line[256];
	FILE *f = fopen("/proc/modules", "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "m2mgw ", 6);
	fclose(f);
	return found;
}

/* finit_module(M2MGW_KO): 0, or -1 with errno set. */
static int mod_load(void)
{
	const char *ko = getenv("M2MGW_KO");
	int fd, ret, err;

	if (!ko) {
		errno = EINVAL;
		return -1;
	}
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, "", 0);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

/* rmmod without waiting: 0, or -1 with errno (EWOULDBLOCK if in use). */
static int mod_unload(void)
{
	return syscall(SYS_delete_module, "m2mgw", O_NONBLOCK);
}

/* What CTRL_CMD_GETFAMILY says about a generic netlink family. */
struct family {
	int id;
	unsigned int version;
	int has_events;
};

static int parse_family(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1], *grp[CTRL_ATTR_MCAST_GRP_MAX + 1];
	struct family *fam = arg;
	struct nlattr *g, *name;
	int rem;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, CTRL_ATTR_MAX, NULL))
		return NL_SKIP;
	if (tb[CTRL_ATTR_FAMILY_ID])
		fam->id = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (tb[CTRL_ATTR_VERSION])
		fam->version = nla_get_u32(tb[CTRL_ATTR_VERSION]);
	if (!tb[CTRL_ATTR_MCAST_GROUPS])
		return NL_OK;
	nla_for_each_nested(g, tb[CTRL_ATTR_MCAST_GROUPS], rem) {
		if (nla_parse_nested(grp, CTRL_ATTR_MCAST_GRP_MAX, g, NULL))
			continue;
		name = grp[CTRL_ATTR_MCAST_GRP_NAME];
		if (name &&
		    !strcmp(nla_get_string(name), M2MGW_GENL_MCGRP_EVENTS))
			fam->has_events = 1;
	}
	return NL_OK;
}

/*
 * Ask the generic netlink controller about @name.  0, or a negative libnl
 * error (-NLE_OBJ_NOTFOUND when the family is not registered).
 */
static int get_family(const char *name, struct family *fam)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *msg = NULL;
	int err = -NLE_NOMEM, id;

	memset(fam, 0, sizeof(*fam));
	if (!sk)
		return err;
	err = genl_connect(sk);
	if (err)
		goto out;
	/* libnl's own resolver, to cross-check the id below. */
	id = genl_ctrl_resolve(sk, name);
	err = -NLE_NOMEM;
	msg = nlmsg_alloc();
	if (!msg)
		goto out;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0, 0,
			 CTRL_CMD_GETFAMILY, 1) ||
	    nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, name))
		goto out;
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, parse_family, fam);
	err = nl_send_auto(sk, msg);
	if (err < 0)
		goto out;
	err = nl_recvmsgs_default(sk);
	if (!err)
		err = nl_wait_for_ack(sk);
	if (!err && id != fam->id)
		err = -NLE_FAILURE;
out:
	nlmsg_free(msg);
	nl_socket_free(sk);
	return err < 0 ? err : 0;
}

FIXTURE(loaded){};

FIXTURE_SETUP(loaded)
{
	if (!mod_loaded())
		ASSERT_EQ(0, mod_load())
	TH_LOG("insmod %s: %s", getenv("M2MGW_KO"), strerror(errno));
}

FIXTURE_TEARDOWN(loaded)
{
}

TEST_F(loaded, dev_is_misc_char_root_0600)
{
	char want[32], got[32] = "";
	struct stat st;
	FILE *f;

	ASSERT_EQ(0, stat(DEV_PATH, &st)) TH_LOG("%s", strerror(errno));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
	EXPECT_EQ(MISC_MAJOR, major(st.st_rdev));
	/* The node is the device sysfs announces, not a stale one. */
	f = fopen("/sys/class/misc/" M2MGW_DEVICE_NAME "/dev", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(got, sizeof(got), f));
	fclose(f);
	snprintf(want, sizeof(want), "%u:%u\n", major(st.st_rdev),
		 minor(st.st_rdev));
	EXPECT_STREQ(want, got);
}

TEST_F(loaded, dev_opens_read_write)
{
	int fd = open(DEV_PATH, O_RDWR);

	ASSERT_LE(0, fd) TH_LOG("%s", strerror(errno));
	close(fd);
}

TEST_F(loaded, genl_family_resolves_with_version_1)
{
	struct family fam;

	ASSERT_EQ(0, get_family(M2MGW_GENL_NAME, &fam));
	EXPECT_LE(GENL_MIN_ID, fam.id);
	EXPECT_EQ(1, fam.version);
	EXPECT_EQ(M2MGW_GENL_VERSION, fam.version);
}

TEST_F(loaded, genl_family_has_events_group)
{
	struct family fam;

	ASSERT_EQ(0, get_family(M2MGW_GENL_NAME, &fam));
	EXPECT_TRUE(fam.has_events);
}

TEST_F(loaded, second_load_fails_eexist_first_stays)
{
	struct family fam;
	int fd;

	EXPECT_EQ(-1, mod_load());
	EXPECT_EQ(EEXIST, errno);
	EXPECT_TRUE(mod_loaded());
	fd = open(DEV_PATH, O_RDWR);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(0, get_family(M2MGW_GENL_NAME, &fam));
	EXPECT_EQ(1, fam.version);
}

TEST_F(loaded, open_device_pins_module)
{
	int fd = open(DEV_PATH, O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, mod_unload());
	EXPECT_EQ(EWOULDBLOCK, errno);
	close(fd);
	EXPECT_TRUE(mod_loaded());
}

TEST_F(loaded, rmmod_removes_device_and_family_then_reload)
{
	struct family fam;
	struct stat st;

	ASSERT_EQ(0, mod_unload()) TH_LOG("rmmod: %s", strerror(errno));
	EXPECT_FALSE(mod_loaded());
	EXPECT_EQ(-1, stat(DEV_PATH, &st));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-NLE_OBJ_NOTFOUND, get_family(M2MGW_GENL_NAME, &fam));

	ASSERT_EQ(0, mod_load()) TH_LOG("insmod: %s", strerror(errno));
	EXPECT_EQ(0, stat(DEV_PATH, &st));
	EXPECT_EQ(0, get_family(M2MGW_GENL_NAME, &fam));
	EXPECT_EQ(1, fam.version);
	EXPECT_TRUE(fam.has_events);
}

TEST_HARNESS_MAIN
