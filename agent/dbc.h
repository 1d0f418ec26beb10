/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A CAN database (.dbc, Vector's text format): messages, signals, value
 * tables, simple multiplexing; decode a frame into physical values and
 * encode physical values into a frame (downlink).
 *
 * Hand-written because Debian 12 packages no C DBC library (checked:
 * `apt-cache search dbc`, `canbus`, `can bus` — only ODBC/JDBC and the
 * Python cantools stack, nothing linkable from C).
 *
 * Understood: VERSION, NS_, BS_, BU_, BO_, SG_ (start|length@order sign
 * (factor,offset) [min|max] "unit"; multiplexor M, multiplexed mN),
 * VAL_, SIG_VALTYPE_ (IEEE float/double signals); skipped because they
 * never change a value: CM_, BA_*, VAL_TABLE_, BO_TX_BU_, EV_, SIG_GROUP_
 * and the other attribute/comment statements.  Anything else — including
 * extended multiplexing (SG_MUL_VAL_, "m1M") — is an error
 * "file:line: message": a database we do not fully understand is refused
 * rather than decoded into wrong values.
 *
 * Bit numbering is the DBC one: bit b is bit (b % 8) of byte (b / 8).
 * Intel (@1): start = least significant bit, value bits ascend.
 * Motorola (@0): start = most significant bit, value bits descend within
 * a byte and continue at bit 7 of the next byte.
 */
#ifndef M2MGWD_DBC_H
#define M2MGWD_DBC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DBC_MUX_NONE   (-1) /* always present */
#define DBC_MUX_SWITCH (-2) /* the multiplexor of its message */

enum dbc_valtype {
	DBC_INT,
	DBC_FLOAT,
	DBC_DOUBLE
};

struct dbc_val {
	int64_t raw;
	char *desc;
};

struct dbc_signal {
	char *name;
	char *qname; /* "Message.Signal": unique per database */
	char *unit;  /* NULL if "" */
	unsigned int start, len;
	bool intel; /* @1 little endian, else Motorola */
	bool is_signed;
	int valtype; /* enum dbc_valtype */
	double factor, offset, min, max;
	int mux; /* DBC_MUX_*, or the multiplexor value */
	struct dbc_val *vals;
	size_t nvals;
	int line;
};

struct dbc_msg {
	uint32_t id; /* without flags */
	bool ext;    /* 29-bit id (bit 31 set in the file) */
	char *name;
	unsigned int dlc; /* bytes */
	struct dbc_signal *sigs;
	size_t nsigs;
	int mux_sig; /* index of the multiplexor or -1 */
	int line;
};

struct dbc {
	struct dbc_msg *msgs; /* sorted by (ext, id) */
	size_t nmsgs;
};

/* Parse @path; problems to @err as "file:line: message"; NULL on any. */
struct dbc *dbc_load(const char *path, FILE *err);
void dbc_free(struct dbc *db);

const struct dbc_msg *dbc_find_id(const struct dbc *db, uint32_t id, bool ext);
const struct dbc_msg *dbc_find_name(const struct dbc *db, const char *name);
const struct dbc_signal *dbc_find_signal(const struct dbc_msg *m,
					 const char *name);

/* Raw bits of @s from @data (the caller checked the frame length). */
uint64_t dbc_get_raw(const struct dbc_signal *s, const uint8_t *data);
/* Physical value of raw bits (sign, float, factor and offset applied). */
double dbc_raw_to_phys(const struct dbc_signal *s, uint64_t raw);
/* Value table text of a raw value, or NULL. */
const char *dbc_val_desc(const struct dbc_signal *s, int64_t raw);

typedef void (*dbc_signal_fn)(void *ctx, const struct dbc_signal *s,
			      double value);
/*
 * Call @fn for every signal present in the frame: unmultiplexed ones,
 * the multiplexor, and those whose mN matches the multiplexor's value.
 * Returns the number of signals, or -EMSGSIZE if @len is shorter than
 * the message (nothing is reported from a short frame).
 */
int dbc_decode(const struct dbc_msg *m, const uint8_t *data, size_t len,
	       dbc_signal_fn fn, void *ctx);

/*
 * Store physical value @v of @s into @data (bits of other signals are
 * kept).  -ERANGE if @v is outside [min, max] (when the DBC gives a
 * range) or does not fit the signal's bits.
 */
int dbc_put(const struct dbc_signal *s, double v, uint8_t *data);
/*
 * Encode a whole message: @names/@values (n of them) by signal name, the
 * rest raw 0.  Multiplexed signals must match the multiplexor's value
 * (given in the same call, else 0).  Writes m->dlc bytes; returns the
 * length, -ENOENT for an unknown signal name, -EINVAL for a signal of
 * another multiplexor value, -ERANGE as dbc_put.
 */
int dbc_encode(const struct dbc_msg *m, const char *const *names,
	       const double *values, size_t n, uint8_t *data, size_t cap);

#endif /* M2MGWD_DBC_H */
