/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Modbus RTU frames: the CRC-16, building requests (reads 1-4, writes
 * 5/6/15/16) and checking a response against the request it answers.
 * Shared by the sniffer (decode_modbus.c) and the master scheduler
 * (modbus_sched.c).
 *
 * An RTU frame is: slave address, function code, data, CRC-16 (poly
 * 0xA001 reflected, init 0xFFFF, low byte first).  Addresses and values
 * are big-endian 16-bit words.
 */
#ifndef M2MGWD_MODBUS_PDU_H
#define M2MGWD_MODBUS_PDU_H

#include <stddef.h>
#include <stdint.h>

#define MODBUS_FRAME_MAX 256  /* RTU ADU limit */
#define MODBUS_MAX_REGS	 125  /* registers per read (3, 4) */
#define MODBUS_MAX_BITS	 2000 /* coils/inputs per read (1, 2) */
#define MODBUS_MAX_WREGS 123  /* registers per write (16) */
#define MODBUS_MAX_WBITS 1968 /* coils per write (15) */
#define MODBUS_SLAVE_MAX 247
#define MODBUS_BROADCAST 0

/* What a response is to the request it is checked against. */
enum modbus_resp {
	MODBUS_RESP_OK,	       /* the answer, CRC good */
	MODBUS_RESP_EXCEPTION, /* exception response (code in *exc) */
	MODBUS_RESP_CRC,       /* CRC-16 mismatch or shorter than 4 bytes */
	MODBUS_RESP_OTHER,     /* another slave or function: not ours */
	MODBUS_RESP_BAD,       /* ours, but the length or echo is wrong */
};

uint16_t modbus_crc16(const uint8_t *p, size_t n);
/* The frame's CRC-16 (its last two bytes) is right; n >= 4. */
int modbus_crc_ok(const uint8_t *f, size_t n);
/* Data bytes of a read response: bits packed 8 per byte, or words. */
unsigned int modbus_read_bytes(uint8_t fc, uint16_t count);
/* Largest count a read (1-4) may ask for; 0 for other functions. */
unsigned int modbus_read_max(uint8_t fc);

/* A read request (function 1-4) into @f: 8 bytes, returns 8. */
size_t modbus_build_read(uint8_t *f, uint8_t slave, uint8_t fc, uint16_t addr,
			 uint16_t count);
/*
 * A write request into @f (MODBUS_FRAME_MAX bytes): 5 (one coil, value
 * 0 or 1), 6 (one register), 15 (@count coils, one 0/1 per value), 16
 * (@count registers).  Returns the frame length, or 0 if @fc/@count is
 * not valid for a write, a coil value is not 0/1, or the addresses
 * would run past 65535.
 */
size_t modbus_build_write(uint8_t *f, uint8_t slave, uint8_t fc, uint16_t addr,
			  const uint16_t *values, uint16_t count);

/*
 * Check response @r (@n bytes, CRC included) against request @q (@qn
 * bytes).  On MODBUS_RESP_EXCEPTION *exc is the exception code.
 */
enum modbus_resp modbus_check_response(const uint8_t *q, size_t qn,
				       const uint8_t *r, size_t n,
				       uint8_t *exc);

#endif /* M2MGWD_MODBUS_PDU_H */
