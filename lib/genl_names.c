// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Names of the m2mgw uapi enums, for printing.  The same words are used as
 * m2mctl arguments and as JSON keys/values, so they live in one place.
 */
#include <stddef.h>

#include "m2mgw_genl.h"

#define NAME(tbl, v) \
	((v) < sizeof(tbl) / sizeof(tbl[0]) && tbl[v] ? tbl[v] : "unknown")

static const char *const type_names[] = {
	[M2MGW_PORT_NONE] = "none",
	[M2MGW_PORT_CAN] = "can",
	[M2MGW_PORT_SERIAL] = "serial",
};

static const char *const state_names[] = {
	[M2MGW_STATE_DOWN] = "down",
	[M2MGW_STATE_UP] = "up",
	[M2MGW_STATE_GONE] = "gone",
};

static const char *const parity_names[] = {
	[M2MGW_PARITY_NONE] = "none",
	[M2MGW_PARITY_EVEN] = "even",
	[M2MGW_PARITY_ODD] = "odd",
};

static const char *const framing_names[] = {
	[M2MGW_FRAMING_RAW] = "raw",
	[M2MGW_FRAMING_DELIMITER] = "delimiter",
	[M2MGW_FRAMING_GAP] = "gap",
	[M2MGW_FRAMING_MODBUS_RTU] = "modbus-rtu",
	[M2MGW_FRAMING_FIXED] = "fixed",
};

static const char *const drop_names[] = {
	[M2MGW_DROP_RING_FULL] = "ring_full",
	[M2MGW_DROP_OVERSIZE] = "oversize",
	[M2MGW_DROP_NOMEM] = "nomem",
	[M2MGW_DROP_FRAMING] = "framing",
	[M2MGW_DROP_OVERRUN] = "overrun",
};

static const char *const stats_names[] = {
	[M2MGW_STATS_A_RX_FRAMES] = "rx_frames",
	[M2MGW_STATS_A_RX_BYTES] = "rx_bytes",
	[M2MGW_STATS_A_TX_FRAMES] = "tx_frames",
	[M2MGW_STATS_A_TX_BYTES] = "tx_bytes",
	[M2MGW_STATS_A_DROP_RING_FULL] = "drop_ring_full",
	[M2MGW_STATS_A_DROP_OVERSIZE] = "drop_oversize",
	[M2MGW_STATS_A_DROP_NOMEM] = "drop_nomem",
	[M2MGW_STATS_A_DROP_FRAMING] = "drop_framing",
	[M2MGW_STATS_A_DROP_OVERRUN] = "drop_overrun",
	[M2MGW_STATS_A_TX_ERRORS] = "tx_errors",
	[M2MGW_STATS_A_FILTERED] = "filtered",
};

const char *m2mgw_port_type_name(uint32_t type)
{
	return NAME(type_names, type);
}

const char *m2mgw_port_state_name(uint32_t state)
{
	return NAME(state_names, state);
}

const char *m2mgw_parity_name(uint32_t parity)
{
	return NAME(parity_names, parity);
}

const char *m2mgw_framing_name(uint32_t framing)
{
	return NAME(framing_names, framing);
}

const char *m2mgw_drop_reason_name(uint32_t reason)
{
	return NAME(drop_names, reason);
}

const char *m2mgw_stats_name(unsigned int stat)
{
	if (stat >= sizeof(stats_names) / sizeof(stats_names[0]))
		return NULL;
	return stats_names[stat];
}
