// SPDX-License-Identifier: GPL-2.0
/*
 * DBC parser, bit codec and the "dbc" decoder.  Expected values are
 * worked out by hand (in the comments) and recomputed here with plain
 * shifts on the test bytes, independently of dbc_bits.c; encoding is
 * checked against the same hand-made frames and by round trips.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/can.h>

#include "config.h"
#include "dbc.h"
#include "decode.h"
#include "tap.h"

static char path[64], cpath[64];

static const char good[] =
	"VERSION \"\"\n"
	"\n"
	"NS_ :\n"
	"\tNS_DESC_\n"
	"\tCM_\n"
	"\n"
	"BS_:\n"
	"\n"
	"BU_: ECU GW\n"
	"\n"
	"BO_ 256 Engine: 8 ECU\n"
	" SG_ Temp : 0|16@1+ (0.1,-40) [-40|6513.5] \"degC\" GW\n"
	" SG_ Torque : 20|12@1- (0.5,0) [-1024|1023.5] \"Nm\" GW\n"
	" SG_ Rpm : 39|16@0+ (0.25,0) [0|16383.75] \"rpm\" GW\n"
	" SG_ Gear : 51|10@0- (1,0) [0|0] \"\" GW\n"
	"\n"
	"BO_ 512 Mux: 8 ECU\n"
	" SG_ Page M : 0|8@1+ (1,0) [0|255] \"\" GW\n"
	" SG_ Volt m0 : 8|16@1+ (0.01,0) [0|655.35] \"V\" GW\n"
	" SG_ Curr m1 : 8|8@1- (1,0) [-128|127] \"A\" GW\n"
	" SG_ Always : 56|8@1+ (1,0) [0|255] \"\" GW\n"
	"\n"
	"BO_ 2566844926 Ext: 8 ECU\n"
	" SG_ Speed : 0|16@1+ (0.00390625,0) [0|0] \"km/h\" GW\n"
	"\n"
	"BO_ 2 Wide: 8 ECU\n"
	" SG_ Counter : 0|64@1+ (1,0) [0|0] \"\" GW\n"
	"BO_ 3 Flt: 8 ECU\n"
	" SG_ F : 0|32@1- (1,0) [0|0] \"\" GW\n"
	"BO_ 4 Dbl: 8 ECU\n"
	" SG_ D : 0|64@1- (1,0) [0|0] \"\" GW\n"
	"BO_ 3221225472 VECTOR__INDEPENDENT_SIG_MSG: 0 Vector__XXX\n"
	" SG_ Orphan : 0|8@1+ (1,0) [0|0] \"\" Vector__XXX\n"
	"\n"
	"CM_ SG_ 256 Temp \"Coolant\n"
	"temperature; in degC\";\n"
	"BA_DEF_ BO_ \"GenMsgCycleTime\" INT 0 10000;\n"
	"BA_ \"GenMsgCycleTime\" BO_ 256 100;\n"
	"VAL_ 512 Page 0 \"Power\" 1 \"Current\" ;\n"
	"SIG_VALTYPE_ 3 F : 1;\n"
	"SIG_VALTYPE_ 4 D : 2;\n";

static void write_file(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");

	fputs(text, f);
	fclose(f);
}

static struct dbc *load(const char *text, char **errs)
{
	struct dbc *db;
	size_t n;
	FILE *err = open_memstream(errs, &n);

	write_file(path, text);
	db = dbc_load(path, err);
	fclose(err);
	return db;
}

/* Collects what dbc_decode reports. */
struct got {
	int n;
	const char *name[16];
	double v[16];
};

static void collect(void *ctx, const struct dbc_signal *s, double v)
{
	struct got *g = ctx;

	g->name[g->n] = s->qname;
	g->v[g->n++] = v;
}

static bool has(const struct got *g, const char *name, double want)
{
	for (int i = 0; i < g->n; i++)
		if (!strcmp(g->name[i], name))
			return fabs(g->v[i] - want) < 1e-9;
	return false;
}

static bool absent(const struct got *g, const char *name)
{
	for (int i = 0; i < g->n; i++)
		if (!strcmp(g->name[i], name))
			return false;
	return true;
}

