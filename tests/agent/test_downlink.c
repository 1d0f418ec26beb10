// SPDX-License-Identifier: GPL-2.0
/*
 * Downlink commands (agent/downlink*.c) on the host: topic templates,
 * the config keys and their "file:line: message" errors, allowlists,
 * the rate limit, and commands carried out against a recording transmit
 * function: the exact frame bytes of good commands (the DBC ones
 * computed by hand here), Modbus register and coil writes as they reach
 * the master, and for every bad one its error text and that nothing was
 * transmitted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/can.h>

#include "config.h"
#include "downlink.h"
#include "log.h"
#include "modbus_pdu.h"
#include "tap.h"

static char dir[] = "/tmp/test_downlink.XXXXXX";
static char conf_path[128], dbc_path[128];

/* What the fake transmit function saw. */
static struct {
	int calls;
	char port[64];
	uint16_t type;
	uint8_t buf[M2MGW_SERIAL_MAXLEN];
	uint32_t len;
	int rc; /* what it returns */
} tx;

static int fake_tx(void *ctx, const struct port_conf *pc, uint16_t type,
		   const void *payload, uint32_t len)
{
	(void)ctx;
	tx.calls++;
	snprintf(tx.port, sizeof(tx.port), "%s", pc->name);
	tx.type = type;
	memcpy(tx.buf, payload, len);
	tx.len = len;
	return tx.rc;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static struct agent_conf *load(const char *text, char **errs)
{
	struct agent_conf *c;
	size_t n;
	FILE *err;

	write_file(conf_path, text);
	err = open_memstream(errs, &n);
	c = conf_load(conf_path, err);
	fclose(err);
	return c;
}

static const char dbc_text[] =
	"VERSION \"\"\n\nNS_ :\n\tCM_\n\nBS_:\n\nBU_: GW ECU\n\n"
	"BO_ 256 EngineCmd: 8 GW\n"
	" SG_ TargetRpm : 7|16@0+ (0.25,0) [0|8000] \"rpm\" ECU\n"
	" SG_ Mode : 16|4@1+ (1,0) [0|15] \"\" ECU\n\n"
	"BO_ 512 Paged: 8 GW\n"
	" SG_ Sel M : 0|8@1+ (1,0) [0|255] \"\" ECU\n"
	" SG_ A m0 : 8|8@1+ (1,0) [0|255] \"\" ECU\n"
	" SG_ B m1 : 8|8@1+ (1,0) [0|255] \"\" ECU\n\n"
	"BO_ 2566844926 ExtCmd: 8 GW\n"
	" SG_ Speed : 0|16@1+ (0.01,0) [0|600] \"km/h\" ECU\n\n"
	"BO_ 768 Secret: 8 GW\n"
	" SG_ Unlock : 0|8@1+ (1,0) [0|255] \"\" ECU\n";

static const char *conf_head = "[source]\ntype = replay\nfile = /x.log\n"
			       "[spool]\ndir = /tmp/x\n"
			       "[rule r]\noutput = o\n"
			       "[output o]\nhost = h\n"
			       "command_topic = site/{port}/cmd/#\n";

/* The good configuration every command test runs against. */
static struct agent_conf *good_conf(void)
{
	char text[2048], *errs = NULL;
	struct agent_conf *c;

	snprintf(
		text, sizeof(text),
		"%s[port can0]\ntype = can\ndecoder = dbc\ndbc = %s\n"
		"downlink_can_ids = 0x100-0x10f, 321, 18fef100-18fef1ff, 00000042\n"
		"downlink_messages = EngineCmd, Paged, ExtCmd\n"
		"downlink_rate = 1000\n"
		"[port slow]\ntype = can\ndownlink_can_ids = 7ff\n"
		"downlink_rate = 2\n"
		"[port quiet]\ntype = can\n"
		"[port ser]\ntype = serial\ntty = ttyS1\n"
		"downlink_serial = yes\ndownlink_modbus = 1:10-19, 2:100\n"
		"downlink_modbus_coils = 1:0-15, 1:100, 2:0-1999\n"
		"[port ser2]\ntype = serial\ntty = ttyS2\n"
		"downlink_modbus = 3:0\n",
		conf_head, dbc_path);
	c = load(text, &errs);
	if (!c)
		fprintf(stderr, "good config refused:\n%s", errs);
	free(errs);
	return c;
}

static void test_topics(void)
{
	char port[64], *s;

	ok(!dl_topic_check("site/{port}/cmd/#"), "topic: {port} and # ok");
	ok(!dl_topic_check("{port}/cmd"), "topic: {port} first ok");
	ok(dl_topic_check("site/cmd/#"), "topic: without {port} refused");
	ok(dl_topic_check("site/{port}/{port}"), "topic: two {port} refused");
	ok(dl_topic_check("site/+/{port}"), "topic: + refused");
	ok(dl_topic_check("site/#/{port}"), "topic: # not last refused");
	ok(dl_topic_check("site/x{port}/cmd"),
	   "topic: {port} inside a level refused");
	s = dl_topic_sub("site/{port}/cmd/#");
	ok(!strcmp(s, "site/+/cmd/#"), "topic: subscription %s", s);
	free(s);
	ok(!dl_topic_port("site/{port}/cmd/#", "site/can0/cmd", port,
			  sizeof(port)) &&
		   !strcmp(port, "can0"),
	   "topic: site/can0/cmd -> can0");
	ok(!dl_topic_port("site/{port}/cmd/#", "site/can1/cmd/a/b", port,
			  sizeof(port)) &&
		   !strcmp(port, "can1"),
	   "topic: sub-topics under # -> can1");
	ok(dl_topic_port("site/{port}/cmd/#", "site/can0/other", port,
			 sizeof(port)),
	   "topic: other topic does not match");
	ok(dl_topic_port("site/{port}/cmd", "site/can0/cmd/x", port,
			 sizeof(port)),
	   "topic: without # no sub-topics");
	ok(dl_topic_port("site/{port}/cmd", "site//cmd", port, sizeof(port)),
	   "topic: empty port level does not match");
	ok(dl_topic_port("site/{port}/cmd", "site/abcdefgh/cmd", port, 4),
	   "topic: port name longer than the buffer does not match");
	s = dl_topic_result_default("site/{port}/cmd/#");
	ok(!strcmp(s, "site/{port}/cmd/result"), "topic: default result %s", s);
	free(s);
	s = dl_topic_expand("site/{port}/cmd/result", "can0");
	ok(!strcmp(s, "site/can0/cmd/result"), "topic: expanded %s", s);
	free(s);
}

struct bad_conf {
	const char *body; /* after conf_head, from line 11 */
	const char *want;
};

static void test_config_errors(void)
{
	static const struct bad_conf bad[] = {
		{ "[port p]\ntype = can\ndownlink_can_ids = 100-zz\n",
		  ":13: [port p]: downlink_can_ids: \"100-zz\" is not a hex CAN id or range LO-HI" },
		{ "[port p]\ntype = can\ndownlink_can_ids = 200-100\n",
		  ":13: [port p]: downlink_can_ids: range 200-100 must go up" },
		{ "[port p]\ntype = can\ndownlink_can_ids = 700-18fef100\n",
		  ":13: [port p]: downlink_can_ids: range 700-18fef100 must go up and have ends of one kind" },
		{ "[port p]\ntype = can\ndownlink_can_ids = 20000000\n",
		  ":13: [port p]: downlink_can_ids: \"20000000\" is not a hex CAN id" },
		{ "[port p]\ntype = can\ndownlink_can_ids = ,\n",
		  ":13: [port p]: downlink_can_ids: no ids given" },
		{ "[port p]\ntype = can\ndownlink_messages = EngineCmd\n",
		  ":13: [port p]: downlink_messages needs decoder = dbc and dbc = FILE" },
		{ "[port p]\ntype = can\ndownlink_serial = yes\n",
		  ":13: [port p]: downlink_serial is for serial ports" },
		{ "[port p]\ntype = serial\ntty = ttyS1\ndownlink_can_ids = 100\n",
		  ":14: [port p]: downlink_can_ids is for CAN ports" },
		{ "[port p]\ntype = serial\ntty = ttyS1\ndownlink_serial = maybe\n",
		  ":14: [port p]: downlink_serial: \"maybe\" is not yes or no" },
		{ "[port p]\ntype = serial\ntty = ttyS1\ndownlink_modbus = 0:10\n",
		  ":14: [port p]: downlink_modbus: \"0:10\" is not a list of SLAVE:REG" },
		{ "[port p]\ntype = serial\ntty = ttyS1\ndownlink_modbus = 1:10-5\n",
		  ":14: [port p]: downlink_modbus: \"1:10-5\" is not a list" },
		{ "[port p]\ntype = serial\ntty = ttyS1\ndownlink_modbus_coils = 1:x\n",
		  ":14: [port p]: downlink_modbus_coils: \"1:x\" is not a list of SLAVE:COIL or SLAVE:LO-HI (slave 1..247, coils 0..65535)" },
		{ "[port p]\ntype = serial\ntty = ttyS1\ndownlink_modbus_coils = 248:1\n",
		  ":14: [port p]: downlink_modbus_coils: \"248:1\" is not a list of SLAVE:COIL" },
		{ "[port p]\ntype = serial\ntty = ttyS1\ndownlink_modbus_coils = 1:0-65536\n",
		  ":14: [port p]: downlink_modbus_coils: \"1:0-65536\" is not a list" },
		{ "[port p]\ntype = serial\ntty = ttyS1\ndownlink_modbus_coils = 1:9-8\n",
		  ":14: [port p]: downlink_modbus_coils: \"1:9-8\" is not a list" },
		{ "[port p]\ntype = serial\ntty = ttyS1\ndownlink_modbus_coils = ,\n",
		  ":14: [port p]: downlink_modbus_coils: nothing given" },
		{ "[port p]\ntype = can\ndownlink_modbus_coils = 1:0\n",
		  ":13: [port p]: downlink_modbus_coils is for serial ports" },
		{ "[port p]\ntype = serial\ntty = ttyS1\ndownlink_modbus_coils = 1:0\ndownlink_modbus_coils = 1:1\n",
		  ":15: [port p]: duplicate key \"downlink_modbus_coils\"" },
		{ "[port p]\ntype = serial\ntty = ttyS1\ndownlink_coils = 1:0\n",
		  ":14: [port p]: unknown key \"downlink_coils\" (downlink_can_ids, downlink_messages, downlink_serial, downlink_modbus, downlink_modbus_coils, downlink_rate)" },
		{ "[port p]\ntype = can\ndownlink_rate = 0\n",
		  ":13: [port p]: downlink_rate: \"0\" is not a number of commands per second" },
		{ "[port p]\ntype = can\ndownlink_rate = 5/s\n",
		  ":13: [port p]: downlink_rate: \"5/s\" is not a number" },
		{ "[port p]\ntype = can\ndownlink_ids = 100\n",
		  ":13: [port p]: unknown key \"downlink_ids\"" },
		{ "[port p]\ntype = can\ndownlink_can_ids = 1\ndownlink_can_ids = 2\n",
		  ":14: [port p]: duplicate key \"downlink_can_ids\"" },
		{ "[output q]\nhost = h\ncommand_topic = site/cmd/#\n",
		  ":11: [output q]: command_topic \"site/cmd/#\": needs one level that is exactly {port}" },
		{ "[output q]\nhost = h\ncommand_result_topic = r/{port}\n",
		  ":11: [output q]: command_result_topic \"r/{port}\": needs command_topic" },
		{ "[output q]\nhost = h\ncommand_topic = c/{port}\ncommand_result_topic = r/+/{port}\n",
		  ":11: [output q]: command_result_topic \"r/+/{port}\"" },
	};
	char text[1024], *errs;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct agent_conf *c;
		char want[512];

		snprintf(text, sizeof(text), "%s%s", conf_head, bad[i].body);
		snprintf(want, sizeof(want), "%s%s", conf_path, bad[i].want);
		errs = NULL;
		c = load(text, &errs);
		if (!ok(!c && strstr(errs, want) &&
				!strchr(strchr(errs, '\n') + 1, '\n'),
			"config error %zu: %s", i, bad[i].want))
			printf("# got: %s", errs);
		conf_free(c);
		free(errs);
	}
	snprintf(text, sizeof(text),
		 "%s[port p]\ntype = can\ndecoder = dbc\ndbc = %s\n"
		 "downlink_messages = EngineCmd, Nope\n",
		 conf_head, dbc_path);
	errs = NULL;
	conf_free(load(text, &errs));
	ok(strstr(errs,
		  ":15: [port p]: downlink_messages: \"Nope\" is not a message of") !=
		   NULL,
	   "config error: a message name the DBC lacks, with its line");
	free(errs);
}

