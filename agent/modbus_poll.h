/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Modbus decoder's keys in a [port] section, and the poll schedule
 * of master mode:
 *
 *   mode = master | sniffer     (default sniffer)
 *   timeout = 200ms             answer timeout (after the request's
 *                               wire time); a poll may set its own
 *   retries = 2                 re-sends after a timeout or a garbled
 *                               answer, while the slave is healthy
 *   backoff_min = 1s            a slave that did not answer a request
 *   backoff_max = 60s           and its retries is skipped for
 *                               backoff_min, doubling to backoff_max
 *   poll = NAME slave=1 fc=3 addr=100 [count=1] [type=u16]
 *          [order=big|little] [scale=1] [unit=V] [period=1s]
 *          [timeout=...]       (one line per signal; repeatable)
 *
 * fc 3/4 read holding/input registers as u16, s16, u32, s32 or
 * float32 (two registers each; order = big: most significant word
 * first, little: least significant first); fc 1/2 read coils/discrete
 * inputs (type bit, the default for them).  count > 1 reads that many
 * consecutive values named NAME.0 .. NAME.<count-1>.  value = raw *
 * scale.  Master mode needs framing = modbus-rtu: the module cuts the
 * answers at the 3.5-character gap.
 */
#ifndef M2MGWD_MODBUS_POLL_H
#define M2MGWD_MODBUS_POLL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

#define MODBUS_NAME_MAX 48
#define MODBUS_UNIT_MAX 16

enum modbus_dtype {
	MODBUS_BIT,
	MODBUS_U16,
	MODBUS_S16,
	MODBUS_U32,
	MODBUS_S32,
	MODBUS_F32,
};

struct modbus_poll {
	char name[MODBUS_NAME_MAX];
	char unit[MODBUS_UNIT_MAX];
	uint8_t slave, fc;
	uint16_t addr;
	uint16_t count; /* values */
	uint16_t span;	/* registers or bits read: count * width */
	enum modbus_dtype type;
	bool lsw_first; /* order = little */
	double scale;
	double period;
	double timeout; /* 0: the port's */
	int line;
};

struct modbus_bus_conf {
	bool master;
	double timeout;
	unsigned int retries;
	double backoff_min, backoff_max;
	/* line format, for the inter-frame gap and wire times */
	uint32_t baud, data_bits, parity, stop_bits;
	struct modbus_poll *polls;
	unsigned int npolls;
};

/*
 * Parse the decoder keys of @pc into @bc; every problem goes to @err as
 * "file:line: message".  Returns the number of problems; @bc is filled
 * (and must be freed with modbus_conf_free()) either way.
 */
int modbus_conf_parse(const struct port_conf *pc, const char *file, FILE *err,
		      struct modbus_bus_conf *bc);
void modbus_conf_free(struct modbus_bus_conf *bc);

/* Registers (or bits) one value of @t takes. */
unsigned int modbus_dtype_width(enum modbus_dtype t);
/*
 * Value @idx of poll @p from @data, the data bytes of a read response
 * starting at register (or bit) @first.
 */
double modbus_poll_value(const struct modbus_poll *p, const uint8_t *data,
			 uint16_t first, unsigned int idx);

#endif /* M2MGWD_MODBUS_POLL_H */
