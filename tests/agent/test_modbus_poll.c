// SPDX-License-Identifier: GPL-2.0
/*
 * Modbus master config: a good poll schedule gives the values written
 * in it; each bad line gives exactly the "file:line: message" expected,
 * through the agent's own config loader.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "modbus_poll.h"
#include "tap.h"

static char path[64];

static struct agent_conf *load(const char *text, char **errs)
{
	struct agent_conf *c;
	size_t n;
	FILE *f = fopen(path, "w"), *err;

	fputs(text, f);
	fclose(f);
	err = open_memstream(errs, &n);
	c = conf_load(path, err);
	fclose(err);
	return c;
}

#define HEAD                     \
	"[port bus]\n"           \
	"type = serial\n"        \
	"tty = ttyS1\n"          \
	"baud = 9600\n"          \
	"framing = modbus-rtu\n" \
	"decoder = modbus\n"     \
	"mode = master\n" /* line 7 */

static const char good[] = HEAD
	"timeout = 300ms\n"
	"retries = 1\n"
	"backoff_max = 10s\n"
	"poll = volts slave=1 fc=3 addr=100 scale=0.1 unit=V period=500ms\n"
	"poll = energy slave=1 fc=4 addr=0 type=u32 order=little period=2s timeout=1s\n"
	"poll = temps slave=2 fc=3 addr=10 count=4 type=float32\n"
	"poll = door slave=2 fc=2 addr=7\n";

static const struct {
	const char *line, *expect;
} bads[] = {
	{ "poll = x slave=0 fc=3 addr=1",
	  ":8: poll: slave \"0\" is not in 1..247" },
	{ "poll = x slave=1 fc=5 addr=1",
	  ":8: poll: fc \"5\" is not a read function (1 coils, 2 discrete inputs, 3 holding registers, 4 input registers)" },
	{ "poll = x slave=1 fc=3 addr=65536",
	  ":8: poll: addr \"65536\" is not in 0..65535" },
	{ "poll = x slave=1 fc=3",
	  ":8: poll x: slave=, fc= and addr= are required" },
	{ "poll = x slave=1 fc=3 addr=1 type=u64",
	  ":8: poll: type \"u64\" is not one of bit, u16, s16, u32, s32, float32" },
	{ "poll = x slave=1 fc=1 addr=1 type=u16",
	  ":8: poll x: type u16 does not fit fc 1 (bits: type bit)" },
	{ "poll = x slave=1 fc=3 addr=1 order=middle",
	  ":8: poll: order \"middle\" is not big (most significant word first) or little" },
	{ "poll = x slave=1 fc=3 addr=1 count=63 type=u32",
	  ":8: poll x: 63 values of u32 exceed one request (125)" },
	{ "poll = x slave=1 fc=3 addr=65535 count=2",
	  ":8: poll x: addr + count passes 65535" },
	{ "poll = x slave=1 fc=3 addr=1 period=1ms",
	  ":8: poll: period \"1ms\" is not a duration of at least 10ms" },
	{ "poll = x slave=1 fc=3 addr=1 scale=abc",
	  ":8: poll: scale \"abc\" is not a number" },
	{ "poll = x slave=1 fc=3 addr=1 colour=red",
	  ":8: poll: unknown key \"colour\" (slave, fc, addr, count, type, order, scale, unit, period, timeout)" },
	{ "poll = slave=1 fc=3 addr=1",
	  ":8: poll: a signal name (letters, digits, _ . -) must come first" },
	{ "poll = x slave=1 fc=3 addr", ":8: poll: \"addr\" is not key=value" },
	{ "poll = x slave=1 fc=3 addr=1\npoll = x slave=2 fc=3 addr=1",
	  ":9: poll x: name already used on line 8" },
	{ "retries = 11", ":8: retries: \"11\" is not in 0..10" },
	{ "timeout = soon",
	  ":8: timeout: \"soon\" is not a duration of at least 1ms" },
	{ "speed = 3",
	  ":8: unknown key \"speed\" in [port bus] (decoder modbus: mode, timeout, retries, backoff_min, backoff_max, poll)" },
	{ "backoff_min = 10s\nbackoff_max = 5s",
	  ":1: [port bus]: backoff_max is less than backoff_min" },
};