static int64_t sext(uint64_t v, int bits)
{
	return v >> (bits - 1) & 1 ? (int64_t)(v - (1ULL << bits)) : (int64_t)v;
}

/* Engine: every byte order / sign combination on one frame. */
static const uint8_t engine[8] = { 0x9c, 0x04, 0x5a, 0xf3,
				   0x12, 0x34, 0x0e, 0xab };

static void test_byte_orders(const struct dbc *db)
{
	const struct dbc_msg *m = dbc_find_id(db, 256, false);
	const uint8_t *d = engine;
	struct got g = { 0 };

	if (!ok(m && m->nsigs == 4 && m->dlc == 8,
		"Engine: 4 signals, 8 bytes"))
		return;
	ok(dbc_decode(m, d, 8, collect, &g) == 4, "Engine decodes 4 signals");
	/* Intel unsigned, bytes 0-1 LE: 0x049c = 1180 -> 118.0 - 40 */
	ok(has(&g, "Engine.Temp", 78.0) &&
		   has(&g, "Engine.Temp", (d[0] | d[1] << 8) * 0.1 - 40),
	   "Intel unsigned 16 bit, factor and offset: 78.0 degC");
	/* Intel signed, bits 20..31: 0x5a >> 4 | 0xf3 << 4 = 0xf35 = -203 */
	ok(has(&g, "Engine.Torque", -101.5) &&
		   has(&g, "Engine.Torque",
		       sext(d[2] >> 4 | d[3] << 4, 12) * 0.5),
	   "Intel signed 12 bit across a byte boundary: -101.5");
	/* Motorola unsigned, MSB at bit 39 (byte 4 bit 7): 0x1234 = 4660 */
	ok(has(&g, "Engine.Rpm", 1165.0) &&
		   has(&g, "Engine.Rpm", (d[4] << 8 | d[5]) * 0.25),
	   "Motorola unsigned 16 bit: 1165 rpm");
	/* Motorola signed, MSB at bit 51: byte 6 bits 3..0 then byte 7
	 * bits 7..2: 0xe << 6 | 0xab >> 2 = 938 = -86 in 10 bits */
	ok(has(&g, "Engine.Gear", -86) &&
		   has(&g, "Engine.Gear",
		       sext((d[6] & 0xf) << 6 | d[7] >> 2, 10)),
	   "Motorola signed 10 bit straddling bytes 6-7: -86");
	ok(m->sigs[0].unit && !strcmp(m->sigs[0].unit, "degC") &&
		   !m->sigs[3].unit,
	   "units kept, \"\" is no unit");
	ok(dbc_decode(m, d, 7, collect, &g) == -EMSGSIZE,
	   "a 7-byte frame of an 8-byte message is refused");
}

static void test_mux(const struct dbc *db)
{
	const struct dbc_msg *m = dbc_find_name(db, "Mux");
	uint8_t p0[8] = { 0, 0x10, 0x27, 0, 0, 0, 0, 7 };
	uint8_t p1[8] = { 1, 0xf6, 0, 0, 0, 0, 0, 9 };
	uint8_t p2[8] = { 2, 0xff, 0xff, 0, 0, 0, 0, 1 };
	struct got g0 = { 0 }, g1 = { 0 }, g2 = { 0 };

	if (!ok(m != NULL && m->mux_sig == 0, "Mux: Page is the multiplexor"))
		return;
	dbc_decode(m, p0, 8, collect, &g0);
	dbc_decode(m, p1, 8, collect, &g1);
	dbc_decode(m, p2, 8, collect, &g2);
	/* page 0: 0x2710 = 10000 * 0.01 = 100 V */
	ok(g0.n == 3 && has(&g0, "Mux.Page", 0) && has(&g0, "Mux.Volt", 100) &&
		   absent(&g0, "Mux.Curr") && has(&g0, "Mux.Always", 7),
	   "m0 signal only when the multiplexor is 0");
	/* page 1: 0xf6 signed = -10 A */
	ok(g1.n == 3 && has(&g1, "Mux.Curr", -10) &&
		   has(&g1, "Mux.Curr", (int8_t)p1[1]) &&
		   absent(&g1, "Mux.Volt") && has(&g1, "Mux.Always", 9),
	   "m1 signal only when the multiplexor is 1");
	ok(g2.n == 2 && absent(&g2, "Mux.Volt") && absent(&g2, "Mux.Curr"),
	   "multiplexor value without signals: only the plain ones");
	ok(!strcmp(dbc_val_desc(&m->sigs[0], 1), "Current") &&
		   !dbc_val_desc(&m->sigs[0], 2),
	   "VAL_ table: 1 = Current, 2 none");
}

