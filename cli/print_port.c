// SPDX-License-Identifier: GPL-2.0
/*
 * How a port looks, in text and JSON (one description for both: see
 * output.h).  Used by port show/add, stats and monitor.
 */
#include "m2mctl.h"
#include "output.h"
#include "parse.h"

static void print_filters(const struct m2mgw_port *p)
{
	char buf[32];
	unsigned int i;

	if (!M2MGW_PORT_HAS(p, M2MGW_A_FILTERS))
		return;
	out_text("\n    filters");
	out_arr_begin("filters");
	for (i = 0; i < p->n_filters; i++) {
		format_can_filter(&p->filters[i], buf, sizeof(buf));
		out_str(NULL, " %s", buf);
	}
	if (!p->n_filters)
		out_text(" none");
	out_arr_end();
}

static void print_serial(const struct m2mgw_port *p)
{
	out_text("\n   ");
	if (M2MGW_PORT_HAS(p, M2MGW_A_SERIAL_BAUD))
		out_u64("baud", " baud %llu", p->baud);
	if (M2MGW_PORT_HAS(p, M2MGW_A_SERIAL_DATA_BITS))
		out_u64("data_bits", " bits %llu", p->data_bits);
	if (M2MGW_PORT_HAS(p, M2MGW_A_SERIAL_PARITY))
		out_str("parity", " parity %s", m2mgw_parity_name(p->parity));
	if (M2MGW_PORT_HAS(p, M2MGW_A_SERIAL_STOP_BITS))
		out_u64("stop_bits", " stop %llu", p->stop_bits);
	if (M2MGW_PORT_HAS(p, M2MGW_A_SERIAL_FRAMING))
		out_str("framing", " framing %s",
			m2mgw_framing_name(p->framing));
	if (M2MGW_PORT_HAS(p, M2MGW_A_SERIAL_FRAMING_ARG) &&
	    p->framing != M2MGW_FRAMING_MODBUS_RTU)
		out_u64("framing_arg", " %llu", p->framing_arg);
	if (M2MGW_PORT_HAS(p, M2MGW_A_SERIAL_MAXLEN))
		out_u64("maxlen", " maxlen %llu", p->maxlen);
}

void print_port_stats(const struct m2mgw_port *p, int level)
{
	const uint64_t *s = p->stats;
	uint64_t drops = 0;
	unsigned int i;

	for (i = M2MGW_STATS_A_DROP_RING_FULL; i <= M2MGW_STATS_A_DROP_OVERRUN;
	     i++)
		drops += s[i];
	out_obj_begin("stats");
	out_text("\n    rx");
	out_u64("rx_frames", " frames %llu", s[M2MGW_STATS_A_RX_FRAMES]);
	out_u64("rx_bytes", " bytes %llu", s[M2MGW_STATS_A_RX_BYTES]);
	out_text("  tx");
	out_u64("tx_frames", " frames %llu", s[M2MGW_STATS_A_TX_FRAMES]);
	out_u64("tx_bytes", " bytes %llu", s[M2MGW_STATS_A_TX_BYTES]);
	out_u64("tx_errors", " errors %llu", s[M2MGW_STATS_A_TX_ERRORS]);
	out_text("\n   ");
	out_u64("drops", " drops %llu", drops);
	out_u64("filtered", " filtered %llu", s[M2MGW_STATS_A_FILTERED]);
	/* JSON always carries every counter; text only with -s. */
	if (level || out_is_json()) {
		out_text("\n    drops by reason:");
		for (i = M2MGW_STATS_A_DROP_RING_FULL;
		     i <= M2MGW_STATS_A_DROP_OVERRUN; i++) {
			const char *name = m2mgw_stats_name(i);

			out_text(" %s", name + 5); /* without "drop_" */
			out_u64(name, " %llu", s[i]);
		}
	}
	out_obj_end();
}

void print_port(const struct m2mgw_port *p, bool stats)
{
	out_obj_begin(NULL);
	out_u64("id", "%llu:", p->id);
	out_str("name", " %s:", p->name);
	out_str("type", " %s", m2mgw_port_type_name(p->type));
	if (M2MGW_PORT_HAS(p, M2MGW_A_IFNAME))
		out_str("ifname", " %s", p->ifname);
	if (M2MGW_PORT_HAS(p, M2MGW_A_IFINDEX))
		out_u64("ifindex", " ifindex %llu", p->ifindex);
	if (M2MGW_PORT_HAS(p, M2MGW_A_TTY))
		out_str("tty", " %s", p->tty);
	if (M2MGW_PORT_HAS(p, M2MGW_A_PORT_STATE))
		out_str("state", " state %s", m2mgw_port_state_name(p->state));
	if (M2MGW_PORT_HAS(p, M2MGW_A_PORT_ENABLED))
		out_bool("enabled", " enabled %s", p->enabled);
	if (p->type == M2MGW_PORT_CAN)
		print_filters(p);
	else if (p->type == M2MGW_PORT_SERIAL)
		print_serial(p);
	if (stats && M2MGW_PORT_HAS(p, M2MGW_A_STATS))
		print_port_stats(p, opts.stats);
	out_text("\n");
	out_obj_end();
}
