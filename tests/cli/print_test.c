// SPDX-License-Identifier: GPL-2.0
/*
 * Prints fixed ports through m2mctl's printing layer (cli/print_port.c,
 * cli/output.c), as text or JSON: `print_test text|json|pretty [-s]`.
 * tests/cli/host.sh parses the JSON and checks that every value in it
 * also appears in the text, so the two outputs cannot drift.
 */
#include <string.h>

#include "m2mctl.h"
#include "output.h"

struct m2mctl_opts opts;
const char *prog = "print_test";

int main(int argc, char **argv)
{
	struct m2mgw_port can = { 0 }, ser = { 0 };
	int i;

	if (argc < 2)
		return 2;
	opts.stats = argc > 2 && !strcmp(argv[2], "-s");
	out_init(stdout, strcmp(argv[1], "text"), !strcmp(argv[1], "pretty"));

	can.id = 7;
	strcpy(can.name, "bus0");
	can.type = M2MGW_PORT_CAN;
	strcpy(can.ifname, "vcan0");
	can.ifindex = 4;
	can.state = M2MGW_STATE_UP;
	can.enabled = 1;
	can.n_filters = 2;
	can.filters[0] = (struct can_filter){ 0x123, 0x7ff };
	can.filters[1] = (struct can_filter){ 0x12345678 | CAN_EFF_FLAG,
					      0x1fffffff | CAN_EFF_FLAG };
	for (i = M2MGW_STATS_A_RX_FRAMES; i <= M2MGW_STATS_A_MAX; i++)
		can.stats[i] = 1000 + (uint64_t)i * 11;
	can.attrs = ~0ULL & ~(1ULL << M2MGW_A_TTY);

	ser.id = 9;
	strcpy(ser.name, "gps");
	ser.type = M2MGW_PORT_SERIAL;
	strcpy(ser.tty, "ttyS1");
	ser.state = M2MGW_STATE_GONE;
	ser.baud = 9600;
	ser.data_bits = 7;
	ser.parity = M2MGW_PARITY_EVEN;
	ser.stop_bits = 2;
	ser.framing = M2MGW_FRAMING_DELIMITER;
	ser.framing_arg = 10;
	ser.maxlen = 82;
	ser.attrs = ~0ULL & ~(1ULL << M2MGW_A_IFNAME | 1ULL << M2MGW_A_IFINDEX |
			      1ULL << M2MGW_A_FILTERS);

	out_list_begin();
	print_port(&can, true);
	print_port(&ser, true);
	out_list_end();
	return 0;
}