static void test_allow_rate(struct agent_conf *c)
{
	struct dl_allow a;
	FILE *null = fopen("/dev/null", "w");

	ok(!dl_allow_parse(conf_port(c, "can0"), &a, "f", null),
	   "allow: can0 parses");
	ok(dl_allow_can_id(&a, 0x100, false) &&
		   dl_allow_can_id(&a, 0x10f, false) &&
		   !dl_allow_can_id(&a, 0x110, false) &&
		   !dl_allow_can_id(&a, 0xff, false),
	   "allow: range 100-10f, ends included, neighbours refused");
	ok(dl_allow_can_id(&a, 0x321, false) &&
		   !dl_allow_can_id(&a, 0x321, true),
	   "allow: 321 is an 11-bit id only");
	ok(dl_allow_can_id(&a, 0x18fef1fe, true) &&
		   !dl_allow_can_id(&a, 0x18fef200, true),
	   "allow: 29-bit range");
	ok(dl_allow_can_id(&a, 0x42, true) && !dl_allow_can_id(&a, 0x42, false),
	   "allow: 00000042 (8 digits) is a 29-bit id");
	ok(dl_allow_message(&a, "Paged") && !dl_allow_message(&a, "Secret"),
	   "allow: messages by name");
	dl_allow_free(&a);
	ok(!dl_allow_parse(conf_port(c, "ser"), &a, "f", null) && a.serial &&
		   dl_allow_modbus(&a, 1, 10, 10) &&
		   !dl_allow_modbus(&a, 1, 10, 11) &&
		   !dl_allow_modbus(&a, 1, 9, 1) &&
		   dl_allow_modbus(&a, 2, 100, 1) &&
		   !dl_allow_modbus(&a, 3, 100, 1),
	   "allow: modbus slave:range, every written register inside");
	ok(dl_allow_modbus_coils(&a, 1, 0, 16) &&
		   !dl_allow_modbus_coils(&a, 1, 0, 17) &&
		   dl_allow_modbus_coils(&a, 1, 100, 1) &&
		   !dl_allow_modbus_coils(&a, 1, 100, 2) &&
		   dl_allow_modbus_coils(&a, 2, 32, 1968) &&
		   !dl_allow_modbus_coils(&a, 2, 33, 1968) &&
		   !dl_allow_modbus_coils(&a, 1, 10, 0),
	   "allow: coils slave:range, every written coil inside, count 0 never");
	ok(!dl_allow_modbus(&a, 1, 0, 1) && !dl_allow_modbus(&a, 1, 100, 1) &&
		   dl_allow_modbus(&a, 1, 16, 1) &&
		   !dl_allow_modbus_coils(&a, 1, 16, 1),
	   "allow: coils and registers are separate tables (downlink_modbus_coils allows no register, downlink_modbus no coil)");
	dl_allow_free(&a);
	ok(!dl_allow_parse(conf_port(c, "quiet"), &a, "f", null) &&
		   !dl_allow_any(&a) && a.rate == DL_RATE_DEFAULT,
	   "allow: no keys, nothing allowed, default rate");
	dl_allow_free(&a);
	dl_allow_parse(conf_port(c, "slow"), &a, "f", null);
	ok(dl_rate_take(&a, 100) && dl_rate_take(&a, 100) &&
		   !dl_rate_take(&a, 100),
	   "rate 2/s: a burst of 2, the third refused");
	ok(!dl_rate_take(&a, 100.4) && dl_rate_take(&a, 100.5) &&
		   !dl_rate_take(&a, 100.5),
	   "rate 2/s: one more after 0.5 s, not before");
	ok(dl_rate_take(&a, 200) && dl_rate_take(&a, 200) &&
		   !dl_rate_take(&a, 200),
	   "rate 2/s: a long pause refills only the burst");
	dl_allow_free(&a);
	fclose(null);
}