static void test_ids_and_types(const struct dbc *db)
{
	const struct dbc_msg *m;
	uint8_t d[8] = { 0x00, 0x19 }, w[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t f[8] = { 0 };
	float fv = -3.25f;
	double dv = 1.0e-300;
	struct got g = { 0 };

	m = dbc_find_id(db, 0x18fef1fe, true);
	ok(m && !strcmp(m->name, "Ext"), "extended id (bit 31 in the DBC)");
	ok(!dbc_find_id(db, 0x1fe, false) && !dbc_find_id(db, 256, true),
	   "standard and extended ids do not mix");
	if (m) {
		dbc_decode(m, d, 8, collect, &g);
		ok(has(&g, "Ext.Speed", 0x1900 / 256.0), "Ext.Speed 25 km/h");
	}
	m = dbc_find_id(db, 2, false);
	ok(m && dbc_get_raw(&m->sigs[0], w) == 0x0807060504030201ULL,
	   "64-bit Intel raw value exact");
	m = dbc_find_id(db, 3, false);
	memcpy(f, &fv, 4);
	g.n = 0;
	if (m)
		dbc_decode(m, f, 8, collect, &g);
	ok(m && has(&g, "Flt.F", -3.25), "SIG_VALTYPE_ 1: IEEE float");
	m = dbc_find_id(db, 4, false);
	memcpy(f, &dv, 8);
	g.n = 0;
	if (m)
		dbc_decode(m, f, 8, collect, &g);
	ok(m && g.n == 1 && g.v[0] == 1.0e-300, "SIG_VALTYPE_ 2: IEEE double");
	ok(!dbc_find_name(db, "VECTOR__INDEPENDENT_SIG_MSG") && db->nmsgs == 6,
	   "VECTOR__INDEPENDENT_SIG_MSG is not a message");
}

/* 64-bit integers: the top of the range is no double (fuzz dbc_bits). */
static void test_encode_64(const struct dbc *db)
{
	const struct dbc_signal *u =
		dbc_find_signal(dbc_find_name(db, "Wide"), "Counter");
	struct dbc_signal s = *u;
	uint8_t out[8];

	s.is_signed = true;
	ok(dbc_put(u, ldexp(1, 64), out) == -ERANGE &&
		   dbc_put(u, ldexp(1, 64) - 2048, out) == 0 &&
		   dbc_get_raw(u, out) == 0xfffffffffffff800ULL,
	   "unsigned 64 bits: 2^64 is -ERANGE, 2^64 - 2048 encodes");
	ok(dbc_put(&s, ldexp(1, 63), out) == -ERANGE &&
		   dbc_put(&s, -ldexp(1, 63) - 2048, out) == -ERANGE &&
		   dbc_put(&s, -ldexp(1, 63), out) == 0 &&
		   dbc_get_raw(&s, out) == 1ULL << 63 &&
		   dbc_put(&s, ldexp(1, 63) - 1024, out) == 0 &&
		   dbc_get_raw(&s, out) == 0x7ffffffffffffc00ULL,
	   "signed 64 bits: 2^63 is -ERANGE, -2^63 and 2^63 - 1024 encode");
}

static void test_encode(const struct dbc *db)
{
	const struct dbc_msg *m = dbc_find_name(db, "Engine");
	const char *names[] = { "Temp", "Torque", "Rpm", "Gear" };
	double vals[] = { 78.0, -101.5, 1165.0, -86 };
	uint8_t out[8], rnd[8], back[8];
	const char *mn[] = { "Page", "Curr" };
	double mv[] = { 1, -10 };
	int bad = 0;

	ok(dbc_encode(m, names, vals, 4, out, 8) == 8 && out[0] == 0x9c &&
		   out[1] == 0x04 && (out[2] & 0xf0) == 0x50 &&
		   out[3] == 0xf3 && out[4] == 0x12 && out[5] == 0x34 &&
		   (out[6] & 0x0f) == 0x0e && (out[7] & 0xfc) == 0xa8,
	   "encode gives the hand-made Engine frame back");
	srand(8);
	for (int i = 0; i < 2000; i++) {
		struct got g = { 0 }, h = { 0 };
		double v[4];

		for (int j = 0; j < 8; j++)
			rnd[j] = rand();
		dbc_decode(m, rnd, 8, collect, &g);
		for (int j = 0; j < 4; j++)
			v[j] = g.v[j];
		if (dbc_encode(m, names, v, 4, back, 8) != 8) {
			bad++;
			continue;
		}
		dbc_decode(m, back, 8, collect, &h);
		for (int j = 0; j < 4; j++)
			if (dbc_get_raw(&m->sigs[j], rnd) !=
			    dbc_get_raw(&m->sigs[j], back))
				bad++;
	}
	ok(!bad,
	   "2000 random frames: decode -> encode -> same raw bits (%d bad)",
	   bad);
	vals[0] = 7000;
	ok(dbc_encode(m, names, vals, 1, out, 8) == -ERANGE,
	   "encode above the DBC max is -ERANGE");
	vals[0] = 78;
	vals[3] = 600;
	ok(dbc_put(&m->sigs[3], 600, out) == -ERANGE &&
		   dbc_put(&m->sigs[3], -513, out) == -ERANGE &&
		   dbc_put(&m->sigs[3], -512, out) == 0,
	   "encode outside a 10-bit signed range is -ERANGE");
	names[0] = "Nope";
	ok(dbc_encode(m, names, vals, 1, out, 8) == -ENOENT, "unknown signal");
	test_encode_64(db);
	m = dbc_find_name(db, "Mux");
	ok(dbc_encode(m, mn, mv, 2, out, 8) == 8 && out[0] == 1 &&
		   out[1] == 0xf6,
	   "encode a multiplexed signal with its page");
	mn[1] = "Volt";
	ok(dbc_encode(m, mn, mv, 2, out, 8) == -EINVAL,
	   "a signal of another page is -EINVAL");
	m = dbc_find_name(db, "Flt");
	mn[0] = "F";
	mv[0] = 1.5e3;
	if (dbc_encode(m, mn, mv, 1, out, 8) == 8) {
		struct got g = { 0 };

		dbc_decode(m, out, 8, collect, &g);
		ok(has(&g, "Flt.F", 1.5e3), "float round trip");
	} else {
		ok(0, "float round trip");
	}
}

static const struct {
	const char *name, *text, *expect;
} bads[] = {
	{ "byte order", "BO_ 100 A: 8 X\n SG_ s : 0|8@2+ (1,0) [0|0] \"\" X\n",
	  ":2: SG_ s: byte order/sign must be" },
	{ "SG_ before BO_",
	  "VERSION \"\"\n SG_ s : 0|8@1+ (1,0) [0|0] \"\" X\n",
	  ":2: SG_ outside of a message" },
	{ "Intel beyond length",
	  "BO_ 100 A: 2 X\n SG_ s : 8|16@1+ (1,0) [0|0] \"\" X\n",
	  ":2: SG_ s: bits 8..23 do not fit in the 2 bytes of A" },
	{ "Motorola beyond length",
	  "BO_ 100 A: 2 X\n SG_ s : 15|24@0+ (1,0) [0|0] \"\" X\n",
	  ":2: SG_ s: bits 15..31 do not fit" },
	{ "std id above 0x7ff", "BO_ 2048 A: 8 X\n",
	  ":1: id 2048 is above 0x7ff" },
	{ "ext id bits", "BO_ 4294967295 A: 8 X\n",
	  ":1: extended id 0xffffffff" },
	{ "unknown keyword after multi-line CM_",
	  "BO_ 100 A: 8 X\nCM_ BO_ 100 \"two\nlines\";\nFOO_ bar\n",
	  ":4: unknown keyword \"FOO_\"" },
	{ "VAL_ of an unknown signal",
	  "BO_ 100 A: 8 X\n SG_ s : 0|8@1+ (1,0) [0|0] \"\" X\nVAL_ 100 t 0 \"x\" ;\n",
	  ":3: VAL_: no signal t in message 0x64" },
	{ "SG_MUL_VAL_", "BO_ 100 A: 8 X\n\nSG_MUL_VAL_ 100 s m 1-1;\n",
	  ":3: extended multiplexing (SG_MUL_VAL_)" },
	{ "m1M", "BO_ 100 A: 8 X\n SG_ s m1M : 0|8@1+ (1,0) [0|0] \"\" X\n",
	  ":2: SG_ s: extended multiplexing (\"m1M\")" },
	{ "two multiplexors",
	  "BO_ 100 A: 8 X\n SG_ a M : 0|8@1+ (1,0) [0|0] \"\" X\n SG_ b M : 8|8@1+ (1,0) [0|0] \"\" X\n",
	  ":3: SG_ b: A already has a multiplexor (a)" },
	{ "mN without M",
	  "BO_ 100 A: 8 X\n SG_ s m1 : 0|8@1+ (1,0) [0|0] \"\" X\n",
	  ":2: SG_ s: multiplexed (m1) but A has no multiplexor" },
	{ "duplicate id", "BO_ 100 A: 8 X\nBO_ 100 B: 8 X\n",
	  ":2: BO_ B: id 0x64 defined twice" },
	{ "factor 0", "BO_ 100 A: 8 X\n SG_ s : 0|8@1+ (0,0) [0|0] \"\" X\n",
	  ":2: SG_ s: factor 0" },
	{ "truncated SG_", "BO_ 100 A: 8 X\n SG_ s : 0|8@1+ (1,0",
	  ":2: SG_ s: expected (factor,offset) [min|max]" },
	{ "no unit", "BO_ 100 A: 8 X\n SG_ s : 0|8@1+ (1,0) [0|1] X\n",
	  ":2: SG_ s: expected \"unit\"" },
	{ "no messages", "VERSION \"\"\n", ":1: no messages" },
	{ "empty file", "", ":1: no messages" },
	{ "missing ;", "BO_ 100 A: 8 X\n\nCM_ \"x\"\n", ":3: CM_: no ';'" },
	{ "float on 16 bits",
	  "BO_ 100 A: 8 X\n SG_ s : 0|16@1+ (1,0) [0|0] \"\" X\nSIG_VALTYPE_ 100 s : 1;\n",
	  ":3: SIG_VALTYPE_ s: a float needs 32 bits" },
	{ "length 0", "BO_ 100 A: 8 X\n SG_ s : 0|0@1+ (1,0) [0|0] \"\" X\n",
	  ":2: SG_ s: length 0" },
};

/* A NUL byte used to end the file silently (found while fuzzing). */
static void test_nul(void)
{
	static const char text[] = "BO_ 100 A: 8 X\n"
				   " SG_ s : 0|8@1+ (1,0) [0|0] \"\" X\n\0"
				   "BO_ 101 B: 8 X\n";
	char *errs = NULL, want[256];
	struct dbc *db;
	size_t n;
	FILE *f = fopen(path, "w"), *err;

	fwrite(text, 1, sizeof(text) - 1, f);
	fclose(f);
	err = open_memstream(&errs, &n);
	db = dbc_load(path, err);
	fclose(err);
	snprintf(want, sizeof(want), "%s:3: NUL byte", path);
	ok(!db && errs && !strncmp(errs, want, strlen(want)),
	   "bad DBC: a NUL byte is an error, not the end (%s)",
	   errs ? errs : "");
	dbc_free(db);
	free(errs);
}

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		char *errs = NULL, want[256];
		struct dbc *db = load(bads[i].text, &errs);

		snprintf(want, sizeof(want), "%s%s", path, bads[i].expect);
		if (!ok(!db && errs && !strncmp(errs, want, strlen(want)),
			"bad DBC: %s", bads[i].name))
			printf("#   want: %s\n#   got:  %s", want,
			       errs ? errs : "(nothing)\n");
		dbc_free(db);
		free(errs);
	}
}

