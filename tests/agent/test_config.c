// SPDX-License-Identifier: GPL-2.0
/*
 * Config parsing: a full good file gives the values written in it; each
 * kind of bad file gives exactly the "file:line: message" expected.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
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

static const char good[] = "# comment\n"
			   "[agent]\n"
			   "log_level = debug\n"
			   "metrics_listen = 127.0.0.1:9108\n"
			   "stall_timeout = 2m\n"
			   "[source]\n"
			   "type = replay\n"
			   "file = /tmp/x.log\n"
			   "speed = 0\n"
			   "[spool]\n"
			   "dir = /tmp/spool\n"
			   "max_size = 8M\n"
			   "segment_size = 64k\n"
			   "policy = stop-accepting\n"
			   "flush_interval = 20ms\n"
			   "[port can0]\n"
			   "type = can\n"
			   "ifname = vcan0\n"
			   "filters = 123:7ff, ~200:700, 1abcdef0\n"
			   "decoder = raw\n"
			   "byte_order = little\n"
			   "[port gps]\n"
			   "type = serial\n"
			   "tty = ttyS1\n"
			   "baud = 9600\n"
			   "parity = even\n"
			   "framing = delimiter\n"
			   "framing_arg = 10\n"
			   "[rule temps]\n"
			   "port = can0\n"
			   "signal = 1*\n"
			   "period = 500ms\n"
			   "stats = last, min,max mean count\n"
			   "deadband = 0.5\n"
			   "output = cloud\n"
			   "[output cloud]\n"
			   "type = mqtt\n"
			   "host = 127.0.0.1\n"
			   "port = 8883\n"
			   "protocol = 5\n"
			   "encoding = senml\n"
			   "topic = site/{port}/{signal}\n"
			   "status_topic = site/status\n"
			   "qos = 0\n"
			   "retain = yes\n"
			   "username = u\n"
			   "password = p\n"
			   "replay_rate = 20\n";

static void test_good(void)
{
	char *errs = NULL;
	struct agent_conf *c = load(good, &errs);
	struct port_conf *pc;
	struct rule_conf *rc;
	struct output_conf *oc;

	if (!ok(c != NULL, "good config loads")) {
		printf("# %s", errs);
		free(errs);
		return;
	}
	ok(errs && !errs[0], "good config prints nothing");
	ok(c->log_level == LOG_LVL_DEBUG && c->stall_timeout == 120 &&
		   !strcmp(c->metrics_listen, "127.0.0.1:9108"),
	   "[agent] values");
	ok(c->source == SRC_REPLAY && c->replay_speed == 0 &&
		   !strcmp(c->replay_file, "/tmp/x.log"),
	   "[source] values");
	ok(c->spool_max == 8 << 20 && c->spool_segment == 64 << 10 &&
		   c->spool_policy == SPOOL_STOP_ACCEPTING &&
		   c->spool_flush > 0.0199 && c->spool_flush < 0.0201 &&
		   !strcmp(c->spool_dir, "/tmp/spool"),
	   "[spool] sizes, policy, duration");
	pc = conf_port(c, "can0");
	ok(pc && pc->type == M2MGW_PORT_CAN && !strcmp(pc->ifname, "vcan0") &&
		   pc->nfilters == 3 && pc->filters[0].can_id == 0x123 &&
		   (pc->filters[1].can_id & CAN_INV_FILTER) &&
		   pc->filters[2].can_id == (0x1abcdef0 | CAN_EFF_FLAG),
	   "CAN port and filters (plain, inverted, extended)");
	ok(pc && pc->opts && !strcmp(pc->opts->key, "byte_order") &&
		   pc->opts->line == 21 && !pc->opts->next,
	   "decoder keys kept for the decoder with their line");
	pc = conf_port(c, "gps");
	ok(pc && pc->type == M2MGW_PORT_SERIAL && pc->baud == 9600 &&
		   pc->parity == M2MGW_PARITY_EVEN && pc->data_bits == 8 &&
		   pc->framing == M2MGW_FRAMING_DELIMITER &&
		   pc->framing_arg == 10 && !strcmp(pc->decoder, "raw"),
	   "serial port with defaults");
	ok(pc && pc->framing_given && !conf_port(c, "can0")->framing_given,
	   "framing given for the serial port only (applied when reused)");
	rc = c->rules;
	ok(rc && rc->period == 0.5 && rc->deadband == 0.5 &&
		   rc->stats == (STAT_LAST | STAT_MIN | STAT_MAX | STAT_MEAN |
				 STAT_COUNT) &&
		   rc->out == c->outputs,
	   "rule values and resolved output");
	oc = c->outputs;
	ok(oc && oc->port == 8883 && oc->protocol == 5 &&
		   oc->encoding == ENC_SENML && oc->qos == 0 && oc->retain &&
		   !strcmp(oc->client_id, "m2mgwd-cloud"),
	   "output values and default client id");
	conf_free(c);
	free(errs);
}

struct bad {
	const char *name, *text, *expect;
};

static const struct bad bads[] = {
	{ "unknown section", "[agent]\n\n[bogus]\nx = 1\n",
	  ":3: unknown section [bogus]" },
	{ "unknown key", "[agent]\nlog_level = info\nlogging = yes\n",
	  ":3: unknown key \"logging\" in [agent]" },
	{ "key outside section", "x = 1\n", ":1: key \"x\" outside" },
	{ "syntax error", "[agent]\nlog_level info\n", ":2: syntax error" },
	{ "duplicate key", "[spool]\ndir = /a\ndir = /b\n",
	  ":3: duplicate key \"dir\"" },
	{ "duplicate section", "[port a]\ntype = can\n[port a]\ntype = can\n",
	  ":3: duplicate section [port a]" },
	{ "bad port name", "[port a/b]\ntype = can\n", ":1: [port NAME]" },
	{ "ring size not power of two", "[source]\nring_size = 5000\n",
	  ":2: ring_size: 5000 is not a power of two" },
	{ "wakeup bytes without latency", "[source]\nwakeup_bytes = 64k\n",
	  ":1: [source] wakeup_bytes and wakeup_latency go together" },
	{ "wakeup above half the ring",
	  "[source]\nring_size = 64k\nwakeup_bytes = 48k\n"
	  "wakeup_latency = 20ms\n",
	  ":1: [source] wakeup_bytes (49152) must be at most half" },
	{ "wakeup latency above 1 s",
	  "[source]\nwakeup_bytes = 4k\nwakeup_latency = 2s\n",
	  ":1: [source] wakeup_latency must be between 1us and 1s" },
	{ "size garbage", "[spool]\nmax_size = 12Q\n",
	  ":2: max_size: \"12Q\"" },
	{ "integer out of range", "[output o]\nhost = h\nqos = 2\n",
	  ":3: qos: \"2\" is not an integer in 0..1" },
	{ "negative integer", "[output o]\nhost = h\nport = -1\n",
	  ":3: port: \"-1\"" },
	{ "bad enum", "[source]\ntype = socket\n",
	  ":2: type: \"socket\" is not one of ring, replay" },
	{ "bad duration", "[agent]\nstall_timeout = 10x\n",
	  ":2: stall_timeout: \"10x\" is not a duration" },
	{ "bad bool", "[port p]\ntype = can\ncreate = maybe\n",
	  ":3: create: \"maybe\" is not yes or no" },
	{ "bad stats", "[rule r]\nstats = last, median\n",
	  ":2: stats: \"last, median\"" },
	{ "bad filter", "[port p]\ntype = can\nfilters = 12g\n",
	  ":3: filters: \"12g\"" },
	{ "bad log level", "[agent]\nlog_level = loud\n", ":2: log_level" },
	{ "port without type", "[port p]\nifname = vcan0\n",
	  ":1: [port p]: type = can or serial is required" },
	{ "unknown decoder", "[port p]\ntype = can\ndecoder = dbx\n",
	  ":3: [port p]: unknown decoder \"dbx\" (known: raw" },
	{ "decoder refuses key", "[port p]\ntype = can\nbyte_order = middle\n",
	  ":3: byte_order must be big or little" },
	{ "decoder unknown key", "[port p]\ntype = can\n\nfoo = 1\n",
	  ":4: unknown key \"foo\" in [port p] (decoder raw)" },
	{ "rule names missing port",
	  "[output o]\nhost = h\n[rule r]\nport = can9\n",
	  ":3: [rule r]: port \"can9\" is not defined" },
	{ "rule names missing output",
	  "[output o]\nhost = h\n[rule r]\noutput = cloud\n",
	  ":3: [rule r]: output \"cloud\" is not defined" },
	{ "output without host", "[output o]\nport = 1883\n",
	  ":1: [output o]: host = is required" },
	{ "topic with unknown field",
	  "[output o]\nhost = h\ntopic = a/{device}\n",
	  ":1: [output o]: topic \"a/{device}\"" },
	{ "replay without file", "[source]\ntype = replay\n",
	  ":1: [source] type = replay needs file =" },
	{ "segment above half of max",
	  "[spool]\nmax_size = 64k\nsegment_size = 48k\n",
	  ":1: [spool] segment_size" },
	{ "serial key on CAN port", "[port p]\ntype = can\ntty = ttyS0\n",
	  ":1: [port p]: tty = is for serial ports" },
	{ "on_change with deadband",
	  "[output o]\nhost = h\n[rule r]\non_change = yes\ndeadband = 1\n",
	  ":3: [rule r]: on_change and deadband" },
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		char *errs = NULL, want[256];
		struct agent_conf *c = load(bads[i].text, &errs);

		snprintf(want, sizeof(want), "%s%s", path, bads[i].expect);
		if (!ok(!c && errs && !strncmp(errs, want, strlen(want)),
			"bad config: %s", bads[i].name))
			printf("#   want: %s\n#   got:  %s", want,
			       errs ? errs : "(nothing)\n");
		conf_free(c);
		free(errs);
	}
}

/*
 * A line too long for libinih used to come back in pieces (the rest
 * "syntax error" on a wrong line number), a NUL byte cut a value short
 * silently (found while writing the config fuzz target).
 */