static double now = 1000;
static struct dl_stats stats;
static unsigned int ncmds; /* commands that were answered at once */

/* Replies that came later (Modbus writes). */
static char *late_reply;
static int late_calls;

static void on_late(void *ctx, char *reply)
{
	(void)ctx;
	late_calls++;
	free(late_reply);
	late_reply = reply;
}

static const struct dl_later later = { on_late, NULL };

/* Run @json on @port; the reply must contain @want. */
static bool cmd(struct downlink *dl, const char *port, const char *json,
		const char *want)
{
	char *r = NULL;
	int rc =
		downlink_command(dl, port, json, strlen(json), now, &later, &r);
	bool good = !rc && r && strstr(r, want);

	ncmds += !rc;
	if (!good)
		printf("# reply: %s\n#  want: %s\n", r, want);
	free(r);
	return good;
}

/* A refused command: its error text and no transmit. */
#define refused(dl, port, json, err, ...)                                  \
	({                                                                 \
		int _before = tx.calls;                                    \
		ok(cmd(dl, port, json, "\"ok\":false,\"error\":\"" err) && \
			   tx.calls == _before,                            \
		   __VA_ARGS__);                                           \
	})

static const struct can_frame *cf(void)
{
	return (const struct can_frame *)tx.buf;
}

static void test_can_raw(struct downlink *dl)
{
	const struct canfd_frame *fd = (const void *)tx.buf;

	ok(cmd(dl, "can0", "{\"id\":\"0x101\",\"data\":\"11223344\"}",
	       "{\"port\":\"can0\",\"ok\":true,\"id\":\"0x101\",\"ext\":false,\"data\":\"11223344\"}") &&
		   tx.calls == 1 && tx.type == M2MGW_REC_CAN &&
		   tx.len == sizeof(struct can_frame) &&
		   cf()->can_id == 0x101 && cf()->len == 4 &&
		   !memcmp(cf()->data, "\x11\x22\x33\x44", 4),
	   "raw: 0x101 11223344 -> one classic frame, exactly those bytes");
	ok(cmd(dl, "can0", "{\"id\":801,\"data\":\"\",\"cid\":\"a7\"}",
	       "\"cid\":\"a7\",\"ok\":true,\"id\":\"0x321\"") &&
		   cf()->can_id == 0x321 && cf()->len == 0,
	   "raw: numeric id 801 = 0x321, empty data, cid echoed");
	ok(cmd(dl, "can0", "{\"id\":\"18fef1fe\",\"data\":\"0102\"}",
	       "\"id\":\"0x18fef1fe\",\"ext\":true") &&
		   cf()->can_id == (0x18fef1fe | CAN_EFF_FLAG),
	   "raw: an id above 7ff is a 29-bit frame (EFF flag)");
	ok(cmd(dl, "can0", "{\"id\":\"0x42\",\"ext\":true,\"data\":\"ff\"}",
	       "\"ok\":true") &&
		   cf()->can_id == (0x42 | CAN_EFF_FLAG),
	   "raw: ext:true makes 0x42 a 29-bit frame");
	ok(cmd(dl, "can0",
	       "{\"id\":\"0x102\",\"fd\":true,\"brs\":true,\"data\":\"000102030405060708090a0b\"}",
	       "\"fd\":true,\"data\":\"000102030405060708090a0b\"") &&
		   tx.type == M2MGW_REC_CANFD &&
		   tx.len == sizeof(struct canfd_frame) && fd->len == 12 &&
		   fd->flags == (CANFD_FDF | CANFD_BRS) && fd->data[11] == 11,
	   "raw: CAN FD, 12 bytes, BRS -> one canfd_frame");
	refused(dl, "can0", "{\"id\":\"0x110\",\"data\":\"00\"}",
		"not allowed: CAN id 0x110 (11-bit) is not in downlink_can_ids of port can0",
		"raw: id outside the allowlist refused, nothing sent");
	refused(dl, "can0", "{\"id\":\"0x42\",\"data\":\"00\"}",
		"not allowed: CAN id 0x42 (11-bit)",
		"raw: 11-bit 0x42 refused when only 29-bit 0x42 is allowed");
	refused(dl, "can0", "{\"id\":\"0x101\",\"data\":\"112\"}",
		"\\\"data\\\": odd number of hex digits", "raw: odd hex");
	refused(dl, "can0", "{\"id\":\"0x101\",\"data\":\"11zz\"}",
		"\\\"data\\\": \\\"zz\\\" is not hex", "raw: bad hex digits");
	refused(dl, "can0",
		"{\"id\":\"0x101\",\"data\":\"001122334455667788\"}",
		"\\\"data\\\": 9 bytes, at most 8",
		"raw: 9 bytes in a classic frame");
	refused(dl, "can0",
		"{\"id\":\"0x101\",\"fd\":true,\"data\":\"001122334455667788\"}",
		"\\\"data\\\": 9 bytes is not a CAN FD length",
		"raw: 9 bytes is no CAN FD length");
	refused(dl, "can0", "{\"id\":\"0x101\",\"brs\":true,\"data\":\"00\"}",
		"\\\"brs\\\" needs \\\"fd\\\":true", "raw: brs without fd");
	refused(dl, "can0", "{\"id\":\"0x901\",\"ext\":false,\"data\":\"00\"}",
		"\\\"id\\\": 0x901 is more than 11 bits",
		"raw: ext:false with a 12-bit id");
	refused(dl, "can0", "{\"id\":\"0x20000000\",\"data\":\"00\"}",
		"\\\"id\\\": 0x20000000 is more than 29 bits",
		"raw: id above 29 bits");
	refused(dl, "can0", "{\"id\":1e300,\"data\":\"00\"}",
		"\\\"id\\\": the number is more than 29 bits",
		"raw: a huge numeric id");
	refused(dl, "can0", "{\"id\":-1,\"data\":\"00\"}",
		"\\\"id\\\": -1 is not a CAN id", "raw: negative id");
	refused(dl, "can0", "{\"id\":\"0x1g\",\"data\":\"00\"}",
		"\\\"id\\\": \\\"0x1g\\\" is not a hex CAN id",
		"raw: id not hex");
	refused(dl, "can0", "{\"id\":true,\"data\":\"00\"}",
		"\\\"id\\\" must be a hex string", "raw: id of a wrong type");
	refused(dl, "can0", "{\"id\":\"0x101\"}",
		"\\\"data\\\" must be a string of hex digits",
		"raw: data missing");
	refused(dl, "can0", "{\"id\":\"0x101\",\"data\":\"00\",\"ext\":1}",
		"\\\"ext\\\" must be true or false", "raw: ext not boolean");
	refused(dl, "can0", "{\"id\":\"0x101\",\"data\":\"00\",\"rtr\":true}",
		"unknown field \\\"rtr\\\"", "raw: unknown field refused");
	refused(dl, "can0", "{\"data\":\"00\"}",
		"a CAN command has \\\"id\\\" and \\\"data\\\"",
		"raw: neither id nor message");
}

