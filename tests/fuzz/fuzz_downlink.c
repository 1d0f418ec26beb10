// SPDX-License-Identifier: GPL-2.0
/*
 * Downlink commands: the JSON payload of an MQTT command message turned
 * into a CAN frame, a serial write or a Modbus write, against a fixed
 * configuration (a DBC port with allowlists, a serial port with Modbus
 * allowlists, a port with no downlink).  The first input byte picks the
 * port (and the outcome of a queued Modbus write), the rest is the payload.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "downlink.h"
#include "fuzz_util.h"

static const char dbc_text[] =
	"BO_ 256 EngineCmd: 8 GW\n"
	" SG_ TargetRpm : 7|16@0+ (0.25,0) [0|8000] \"rpm\" ECU\n"
	" SG_ Mode : 16|4@1- (1,0) [0|15] \"\" ECU\n"
	"BO_ 512 Paged: 8 GW\n"
	" SG_ Sel M : 0|8@1+ (1,0) [0|255] \"\" ECU\n"
	" SG_ A m0 : 8|8@1+ (1,0) [0|255] \"\" ECU\n"
	" SG_ B m1 : 8|32@1- (1,0) [0|0] \"\" ECU\n"
	"BO_ 2566844926 ExtCmd: 64 GW\n"
	" SG_ Speed : 0|16@1+ (0.01,0) [0|600] \"km/h\" ECU\n"
	" SG_ F : 64|32@1- (1,0) [0|0] \"\" ECU\n"
	" SG_ D : 128|64@1- (1,0) [0|0] \"\" ECU\n"
	"SIG_VALTYPE_ 2566844926 F : 1;\n"
	"SIG_VALTYPE_ 2566844926 D : 2;\n";

static const char conf_fmt[] =
	"[source]\ntype = replay\nfile = /x.log\n"
	"[spool]\ndir = /tmp/x\n"
	"[rule r]\noutput = o\n"
	"[output o]\nhost = h\ncommand_topic = site/{port}/cmd/#\n"
	"[port can0]\ntype = can\ndecoder = dbc\ndbc = %s\n"
	"downlink_can_ids = 0x100-0x10f, 321, 18fef100-18fef1ff, 00000042\n"
	"downlink_messages = EngineCmd, Paged, ExtCmd\n"
	"downlink_rate = 100000\n"
	"[port quiet]\ntype = can\n"
	"[port ser]\ntype = serial\ntty = ttyS1\n"
	"downlink_serial = yes\ndownlink_modbus = 1:10-19, 2:0-65535\n"
	"downlink_modbus_coils = 1:0-15, 2:0-65535\n"
	"downlink_rate = 100000\n";

static struct {
	dl_modbus_done_fn done;
	void *ctx;
} pending;

static int fake_tx(void *ctx, const struct port_conf *pc, uint16_t type,
		   const void *payload, uint32_t len)
{
	static uint8_t sink[8192];

	(void)ctx;
	(void)pc;
	(void)type;
	if (len > sizeof(sink))
		__builtin_trap();
	memcpy(sink, payload, len);
	return 0;
}

static int fake_modbus(void *ctx, const struct port_conf *pc, uint8_t slave,
		       uint8_t fc, uint16_t addr, const uint16_t *values,
		       uint16_t count, dl_modbus_done_fn done, void *done_ctx)
{
	static uint16_t sink[2000];

	(void)ctx;
	(void)pc;
	(void)slave;
	(void)fc;
	(void)addr;
	if (count > 2000 || pending.done)
		__builtin_trap();
	memcpy(sink, values, count * sizeof(*values));
	pending.done = done;
	pending.ctx = done_ctx;
	return 0;
}

static void on_later(void *ctx, char *reply)
{
	(void)ctx;
	free(reply);
}

static struct downlink *setup(void)
{
	static struct agent_conf *c;
	char text[2048], dbc[128];

	snprintf(dbc, sizeof(dbc), "%s",
		 fuzz_file("dl.dbc", dbc_text, strlen(dbc_text)));
	snprintf(text, sizeof(text), conf_fmt, dbc);
	c = conf_load(fuzz_file("dl.conf", text, strlen(text)), stderr);
	if (!c)
		abort();
	return downlink_new(c, fake_tx, fake_modbus, NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ports[] = { "can0", "ser", "quiet", "nope" };
	static const int results[] = { 0, -EREMOTEIO, -ETIMEDOUT, -ECANCELED };
	static const struct dl_later later = { on_later, NULL };
	static struct downlink *dl;
	static double now;
	char *reply = NULL;
	int rc;

	if (!size)
		return 0;
	fuzz_quiet();
	if (!dl)
		dl = setup();
	if (!dl)
		abort();
	now += 1;
	rc = downlink_command(dl, ports[data[0] & 3], data + 1, size - 1, now,
			      &later, &reply);
	if (rc == 1) {
		if (!pending.done || reply)
			__builtin_trap();
		pending.done(pending.ctx, results[data[0] >> 2 & 3],
			     data[0] >> 4);
	} else if (rc == 0 && !reply) {
		__builtin_trap();
	}
	pending.done = NULL;
	free(reply);
	return 0;
}