static void test_long_and_nul_lines(void)
{
	static const char nul[] = "[agent]\nlog_level = info\0debug\n";
	char text[1024], *errs = NULL, want[256];
	struct agent_conf *c;
	size_t n;
	FILE *f, *err;

	snprintf(text, sizeof(text),
		 "[agent]\n# %0600d\nlog_level = info\n[source]\ntype = ring\n",
		 0);
	c = load(text, &errs);
	snprintf(want, sizeof(want), "%s:2: line longer than", path);
	ok(!c && errs && !strncmp(errs, want, strlen(want)) &&
		   !strchr(errs, '\n')[1],
	   "a 600-character line: one error, on its own line number (%s)",
	   errs ? errs : "");
	conf_free(c);
	free(errs);
	f = fopen(path, "w");
	fwrite(nul, 1, sizeof(nul) - 1, f);
	fclose(f);
	errs = NULL;
	err = open_memstream(&errs, &n);
	c = conf_load(path, err);
	fclose(err);
	snprintf(want, sizeof(want), "%s:2: NUL byte", path);
	ok(!c && errs && !strncmp(errs, want, strlen(want)),
	   "a NUL byte in a line is an error (%s)", errs ? errs : "");
	conf_free(c);
	free(errs);
}

static void test_many_errors(void)
{
	char *errs = NULL;
	struct agent_conf *c = load("[agent]\nfoo = 1\nbar = 2\n[x]\n", &errs);
	int lines = 0;

	for (char *p = errs; p && *p; p++)
		lines += *p == '\n';
	ok(!c && lines == 3, "every error is reported, not just the first (%d)",
	   lines);
	free(errs);
}