static void test_can_dbc(struct downlink *dl)
{
	ok(cmd(dl, "can0",
	       "{\"message\":\"EngineCmd\",\"signals\":{\"TargetRpm\":1500,\"Mode\":5}}",
	       "\"ok\":true,\"id\":\"0x100\",\"ext\":false,\"data\":\"1770050000000000\"") &&
		   tx.type == M2MGW_REC_CAN && cf()->can_id == 0x100 &&
		   cf()->len == 8 &&
		   !memcmp(cf()->data, "\x17\x70\x05\0\0\0\0\0", 8),
	   "dbc: TargetRpm 1500 (Motorola, x0.25 -> 0x1770), Mode 5 -> 17 70 05 00..");
	ok(cmd(dl, "can0",
	       "{\"message\":\"ExtCmd\",\"signals\":{\"Speed\":12.5}}",
	       "\"id\":\"0x18fef1fe\",\"ext\":true,\"data\":\"e204000000000000\"") &&
		   cf()->can_id == (0x18fef1fe | CAN_EFF_FLAG),
	   "dbc: 29-bit message, Speed 12.5 (Intel, x0.01 -> 0x04e2)");
	ok(cmd(dl, "can0",
	       "{\"message\":\"Paged\",\"signals\":{\"Sel\":1,\"B\":9}}",
	       "\"data\":\"0109000000000000\""),
	   "dbc: multiplexed page 1 with its signal B");
	refused(dl, "can0",
		"{\"message\":\"Paged\",\"signals\":{\"Sel\":1,\"A\":9}}",
		"encode error: Paged.A is in multiplexed page 0, the multiplexor Sel selects page 1",
		"dbc: a signal of another page refused");
	refused(dl, "can0",
		"{\"message\":\"EngineCmd\",\"signals\":{\"TargetRpm\":9000}}",
		"encode error: EngineCmd.TargetRpm = 9000 is out of its range [0, 8000]",
		"dbc: value out of range refused");
	refused(dl, "can0",
		"{\"message\":\"EngineCmd\",\"signals\":{\"Rpm\":1}}",
		"encode error: EngineCmd has no signal \\\"Rpm\\\"",
		"dbc: unknown signal refused");
	refused(dl, "can0",
		"{\"message\":\"EngineCmd\",\"signals\":{\"Mode\":\"5\"}}",
		"\\\"signals\\\": Mode must be a number",
		"dbc: signal value not a number");
	refused(dl, "can0",
		"{\"message\":\"EngineCmd\",\"signals\":{\"Mode\":1,\"Mode\":2}}",
		"\\\"signals\\\": Mode given twice", "dbc: signal given twice");
	refused(dl, "can0", "{\"message\":\"EngineCmd\",\"signals\":[1]}",
		"\\\"signals\\\" must be an object",
		"dbc: signals not an object");
	refused(dl, "can0", "{\"message\":\"Secret\",\"signals\":{}}",
		"not allowed: message \\\"Secret\\\" is not in downlink_messages of port can0",
		"dbc: message in the DBC but not allowed");
	refused(dl, "can0",
		"{\"message\":\"EngineCmd\",\"signals\":{},\"id\":\"0x100\"}",
		"unknown field \\\"id\\\"", "dbc: mixing raw fields refused");
	refused(dl, "slow", "{\"message\":\"EngineCmd\",\"signals\":{}}",
		"not allowed: message \\\"EngineCmd\\\" is not in downlink_messages of port slow",
		"dbc: port without downlink_messages refuses messages");
}

