// SPDX-License-Identifier: GPL-2.0
/*
 * NMEA 0183 decoder: the input is serial data, cut into frames at each
 * 0x01 byte, so sentences split across frames are covered too.
 */
#include "fuzz_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_decode("nmea", NULL, data, size, 0x01);
	return 0;
}
