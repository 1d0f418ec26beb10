// SPDX-License-Identifier: GPL-2.0
/*
 * Modbus RTU write frames and the checks of their answers
 * (agent/modbus_pdu.c): the exact bytes of functions 5, 6, 15 and 16,
 * with the coils of 15 packed eight to a byte, lowest address in bit 0,
 * and the byte count; the limits (1968 coils, 123 registers, addresses
 * up to 65535); and which answers are the echo of the request, which an
 * exception, which someone else's, which garbled.
 *
 * The frames below are from the Modbus application protocol
 * specification's examples (11 05 00 AC FF 00 4E 8B, 11 0F 00 13 00 0A
 * 02 CD 01 BF 0B) or had their CRC computed with an independent Python
 * implementation.
 */
#include <string.h>

#include "modbus_pdu.h"
#include "tap.h"

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = strlen(hex) / 2;

	for (size_t i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
	return n;
}

/* modbus_build_write() gave exactly @hex. */
static int is(const uint8_t *f, size_t n, const char *hex)
{
	uint8_t want[MODBUS_FRAME_MAX];
	size_t wn = unhex(hex, want);

	if (n == wn && !memcmp(f, want, n))
		return 1;
	printf("# got  ");
	for (size_t i = 0; i < n; i++)
		printf("%02x", f[i]);
	printf("\n# want %s\n", hex);
	return 0;
}

static void test_build_coils(void)
{
	uint8_t f[MODBUS_FRAME_MAX];
	uint16_t v[MODBUS_MAX_WBITS + 1];
	const uint16_t on = 1, off = 0, two = 2;
	/* Coils 20..29 = 1 0 1 1 0 0 1 1 | 1 0: bytes CD 01 (spec example). */
	const uint16_t ten[] = { 1, 0, 1, 1, 0, 0, 1, 1, 1, 0 };
	size_t n;

	n = modbus_build_write(f, 0x11, 5, 0xac, &on, 1);
	ok(is(f, n, "110500acff004e8b"),
	   "fc 5: coil 172 on is FF 00 (spec example, CRC 4E 8B)");
	n = modbus_build_write(f, 0x11, 5, 0xac, &off, 1);
	ok(is(f, n, "110500ac00000f7b"), "fc 5: coil 172 off is 00 00");
	ok(!modbus_build_write(f, 1, 5, 0, &two, 1),
	   "fc 5: a coil value other than 0/1 is refused");
	ok(!modbus_build_write(f, 1, 5, 0, ten, 2),
	   "fc 5: count other than 1 is refused");

	n = modbus_build_write(f, 0x11, 15, 0x13, ten, 10);
	ok(is(f, n, "110f0013000a02cd01bf0b"),
	   "fc 15: coils 20..29 -> count 000A, byte count 2, CD 01: first coil in bit 0 (spec example, CRC BF 0B)");
	/* 0..7 = 1 0 1 0 1 0 1 0 (55), 8..15 = 0 1 0 1 0 1 0 1 (AA), 16 = 1 */
	for (int i = 0; i < 17; i++)
		v[i] = i < 8 ? i % 2 == 0 : i % 2 == 1 || i == 16;
	n = modbus_build_write(f, 1, 15, 0, v, 16);
	ok(is(f, n, "010f000000100255aa5d0f"),
	   "fc 15: 16 coils fill 2 bytes exactly (55 AA)");
	n = modbus_build_write(f, 1, 15, 0, v, 17);
	ok(is(f, n, "010f000000110355aa013305"),
	   "fc 15: a 17th coil starts a third byte (01), unused bits 0");
	for (int i = 0; i <= MODBUS_MAX_WBITS; i++)
		v[i] = i % 2 == 0;
	n = modbus_build_write(f, 1, 15, 0, v, MODBUS_MAX_WBITS);
	ok(n == 255 && f[4] == 0x07 && f[5] == 0xb0 && f[6] == 246 &&
		   f[7] == 0x55 && f[252] == 0x55 && f[253] == 0x9d &&
		   f[254] == 0x47,
	   "fc 15: 1968 coils -> count 07B0, byte count 246, 255-byte frame (the RTU limit is 256), CRC 9D 47 (%zu bytes)",
	   n);
	ok(!modbus_build_write(f, 1, 15, 0, v, MODBUS_MAX_WBITS + 1),
	   "fc 15: 1969 coils refused");
	ok(!modbus_build_write(f, 1, 15, 0, v, 0), "fc 15: 0 coils refused");
	v[3] = 2;
	ok(!modbus_build_write(f, 1, 15, 0, v, 8),
	   "fc 15: a coil value other than 0/1 refused");
	v[3] = 0;
	ok(!modbus_build_write(f, 1, 15, 65535, v, 2) &&
		   modbus_build_write(f, 1, 15, 65535, v, 1) == 10 &&
		   modbus_build_write(f, 1, 15, 65534, v, 2) == 10,
	   "fc 15: coils must end by address 65535");
}

