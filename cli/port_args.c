// SPDX-License-Identifier: GPL-2.0
/*
 * Port options of `port add` and `port set`: KEYWORD VALUE pairs, every
 * value range-checked here so a bad one never reaches the kernel.
 */
#include <stdio.h>
#include <string.h>

#include "m2mctl.h"
#include "parse.h"
#include "port_args.h"

static const char *const parities[] = { "none", "even", "odd" };

static int value(const char *cmd, int argc, char **argv, int *i, const char **v)
{
	if (*i + 1 >= argc) {
		usage_error(cmd, "'%s' needs a value", argv[*i]);
		return EXIT_USAGE;
	}
	*v = argv[++*i];
	return 0;
}

static int number(const char *cmd, const char *kw, const char *v, uint32_t min,
		  uint32_t max, uint32_t *out)
{
	if (parse_u32(v, min, max, out))
		return usage_error(cmd, "%s '%s' is not a number in %u..%u", kw,
				   v, min, max);
	return 0;
}

static int framing_arg(const char *cmd, int argc, char **argv, int *i,
		       struct m2mgw_port *p)
{
	const char *f = NULL, *v = NULL;
	uint32_t arg = 0;
	int err;

	if ((err = value(cmd, argc, argv, i, &f)))
		return err;
	if (!strcmp(f, "raw")) {
		p->framing = M2MGW_FRAMING_RAW;
		/* Optional idle time in microseconds. */
		if (*i + 1 < argc &&
		    !parse_u32(argv[*i + 1], 1, 10000000, &arg))
			++*i;
	} else if (!strcmp(f, "delimiter")) {
		p->framing = M2MGW_FRAMING_DELIMITER;
		if ((err = value(cmd, argc, argv, i, &v)))
			return err;
		if (parse_byte(v, &arg))
			return usage_error(
				cmd,
				"delimiter '%s' is not a byte (0..255, 0x0a or \\n)",
				v);
	} else if (!strcmp(f, "gap")) {
		p->framing = M2MGW_FRAMING_GAP;
		if ((err = value(cmd, argc, argv, i, &v)) ||
		    (err = number(cmd, "gap", v, 1, 10000000, &arg)))
			return err;
	} else if (!strcmp(f, "modbus-rtu")) {
		p->framing = M2MGW_FRAMING_MODBUS_RTU;
	} else if (!strcmp(f, "fixed")) {
		p->framing = M2MGW_FRAMING_FIXED;
		if ((err = value(cmd, argc, argv, i, &v)) ||
		    (err = number(cmd, "fixed", v, 1, M2MGW_SERIAL_MAXLEN,
				  &arg)))
			return err;
	} else {
		return usage_error(
			cmd,
			"unknown framing '%s' (raw, delimiter, gap, modbus-rtu, fixed)",
			f);
	}
	p->framing_arg = arg;
	M2MGW_PORT_SET(p, M2MGW_A_SERIAL_FRAMING);
	M2MGW_PORT_SET(p, M2MGW_A_SERIAL_FRAMING_ARG);
	return 0;
}

static int filters(const char *cmd, int argc, char **argv, int *i,
		   struct m2mgw_port *p)
{
	int n = 0;

	/* filter F [F ...]: the following words that look like filters. */
	while (*i + 1 < argc && strpbrk(argv[*i + 1], ":/~")) {
		const char *f = argv[++*i];

		if (p->n_filters == M2MGW_MAX_FILTERS)
			return usage_error(cmd, "more than %d filters",
					   M2MGW_MAX_FILTERS);
		if (parse_can_filter(f, &p->filters[p->n_filters]))
			return usage_error(
				cmd,
				"bad filter '%s' (ID:MASK, ID/MASK or ID~MASK in hex; 3-digit or 8-digit ID)",
				f);
		p->n_filters++;
		n++;
	}
	if (!n)
		return usage_error(cmd, "'filter' needs ID:MASK");
	M2MGW_PORT_SET(p, M2MGW_A_FILTERS);
	return 0;
}

