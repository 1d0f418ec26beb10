// SPDX-License-Identifier: GPL-2.0
/*
 * Modbus RTU frame building and response checking (see modbus_pdu.h).
 * libmodbus does this too, but it owns the file descriptor and blocks
 * in select(); the agent's frames go through the module's ring and TX
 * path on one libev loop, so only the byte layout is written here.
 */
#include <string.h>

#include "modbus_pdu.h"

uint16_t modbus_crc16(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xffff;

	while (n--) {
		crc ^= *p++;
		for (int i = 0; i < 8; i++)
			crc = crc & 1 ? crc >> 1 ^ 0xa001 : crc >> 1;
	}
	return crc;
}

int modbus_crc_ok(const uint8_t *f, size_t n)
{
	return n >= 4 && modbus_crc16(f, n - 2) == (f[n - 2] | f[n - 1] << 8);
}

unsigned int modbus_read_bytes(uint8_t fc, uint16_t count)
{
	return fc <= 2 ? (count + 7u) / 8 : count * 2u;
}

unsigned int modbus_read_max(uint8_t fc)
{
	if (fc == 1 || fc == 2)
		return MODBUS_MAX_BITS;
	if (fc == 3 || fc == 4)
		return MODBUS_MAX_REGS;
	return 0;
}

static size_t put_crc(uint8_t *f, size_t n)
{
	uint16_t crc = modbus_crc16(f, n);

	f[n] = crc & 0xff;
	f[n + 1] = crc >> 8;
	return n + 2;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

size_t modbus_build_read(uint8_t *f, uint8_t slave, uint8_t fc, uint16_t addr,
			 uint16_t count)
{
	f[0] = slave;
	f[1] = fc;
	put16(f + 2, addr);
	put16(f + 4, count);
	return put_crc(f, 6);
}

size_t modbus_build_write(uint8_t *f, uint8_t slave, uint8_t fc, uint16_t addr,
			  const uint16_t *values, uint16_t count)
{
	size_t n;

	f[0] = slave;
	f[1] = fc;
	put16(f + 2, addr);
	switch (fc) {
	case 5:
		if (count != 1 || values[0] > 1)
			return 0;
		put16(f + 4, values[0] ? 0xff00 : 0);
		return put_crc(f, 6);
	case 6:
		if (count != 1)
			return 0;
		put16(f + 4, values[0]);
		return put_crc(f, 6);
	case 15:
		if (!count || count > MODBUS_MAX_WBITS ||
		    addr + count > 0x10000)
			return 0;
		put16(f + 4, count);
		f[6] = (uint8_t)((count + 7) / 8);
		memset(f + 7, 0, f[6]);
		for (unsigned int i = 0; i < count; i++) {
			if (values[i] > 1)
				return 0;
			f[7 + i / 8] |= values[i] << (i % 8);
		}
		return put_crc(f, 7 + f[6]);
	case 16:
		if (!count || count > MODBUS_MAX_WREGS ||
		    addr + count > 0x10000)
			return 0;
		put16(f + 4, count);
		f[6] = (uint8_t)(count * 2);
		for (n = 0; n < count; n++)
			put16(f + 7 + 2 * n, values[n]);
		return put_crc(f, 7 + f[6]);
	default:
		return 0;
	}
}

enum modbus_resp modbus_check_response(const uint8_t *q, size_t qn,
				       const uint8_t *r, size_t n, uint8_t *exc)
{
	uint8_t fc = q[1];

	if (!modbus_crc_ok(r, n))
		return MODBUS_RESP_CRC;
	if (r[0] != q[0] || (r[1] & 0x7f) != fc)
		return MODBUS_RESP_OTHER;
	if (r[1] & 0x80) {
		if (n != 5)
			return MODBUS_RESP_BAD;
		*exc = r[2];
		return MODBUS_RESP_EXCEPTION;
	}
	if (fc >= 1 && fc <= 4) {
		unsigned int want = modbus_read_bytes(fc, q[4] << 8 | q[5]);

		return r[2] == want && n == 5 + want ? MODBUS_RESP_OK :
						       MODBUS_RESP_BAD;
	}
	/* Writes echo the address and the value (5, 6) or the count. */
	if (qn < 8 || n != 8 || memcmp(r + 2, q + 2, 4))
		return MODBUS_RESP_BAD;
	return MODBUS_RESP_OK;
}