static void test_serial(struct downlink *dl)
{
	ok(cmd(dl, "ser", "{\"hex\":\"0103000a0001\"}",
	       "\"ok\":true,\"bytes\":6") &&
		   tx.type == M2MGW_REC_SERIAL && tx.len == 6 &&
		   !memcmp(tx.buf, "\x01\x03\x00\x0a\x00\x01", 6) &&
		   !strcmp(tx.port, "ser"),
	   "serial: hex -> those 6 bytes on port ser");
	ok(cmd(dl, "ser", "{\"text\":\"RESET\\r\\n\"}", "\"bytes\":7") &&
		   tx.len == 7 && !memcmp(tx.buf, "RESET\r\n", 7),
	   "serial: text -> its bytes");
	refused(dl, "ser2", "{\"hex\":\"00\"}",
		"not allowed: port ser2 has downlink_serial = no",
		"serial: not allowed without downlink_serial");
	refused(dl, "ser", "{\"hex\":\"00\",\"text\":\"a\"}",
		"give \\\"hex\\\" or \\\"text\\\", not both", "serial: both");
	refused(dl, "ser", "{\"text\":\"\"}", "nothing to send (empty)",
		"serial: empty text");
	refused(dl, "ser", "{\"text\":5}", "\\\"text\\\" must be a string",
		"serial: text not a string");
	refused(dl, "ser", "{\"bytes\":\"00\"}",
		"a serial command has \\\"hex\\\" or \\\"text\\\"",
		"serial: neither hex nor text");
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":20,\"value\":1}}",
		"not allowed: slave 1 register 20 (1 of them) is not in downlink_modbus of port ser",
		"modbus: register outside the allowlist refused");
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":18,\"values\":[1,2,3]}}",
		"not allowed: slave 1 register 18 (3 of them)",
		"modbus: a multiple write running past the range refused");
	refused(dl, "ser",
		"{\"slave\":0,\"write\":{\"address\":1,\"value\":1}}",
		"\\\"slave\\\" must be a Modbus address 1..247",
		"modbus: slave 0 refused");
	refused(dl, "ser", "{\"slave\":1,\"write\":5}", "\\\"write\\\" must be",
		"modbus: write not an object");
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":10,\"value\":7}}",
		"not supported: Modbus writes need the Modbus master scheduler",
		"modbus: an allowed write says clearly it is not supported yet");
}