static void test_missing_file(void)
{
	char *errs = NULL;
	size_t n;
	FILE *err = open_memstream(&errs, &n);
	struct agent_conf *c = conf_load("/nonexistent/m2mgwd.conf", err);

	fclose(err);
	ok(!c && strstr(errs, "/nonexistent/m2mgwd.conf:0: cannot open"),
	   "missing file is reported with its name");
	free(errs);
}

static void test_parsers(void)
{
	uint64_t u;
	double d;

	ok(!conf_parse_size("4k", &u) && u == 4096 &&
		   !conf_parse_size("2MiB", &u) && u == 2 << 20 &&
		   conf_parse_size("1T", &u) && conf_parse_size("", &u) &&
		   conf_parse_size("99999999999G", &u),
	   "size parser and its limits");
	ok(!conf_parse_duration("250ms", &d) && d == 0.25 &&
		   !conf_parse_duration("3", &d) && d == 3 &&
		   conf_parse_duration("-1s", &d) &&
		   conf_parse_duration("nan", &d),
	   "duration parser refuses negatives and NaN");
}

int main(void)
{
	log_max_level = LOG_LVL_ERR;
	snprintf(path, sizeof(path), "/tmp/m2mgwd-test-%d.conf", getpid());
	test_good();
	test_bad();
	test_many_errors();
	test_long_and_nul_lines();
	test_missing_file();
	test_parsers();
	unlink(path);
	return tap_done();
}