int port_arg(const char *cmd, int argc, char **argv, int *i,
	     struct m2mgw_port *p)
{
	const char *kw = argv[*i], *v = NULL;
	uint32_t n;
	int err;

	if (!strcmp(kw, "filter"))
		return filters(cmd, argc, argv, i, p);
	if (!strcmp(kw, "nofilter")) {
		p->n_filters = 0;
		M2MGW_PORT_SET(p, M2MGW_A_FILTERS);
		return 0;
	}
	if (!strcmp(kw, "enable") || !strcmp(kw, "disable")) {
		p->enabled = kw[0] == 'e';
		M2MGW_PORT_SET(p, M2MGW_A_PORT_ENABLED);
		return 0;
	}
	if (!strcmp(kw, "framing"))
		return framing_arg(cmd, argc, argv, i, p);
	if (!strcmp(kw, "parity")) {
		if ((err = value(cmd, argc, argv, i, &v)))
			return err;
		for (n = 0; n < 3; n++)
			if (!strcmp(v, parities[n]))
				break;
		if (n == 3)
			return usage_error(
				cmd, "parity '%s' is not none, even or odd", v);
		p->parity = (uint8_t)n;
		M2MGW_PORT_SET(p, M2MGW_A_SERIAL_PARITY);
		return 0;
	}
	if (strcmp(kw, "name") && strcmp(kw, "baud") && strcmp(kw, "bits") &&
	    strcmp(kw, "stop") && strcmp(kw, "maxlen"))
		return PORT_ARG_UNKNOWN;
	if ((err = value(cmd, argc, argv, i, &v)))
		return err;
	if (!strcmp(kw, "name")) {
		if (!*v || strlen(v) >= M2MGW_NAME_MAX)
			return usage_error(cmd,
					   "name '%s' must be 1..%d characters",
					   v, M2MGW_NAME_MAX - 1);
		snprintf(p->name, sizeof(p->name), "%s", v);
		M2MGW_PORT_SET(p, M2MGW_A_PORT_NAME);
	} else if (!strcmp(kw, "baud")) {
		if ((err = number(cmd, kw, v, 50, 4000000, &p->baud)))
			return err;
		M2MGW_PORT_SET(p, M2MGW_A_SERIAL_BAUD);
	} else if (!strcmp(kw, "bits")) {
		if ((err = number(cmd, kw, v, 5, 8, &n)))
			return err;
		p->data_bits = (uint8_t)n;
		M2MGW_PORT_SET(p, M2MGW_A_SERIAL_DATA_BITS);
	} else if (!strcmp(kw, "stop")) {
		if ((err = number(cmd, kw, v, 1, 2, &n)))
			return err;
		p->stop_bits = (uint8_t)n;
		M2MGW_PORT_SET(p, M2MGW_A_SERIAL_STOP_BITS);
	} else {
		if ((err = number(cmd, kw, v, 1, M2MGW_SERIAL_MAXLEN,
				  &p->maxlen)))
			return err;
		M2MGW_PORT_SET(p, M2MGW_A_SERIAL_MAXLEN);
	}
	return 0;
}

int port_args_check_type(const char *cmd, const struct m2mgw_port *p,
			 uint32_t type)
{
	static const int serial_only[] = {
		M2MGW_A_SERIAL_BAUD,	M2MGW_A_SERIAL_DATA_BITS,
		M2MGW_A_SERIAL_PARITY,	M2MGW_A_SERIAL_STOP_BITS,
		M2MGW_A_SERIAL_FRAMING, M2MGW_A_SERIAL_MAXLEN,
	};
	unsigned int k;

	if (type == M2MGW_PORT_SERIAL && M2MGW_PORT_HAS(p, M2MGW_A_FILTERS))
		return usage_error(cmd, "filters are for CAN ports");
	if (type == M2MGW_PORT_CAN)
		for (k = 0; k < sizeof(serial_only) / sizeof(serial_only[0]);
		     k++)
			if (M2MGW_PORT_HAS(p, serial_only[k]))
				return usage_error(
					cmd,
					"serial options are for serial ports");
	return 0;
}