/* What the fake Modbus master was asked, and how to finish it. */
static struct {
	int calls, rc;
	char port[64];
	uint8_t slave, fc;
	uint16_t addr, count, values[MODBUS_MAX_WBITS];
	dl_modbus_done_fn done;
	void *done_ctx;
} mb;

static int fake_modbus(void *ctx, const struct port_conf *pc, uint8_t slave,
		       uint8_t fc, uint16_t addr, const uint16_t *values,
		       uint16_t count, dl_modbus_done_fn done, void *done_ctx)
{
	(void)ctx;
	mb.calls++;
	if (mb.rc)
		return mb.rc;
	snprintf(mb.port, sizeof(mb.port), "%s", pc->name);
	mb.slave = slave;
	mb.fc = fc;
	mb.addr = addr;
	mb.count = count;
	memcpy(mb.values, values, count * sizeof(*values));
	mb.done = done;
	mb.done_ctx = done_ctx;
	return 0;
}

/* A Modbus write that is queued: downlink_command says "later". */
static bool queued(struct downlink *dl, const char *port, const char *json)
{
	char *r = NULL;
	int rc =
		downlink_command(dl, port, json, strlen(json), now, &later, &r);

	if (rc != 1)
		printf("# rc %d reply %s\n", rc, r);
	free(r);
	return rc == 1;
}

static void test_modbus(struct downlink *dl)
{
	late_calls = 0;
	ok(queued(dl, "ser",
		  "{\"slave\":1,\"write\":{\"address\":10,\"value\":7},\"cid\":9}") &&
		   mb.calls == 1 && !strcmp(mb.port, "ser") && mb.slave == 1 &&
		   mb.fc == 6 && mb.addr == 10 && mb.count == 1 &&
		   mb.values[0] == 7 && !late_calls && tx.calls == 0,
	   "modbus: one register -> function 6 queued on the master, no reply yet, nothing sent directly");
	mb.done(mb.done_ctx, 0, 0);
	ok(late_calls == 1 && late_reply &&
		   !strcmp(late_reply,
			   "{\"port\":\"ser\",\"cid\":9,\"ok\":true,\"slave\":1,\"address\":10,\"count\":1,\"function\":6}"),
	   "modbus: the slave's answer gives the ok reply (%s)", late_reply);
	ok(queued(dl, "ser",
		  "{\"slave\":1,\"write\":{\"address\":17,\"values\":[1,-1,65535]}}") &&
		   mb.fc == 16 && mb.addr == 17 && mb.count == 3 &&
		   mb.values[0] == 1 && mb.values[1] == 0xffff &&
		   mb.values[2] == 0xffff,
	   "modbus: values [1,-1,65535] -> function 16, -1 as 0xffff");
	mb.done(mb.done_ctx, -EREMOTEIO, 2);
	ok(late_calls == 2 && strstr(late_reply, "\"ok\":false,") &&
		   strstr(late_reply,
			  "\"error\":\"slave 1 answered with exception 2 (illegal data address)\""),
	   "modbus: an exception answer is the error (%s)", late_reply);
	ok(queued(dl, "ser",
		  "{\"slave\":2,\"write\":{\"address\":100,\"values\":[5]}}") &&
		   mb.fc == 16,
	   "modbus: \"values\" with one register is function 16");
	mb.done(mb.done_ctx, -ETIMEDOUT, 0);
	ok(late_calls == 3 &&
		   strstr(late_reply,
			  "\"error\":\"no answer from slave 2 (timeout"),
	   "modbus: a timeout is the error");
	ok(queued(dl, "ser",
		  "{\"slave\":2,\"write\":{\"address\":100,\"value\":1}}"),
	   "modbus: queued again");
	mb.done(mb.done_ctx, -ECANCELED, 0);
	ok(late_calls == 4 &&
		   strstr(late_reply,
			  "\"error\":\"cancelled: the Modbus master stopped"),
	   "modbus: a cancelled write (reload) says so");
	mb.rc = -EOPNOTSUPP;
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":10,\"value\":7}}",
		"not supported: port ser is no Modbus master",
		"modbus: a port whose decoder is no master refuses at once");
	mb.rc = -ENOBUFS;
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":10,\"value\":7}}",
		"busy: the Modbus write queue of port ser is full",
		"modbus: a full write queue refuses at once");
	mb.rc = 0;
	mb.calls = 0;
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":10,\"value\":70000}}",
		"\\\"write\\\": a register value is an integer -32768..65535",
		"modbus: value out of 16 bits");
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":10,\"value\":1.5}}",
		"\\\"write\\\": a register value is an integer",
		"modbus: fractional value");
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":10,\"values\":[]}}",
		"\\\"write\\\": \\\"values\\\" is an array of 1..123 registers",
		"modbus: empty values");
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":10,\"value\":1,\"values\":[1]}}",
		"\\\"write\\\" must be", "modbus: value and values both");
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":10,\"value\":1,\"mask\":3}}",
		"\\\"write\\\": unknown field \\\"mask\\\"",
		"modbus: unknown field in write");
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":19,\"values\":[1,2]}}",
		"not allowed: slave 1 register 19 (2 of them)",
		"modbus: a write running past the allowed range");
	ok(mb.calls == 0, "modbus: no refused write reached the master");
}

