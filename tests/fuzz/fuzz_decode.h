/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Feeding fuzz input to a frame decoder (decode.h) as a sequence of
 * serial records, the way the pipeline does.
 */
#ifndef M2MGW_FUZZ_DECODE_H
#define M2MGW_FUZZ_DECODE_H

#include "decode.h"

/*
 * Create decoder @name for a serial port with options @opts, feed it the
 * records in @data and destroy it.  @sep >= 0: records are separated by
 * that byte; @sep < 0: each record is one length byte and that many bytes.
 * Every record is its own allocation of exactly its size, so ASan sees a
 * read past its end.
 */
void fuzz_decode(const char *name, struct conf_kv *opts, const uint8_t *data,
		 size_t size, int sep);

#endif /* M2MGW_FUZZ_DECODE_H */