static void test_build_regs(void)
{
	const uint16_t v[] = { 0x1234, 0x5678 };
	uint16_t many[MODBUS_MAX_WREGS + 1] = { 0 };
	uint8_t f[MODBUS_FRAME_MAX];
	size_t n;

	n = modbus_build_write(f, 1, 6, 10, v, 1);
	ok(is(f, n, "0106000a1234a4bf"), "fc 6: register 10 = 1234");
	n = modbus_build_write(f, 1, 16, 40, v, 2);
	ok(is(f, n, "01100028000204123456788b25"),
	   "fc 16: registers 40, 41 = 1234 5678, byte count 4");
	ok(modbus_build_write(f, 1, 16, 0, many, MODBUS_MAX_WREGS) ==
			   9 + 2 * MODBUS_MAX_WREGS &&
		   !modbus_build_write(f, 1, 16, 0, many, MODBUS_MAX_WREGS + 1),
	   "fc 16: 123 registers at most");
	ok(!modbus_build_write(f, 1, 16, 65535, v, 2) &&
		   !modbus_build_write(f, 1, 6, 0, v, 2) &&
		   !modbus_build_write(f, 1, 3, 0, v, 1),
	   "fc 16 past 65535, fc 6 with 2 values, a read function: refused");
}

/* Check answer @rhex to request @qhex. */
static enum modbus_resp check(const char *qhex, const char *rhex, uint8_t *exc)
{
	uint8_t q[MODBUS_FRAME_MAX], r[MODBUS_FRAME_MAX];
	size_t qn = unhex(qhex, q), rn = unhex(rhex, r);

	*exc = 0;
	return modbus_check_response(q, qn, r, rn, exc);
}

static void test_responses(void)
{
	const char *c5 = "110500acff004e8b", *c15 = "110f0013000a02cd01bf0b";
	uint8_t exc;

	ok(check(c5, c5, &exc) == MODBUS_RESP_OK,
	   "fc 5: the echo of the request is the answer");
	ok(check(c5, "110500ac00000f7b", &exc) == MODBUS_RESP_BAD,
	   "fc 5: an echo with another value (00 00 for FF 00) is bad");
	ok(check(c15, "110f0013000a2699", &exc) == MODBUS_RESP_OK,
	   "fc 15: address and count echoed, 8 bytes: the answer");
	ok(check(c15, "110f001300096698", &exc) == MODBUS_RESP_BAD,
	   "fc 15: an echo with another count (9 for 10) is bad");
	ok(check(c15, "110f0014000a9758", &exc) == MODBUS_RESP_BAD,
	   "fc 15: an echo with another address (20 for 19) is bad");
	ok(check(c15, "110f001374d6", &exc) == MODBUS_RESP_BAD,
	   "fc 15: a short answer with a good CRC is bad");
	ok(check(c15, "118f02c434", &exc) == MODBUS_RESP_EXCEPTION && exc == 2,
	   "fc 15: 8F 02 is exception 2 (illegal data address)");
	ok(check(c5, "1185044296", &exc) == MODBUS_RESP_EXCEPTION && exc == 4,
	   "fc 5: 85 04 is exception 4 (slave device failure)");
	ok(check(c15, "118f02003593", &exc) == MODBUS_RESP_BAD,
	   "fc 15: an exception frame of 6 bytes is bad");
	ok(check(c15, "128f023434", &exc) == MODBUS_RESP_OTHER,
	   "fc 15: another slave's exception is not ours");
	ok(check(c5, "110f0013000a2699", &exc) == MODBUS_RESP_OTHER,
	   "fc 5: a function 15 answer is not ours");
	ok(check(c15, "110f0013000a2698", &exc) == MODBUS_RESP_CRC,
	   "fc 15: one CRC bit off is a CRC error");
	ok(check(c15, "110f", &exc) == MODBUS_RESP_CRC,
	   "fc 15: 2 bytes are a CRC error (shorter than 4)");
}

int main(void)
{
	test_build_coils();
	test_build_regs();
	test_responses();
	return tap_done();
}
