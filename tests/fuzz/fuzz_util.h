/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the fuzz targets: the agent's parsers that read
 * files (DBC, configuration, spool segments) get the input as a file in
 * a private temporary directory.
 */
#ifndef M2MGW_FUZZ_UTIL_H
#define M2MGW_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* This process's temporary directory (made on first use). */
const char *fuzz_dir(void);
/* Write @data to fuzz_dir()/@name; returns the path (static buffer). */
const char *fuzz_file(const char *name, const void *data, size_t size);
/* A stream that swallows error messages. */
FILE *fuzz_null(void);
/* Silence the agent's log (errors are expected on every input). */
void fuzz_quiet(void);

#endif /* M2MGW_FUZZ_UTIL_H */
