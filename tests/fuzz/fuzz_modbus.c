// SPDX-License-Identifier: GPL-2.0
/*
 * Modbus RTU: the sniffer (decoder modbus, no master) on a sequence of
 * frames, each one length byte and that many bytes (as they are and
 * with their CRC appended); and the response
 * check of modbus_pdu.c with the first frame as request and the second
 * as its response, both with and without a correct CRC.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_decode.h"
#include "modbus_pdu.h"

static void check_pair(const uint8_t *data, size_t size)
{
	uint8_t q[MODBUS_FRAME_MAX + 2], r[MODBUS_FRAME_MAX + 2], exc;
	size_t qn, rn;
	uint16_t crc;

	if (size < 2)
		return;
	qn = data[0] < size - 1 ? data[0] : size - 1;
	if (qn > MODBUS_FRAME_MAX)
		qn = MODBUS_FRAME_MAX;
	memcpy(q, data + 1, qn);
	data += 1 + qn;
	size -= 1 + qn;
	rn = size < MODBUS_FRAME_MAX ? size : MODBUS_FRAME_MAX;
	memcpy(r, data, rn);
	modbus_check_response(q, qn, r, rn, &exc);
	/* The same frames with their CRC made right reach the deep checks. */
	crc = modbus_crc16(q, qn);
	q[qn] = crc & 0xff;
	q[qn + 1] = crc >> 8;
	crc = modbus_crc16(r, rn);
	r[rn] = crc & 0xff;
	r[rn + 1] = crc >> 8;
	modbus_check_response(q, qn + 2, r, rn + 2, &exc);
}

/* The records of @data (length-prefixed) each with its CRC appended. */
static void sniff_with_crc(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size * 3 + 4), *o = buf;
	uint16_t crc;
	size_t n;

	if (!buf)
		return;
	while (size) {
		n = data[0] < size - 1 ? data[0] : size - 1;
		if (n > 253)
			n = 253;
		*o++ = (uint8_t)(n + 2);
		memcpy(o, data + 1, n);
		crc = modbus_crc16(o, n);
		o[n] = crc & 0xff;
		o[n + 1] = crc >> 8;
		o += n + 2;
		data += n + 1;
		size -= n + 1;
	}
	fuzz_decode("modbus", NULL, buf, (size_t)(o - buf), -1);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_decode("modbus", NULL, data, size, -1);
	sniff_with_crc(data, size);
	check_pair(data, size);
	return 0;
}