/* {"slave":S,"write":{"address":A,"coils":[N booleans]}}; malloc'd. */
static char *coils_json(unsigned int slave, unsigned int addr, unsigned int n,
			const char *last)
{
	size_t len = 80 + 6 * (size_t)n + strlen(last);
	char *j = malloc(len), *p = j;

	p += sprintf(p, "{\"slave\":%u,\"write\":{\"address\":%u,\"coils\":[",
		     slave, addr);
	for (unsigned int i = 0; i + 1 < n; i++)
		p += sprintf(p, "%s,", i % 3 ? "false" : "true");
	sprintf(p, "%s]}}", last);
	return j;
}

static unsigned int coils_ok; /* coil writes answered ok */

static void test_modbus_coils(struct downlink *dl)
{
	char *j;
	bool bits = true;

	now += 10; /* a full token bucket (downlink_rate 10) */
	late_calls = 0;
	ok(queued(dl, "ser",
		  "{\"slave\":1,\"write\":{\"address\":3,\"coil\":true},\"cid\":\"k\"}") &&
		   mb.fc == 5 && mb.slave == 1 && mb.addr == 3 &&
		   mb.count == 1 && mb.values[0] == 1 && tx.calls == 0,
	   "coils: \"coil\":true -> function 5, value 1, queued on the master");
	mb.done(mb.done_ctx, 0, 0);
	coils_ok++;
	ok(late_calls == 1 && late_reply &&
		   !strcmp(late_reply,
			   "{\"port\":\"ser\",\"cid\":\"k\",\"ok\":true,\"slave\":1,\"address\":3,\"count\":1,\"function\":5}"),
	   "coils: the ok reply names function 5 (%s)", late_reply);
	ok(queued(dl, "ser",
		  "{\"slave\":1,\"write\":{\"address\":15,\"coil\":false}}") &&
		   mb.fc == 5 && mb.addr == 15 && mb.values[0] == 0,
	   "coils: \"coil\":false -> function 5, value 0 (last allowed coil)");
	mb.done(mb.done_ctx, 0, 0);
	coils_ok++;
	ok(queued(dl, "ser",
		  "{\"slave\":1,\"write\":{\"address\":4,\"coils\":[true,false,true,true,false,false,true,true,true,false]}}") &&
		   mb.fc == 15 && mb.addr == 4 && mb.count == 10 &&
		   !memcmp(mb.values,
			   (const uint16_t[]){ 1, 0, 1, 1, 0, 0, 1, 1, 1, 0 },
			   10 * sizeof(uint16_t)),
	   "coils: 10 booleans -> function 15, count 10, values in order");
	mb.done(mb.done_ctx, 0, 0);
	coils_ok++;
	ok(queued(dl, "ser",
		  "{\"slave\":1,\"write\":{\"address\":100,\"coils\":[true]}}") &&
		   mb.fc == 15 && mb.count == 1,
	   "coils: \"coils\" with one coil is function 15");
	mb.done(mb.done_ctx, -EREMOTEIO, 1);
	ok(late_calls == 4 &&
		   strstr(late_reply,
			  "\"function\":15,\"error\":\"slave 1 answered with exception 1 (illegal function)\""),
	   "coils: an exception answer is the error (%s)", late_reply);
	now += 10;
	j = coils_json(2, 32, 1968, "true");
	ok(queued(dl, "ser", j) && mb.fc == 15 && mb.addr == 32 &&
		   mb.count == 1968,
	   "coils: 1968 coils (the function 15 limit) queued");
	for (unsigned int i = 0; i < 1968; i++)
		bits &= mb.values[i] == (i == 1967 || i % 3 == 0);
	ok(bits, "coils: all 1968 values passed on in order");
	mb.done(mb.done_ctx, 0, 0);
	coils_ok++;
	free(j);

	mb.calls = 0;
	j = coils_json(2, 0, 1969, "true");
	refused(dl, "ser", j,
		"\\\"write\\\": \\\"coils\\\" is an array of 1..1968 coils (true or false)",
		"coils: 1969 coils refused (function 15 carries 1968 at most)");
	free(j);
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":0,\"coils\":[]}}",
		"\\\"write\\\": \\\"coils\\\" is an array of 1..1968 coils",
		"coils: empty array refused");
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":0,\"coils\":true}}",
		"\\\"write\\\": \\\"coils\\\" is an array of 1..1968 coils",
		"coils: \"coils\" not an array refused");
	refused(dl, "ser", "{\"slave\":1,\"write\":{\"address\":3,\"coil\":1}}",
		"\\\"write\\\": a coil is true or false",
		"coils: the number 1 is not a coil value");
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":3,\"coil\":\"on\"}}",
		"\\\"write\\\": a coil is true or false",
		"coils: the string \"on\" is not a coil value");
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":3,\"coils\":[true,null]}}",
		"\\\"write\\\": a coil is true or false",
		"coils: null inside \"coils\" refused");
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":3,\"coils\":[true,0]}}",
		"\\\"write\\\": a coil is true or false",
		"coils: 0 inside \"coils\" refused");
	refused(dl, "ser",
		"{\"slave\":2,\"write\":{\"address\":65535,\"coils\":[true,true]}}",
		"\\\"write\\\": 2 coils from address 65535 run past 65535",
		"coils: addresses past 65535 refused");
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":65500,\"values\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37]}}",
		"\\\"write\\\": 37 registers from address 65500 run past 65535",
		"registers: addresses past 65535 refused");
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":3,\"coil\":true,\"coils\":[true]}}",
		"\\\"write\\\" must be {\\\"address\\\":0..65535} and one of",
		"coils: \"coil\" and \"coils\" both refused");
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":3,\"coil\":true,\"value\":1}}",
		"\\\"write\\\" must be",
		"coils: a coil and a register both refused");
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":16,\"coil\":true}}",
		"not allowed: slave 1 coil 16 (1 of them) is not in downlink_modbus_coils of port ser",
		"coils: coil 16 (registers 10..19 are allowed, coils 0..15) refused");
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":14,\"coils\":[true,true,true]}}",
		"not allowed: slave 1 coil 14 (3 of them) is not in downlink_modbus_coils",
		"coils: a multiple write running past the allowed range refused");
	refused(dl, "ser",
		"{\"slave\":1,\"write\":{\"address\":100,\"value\":1}}",
		"not allowed: slave 1 register 100 (1 of them) is not in downlink_modbus of port ser",
		"coils: a coil allowlist entry allows no register write");
	refused(dl, "ser2",
		"{\"slave\":3,\"write\":{\"address\":0,\"coil\":true}}",
		"not allowed: slave 3 coil 0 (1 of them) is not in downlink_modbus_coils of port ser2",
		"coils: a port with only downlink_modbus takes no coil write");
	ok(mb.calls == 0, "coils: no refused write reached the master");
}