int main(void)
{
	struct modbus_bus_conf bc;
	struct agent_conf *c;
	char *errs = NULL, text[1024], want[512];
	const struct modbus_poll *p;
	int errors;

	log_max_level = LOG_LVL_ERR;
	snprintf(path, sizeof(path), "/tmp/m2mgwd-mbtest-%d.conf", getpid());
	c = load(good, &errs);
	ok(c != NULL && !*errs, "good poll schedule loads: %s", errs);
	free(errs);
	if (!c)
		return 1;
	errors = modbus_conf_parse(c->ports, path, stderr, &bc);
	p = bc.polls;
	ok(!errors && bc.master && bc.npolls == 4 && bc.timeout == 0.3 &&
		   bc.retries == 1 && bc.backoff_min == 1 &&
		   bc.backoff_max == 10 && bc.baud == 9600,
	   "master, 4 polls, timeout 300ms, retries 1, backoff 1..10s, 9600 baud");
	ok(p[0].slave == 1 && p[0].fc == 3 && p[0].addr == 100 &&
		   p[0].type == MODBUS_U16 && p[0].span == 1 &&
		   p[0].scale == 0.1 && !strcmp(p[0].unit, "V") &&
		   p[0].period == 0.5 && p[0].line == 11,
	   "volts: slave 1 holding 100 u16 x0.1 V every 500ms (line 11)");
	ok(p[1].fc == 4 && p[1].type == MODBUS_U32 && p[1].lsw_first &&
		   p[1].span == 2 && p[1].period == 2 && p[1].timeout == 1,
	   "energy: input register u32, low word first, 2 registers, own timeout");
	ok(p[2].count == 4 && p[2].span == 8 && p[2].type == MODBUS_F32 &&
		   p[2].period == 1 && p[2].scale == 1,
	   "temps: 4 float32 = 8 registers, default period 1s and scale 1");
	ok(p[3].fc == 2 && p[3].type == MODBUS_BIT && p[3].span == 1,
	   "door: discrete input, type bit by default");
	modbus_conf_free(&bc);
	conf_free(c);

	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		snprintf(text, sizeof(text), HEAD "%s\n", bads[i].line);
		c = load(text, &errs);
		snprintf(want, sizeof(want), "%s%s\n", path, bads[i].expect);
		ok(!c && !strcmp(errs, want), "bad line -> %s",
		   bads[i].expect + 1);
		if (c || strcmp(errs, want))
			printf("#   got: %s", errs);
		free(errs);
		conf_free(c);
	}
	c = load("[port bus]\ntype = serial\ntty = ttyS1\ndecoder = modbus\n"
		 "mode = master\npoll = x slave=1 fc=3 addr=1\n",
		 &errs);
	snprintf(want, sizeof(want),
		 "%s:1: [port bus]: mode = master needs framing = modbus-rtu\n",
		 path);
	ok(!c && !strcmp(errs, want), "master without modbus-rtu framing");
	free(errs);
	c = load("[port bus]\ntype = serial\ntty = ttyS1\ndecoder = modbus\n"
		 "poll = x slave=1 fc=3 addr=1\n",
		 &errs);
	snprintf(want, sizeof(want),
		 "%s:5: poll schedule keys need mode = master\n", path);
	ok(!c && !strcmp(errs, want), "poll in sniffer mode refused");
	free(errs);
	c = load("[port bus]\ntype = serial\ntty = ttyS1\ndecoder = modbus\n"
		 "mode = slave\n",
		 &errs);
	snprintf(want, sizeof(want),
		 "%s:5: mode must be master or sniffer, not \"slave\"\n", path);
	ok(!c && !strcmp(errs, want), "mode = slave refused");
	free(errs);
	unlink(path);
	return tap_done();
}