/* The decoder behind decode.h, configured through conf_load. */
struct samples {
	int n;
	char name[8][32];
	char unit[8][8];
	double v[8];
	uint64_t ts;
};

static void on_sample(void *ctx, const struct sample *s)
{
	struct samples *ss = ctx;

	snprintf(ss->name[ss->n], 32, "%s", s->signal);
	snprintf(ss->unit[ss->n], 8, "%s", s->unit ? s->unit : "");
	ss->v[ss->n++] = s->value;
	ss->ts = s->tstamp_ns;
}

static struct agent_conf *conf(const char *text, char **errs)
{
	struct agent_conf *c;
	size_t n;
	FILE *err = open_memstream(errs, &n);

	write_file(cpath, text);
	c = conf_load(cpath, err);
	fclose(err);
	return c;
}

static void test_decoder(void)
{
	char text[512], *errs = NULL;
	struct agent_conf *c;
	struct decoder *d;
	struct decoder_env env = { 0 };
	union {
		struct m2mgw_rec r;
		uint8_t b[M2MGW_REC_HDR_LEN + sizeof(struct can_frame)];
	} rec = { 0 };
	struct can_frame *cf = (void *)rec.r.data;
	struct samples ss = { 0 };

	write_file(path, good);
	snprintf(text, sizeof(text),
		 "[port c]\ntype = can\ndecoder = dbc\ndbc = %s\n", path);
	c = conf(text, &errs);
	if (!ok(c != NULL, "config with decoder = dbc loads")) {
		printf("# %s", errs);
		free(errs);
		return;
	}
	free(errs);
	d = decoder_find("dbc")->create(c->ports, &env);
	rec.r.len = sizeof(rec);
	rec.r.type = M2MGW_REC_CAN;
	rec.r.tstamp_ns = 123456789;
	cf->can_id = 256;
	cf->len = 8;
	memcpy(cf->data, engine, 8);
	ok(d && d->ops->decode(d, &rec.r, on_sample, &ss) == 4 &&
		   !strcmp(ss.name[0], "Engine.Temp") &&
		   !strcmp(ss.unit[0], "degC") &&
		   ss.v[0] == (engine[0] | engine[1] << 8) * 0.1 - 40 &&
		   ss.ts == 123456789,
	   "decoder: samples named Message.Signal, unit, capture time");
	cf->len = 6;
	ok(d && d->ops->decode(d, &rec.r, on_sample, &ss) == -EMSGSIZE,
	   "decoder: short frame is a decode drop");
	cf->can_id = 0x333;
	ok(d && d->ops->decode(d, &rec.r, on_sample, &ss) == 0,
	   "decoder: unknown id ignored by default");
	if (d)
		d->ops->destroy(d);
	conf_free(c);

	c = conf("[port c]\ntype = can\ndecoder = dbc\nunknown = maybe\n",
		 &errs);
	snprintf(text, sizeof(text), "%s:4: unknown must be ignore or drop",
		 cpath);
	ok(!c && errs && strstr(errs, text), "config: bad unknown = value");
	snprintf(text, sizeof(text),
		 "%s:3: [port c]: decoder dbc needs dbc = FILE", cpath);
	ok(!c && errs && strstr(errs, text), "config: dbc = missing");
	free(errs);
	write_file(path, "BO_ 100 A: 8 X\nBOGUS\n");
	snprintf(text, sizeof(text),
		 "[port c]\ntype = can\ndecoder = dbc\ndbc = %s\n", path);
	c = conf(text, &errs);
	snprintf(text, sizeof(text), "%s:2: unknown keyword", path);
	ok(!c && errs && strstr(errs, text),
	   "config: DBC errors shown with the DBC's file:line");
	free(errs);
}

int main(void)
{
	char *errs = NULL;
	struct dbc *db;

	snprintf(path, sizeof(path), "/tmp/test_dbc.%d.dbc", getpid());
	snprintf(cpath, sizeof(cpath), "/tmp/test_dbc.%d.conf", getpid());
	db = load(good, &errs);
	if (!ok(db != NULL, "good DBC loads")) {
		printf("# %s", errs);
		return 1;
	}
	ok(errs && !errs[0], "good DBC prints nothing");
	free(errs);
	test_byte_orders(db);
	test_mux(db);
	test_ids_and_types(db);
	test_encode(db);
	dbc_free(db);
	test_bad();
	test_nul();
	test_decoder();
	unlink(path);
	unlink(cpath);
	return tap_done();
}