static void test_general(struct downlink *dl)
{
	refused(dl, "nope", "{\"id\":\"0x101\",\"data\":\"00\"}",
		"unknown port \\\"nope\\\"", "unknown port");
	refused(dl, "quiet", "{\"id\":\"0x101\",\"data\":\"00\"}",
		"not allowed: port quiet takes no downlink commands",
		"port without downlink_* keys refuses everything");
	refused(dl, "can0", "{\"id\":\"0x101\",", "bad JSON at byte",
		"truncated JSON");
	refused(dl, "can0", "{\"id\":\"0x101\",\"data\":\"00\"} x",
		"bad JSON at byte 27",
		"trailing garbage after the JSON (at the x)");
	refused(dl, "can0", "[1,2]", "bad JSON: a command is an object",
		"JSON array instead of an object");
	ok(cmd(dl, "can0", "", "\"error\":\"bad JSON"), "empty payload");
	{
		int before = tx.calls;
		char *r = NULL;

		downlink_command(dl, "can0",
				 "{\"id\":\"0x101\",\"data\":\"00\"}\0{}", 33,
				 now, &later, &r);
		ncmds++;

		ok(r && strstr(r, "\"error\":\"bad JSON: a NUL byte in the payload") &&
			   tx.calls == before,
		   "NUL byte inside the payload refused");
		free(r);
	}
	/* Rate: port slow allows 2 per second. */
	now = 2000;
	ok(cmd(dl, "slow", "{\"id\":\"7ff\",\"data\":\"01\"}", "\"ok\":true") &&
		   cmd(dl, "slow", "{\"id\":\"7ff\",\"data\":\"02\"}",
		       "\"ok\":true"),
	   "rate: 2 commands within the burst go out");
	refused(dl, "slow", "{\"id\":\"7ff\",\"data\":\"03\"}",
		"rate limited: port slow takes at most 2 commands per second",
		"rate: the third in the same instant refused");
	now = 2000.5;
	ok(cmd(dl, "slow", "{\"id\":\"7ff\",\"data\":\"04\"}", "\"ok\":true") &&
		   cf()->data[0] == 4,
	   "rate: half a second later one more goes out");
	tx.rc = -ENETDOWN;
	now = 3000;
	ok(cmd(dl, "slow", "{\"id\":\"7ff\",\"data\":\"05\"}",
	       "\"ok\":false,\"error\":\"send failed: Network is down (ENETDOWN)\""),
	   "a kernel error (ENETDOWN) is the reply's error");
	tx.rc = 0;
}

int main(void)
{
	struct agent_conf *c;
	struct downlink *dl;

	log_init();
	log_max_level = LOG_LVL_ERR;
	if (!mkdtemp(dir))
		return 1;
	snprintf(conf_path, sizeof(conf_path), "%s/m2mgwd.conf", dir);
	snprintf(dbc_path, sizeof(dbc_path), "%s/cmd.dbc", dir);
	write_file(dbc_path, dbc_text);

	test_topics();
	test_config_errors();
	c = good_conf();
	ok(c != NULL, "good downlink config loads");
	if (!c)
		return 1;
	test_allow_rate(c);
	dl = downlink_new(c, fake_tx, NULL, NULL, &stats);
	ok(dl != NULL, "downlink_new loads allowlists and the DBC");
	if (dl) {
		test_can_raw(dl);
		test_can_dbc(dl);
		test_serial(dl);
		test_general(dl);
	}
	/* Every tx call was an ok command but the one ENETDOWN refused. */
	ok(stats.ok + stats.refused == ncmds &&
		   stats.ok == (uint64_t)tx.calls - 1,
	   "stats: %llu ok + %llu refused = %u commands",
	   (unsigned long long)stats.ok, (unsigned long long)stats.refused,
	   ncmds);
	downlink_free(dl);
	dl = downlink_new(c, fake_tx, fake_modbus, NULL, &stats);
	tx.calls = 0;
	memset(&stats, 0, sizeof(stats));
	ncmds = 0;
	if (ok(dl != NULL, "downlink_new with a Modbus master"))
		test_modbus(dl);
	ok(stats.ok == 1 && stats.refused == ncmds + 3,
	   "stats: Modbus replies that came later are counted (1 ok, 3 failed)");
	memset(&stats, 0, sizeof(stats));
	ncmds = 0;
	if (dl)
		test_modbus_coils(dl);
	ok(stats.ok == coils_ok && stats.refused == ncmds + 1,
	   "stats: coil writes counted like register writes (%u ok, 1 failed)",
	   coils_ok);
	downlink_free(dl);
	free(late_reply);
	conf_free(c);
	unlink(conf_path);
	unlink(dbc_path);
	rmdir(dir);
	return tap_done();
}
