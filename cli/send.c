// SPDX-License-Identifier: GPL-2.0
/* m2mctl send: one frame to a port, written to /dev/m2mgw as a record. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "m2mctl.h"
#include "m2mgw_ring.h"
#include "parse.h"

const char help_send[] =
	"Usage: m2mctl send PORT FRAME\n"
	"CAN ports take cansend's syntax:\n"
	"  123#DEADBEEF        standard id, up to 8 data bytes ('.' allowed)\n"
	"  12345678#00.11      extended id (8 hex digits)\n"
	"  123#R  123#R4       remote frame, optional length\n"
	"  123##1DEADBEEF      CAN FD: flags nibble (1 = BRS, 2 = ESI), then\n"
	"                      0..8, 12, 16, 20, 24, 32, 48 or 64 bytes\n"
	"Serial ports take hex bytes ('48656c6c6f', '48 65 6c') or a quoted\n"
	"string with C escapes: m2mctl send gps '\"$GPGGA\\r\\n\"'\n";

static const char cmd[] = "send";

int cmd_send(int argc, char **argv)
{
	static uint8_t buf[M2MGW_REC_HDR_LEN + M2MGW_SERIAL_MAXLEN + 8];
	static uint8_t serial[M2MGW_SERIAL_MAXLEN];
	int is_fd = 0, can_err, ser_len, fd = -1, err;
	struct m2mgw_port port;
	struct canfd_frame cf;
	struct m2mgw_genl g;
	size_t len;
	ssize_t n;

	if (argc != 3)
		return usage_error(cmd, argc < 3 ? "expected PORT FRAME" :
						   "too many arguments");
	/* Check the syntax for either port type before asking the kernel. */
	can_err = parse_can_frame(argv[2], &cf, &is_fd);
	ser_len = parse_serial_data(argv[2], serial, sizeof(serial));
	if (can_err && ser_len < 0)
		return usage_error(cmd, "bad frame '%s' (see '%s send help')",
				   argv[2], prog);

	if ((err = nl_open(&g)))
		return err;
	if ((err = nl_port_lookup(&g, cmd, argv[1], &port)))
		goto out;
	if (port.type == M2MGW_PORT_CAN) {
		if (can_err) {
			err = usage_error(
				cmd,
				"bad CAN frame '%s' (cansend syntax: 123#DEADBEEF)",
				argv[2]);
			goto out;
		}
		len = m2mgw_rec_build(buf, sizeof(buf), port.id,
				      is_fd ? M2MGW_REC_CANFD : M2MGW_REC_CAN,
				      &cf,
				      is_fd ? sizeof(struct canfd_frame) :
					      sizeof(struct can_frame));
	} else {
		if (ser_len < 0) {
			err = usage_error(
				cmd,
				"bad serial data '%s' (hex bytes or a quoted string)",
				argv[2]);
			goto out;
		}
		len = m2mgw_rec_build(buf, sizeof(buf), port.id,
				      M2MGW_REC_SERIAL, serial,
				      (uint32_t)ser_len);
	}

	fd = open(M2MGW_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = kernel_error(NULL, "cannot open " M2MGW_DEV_PATH, -errno);
		goto out;
	}
	n = write(fd, buf, len);
	if (n < 0)
		err = kernel_error(NULL, "send", -errno);
	else if ((size_t)n != len)
		err = kernel_error(NULL, "send", -EIO);
	else
		err = EXIT_OK;
out:
	if (fd >= 0)
		close(fd);
	m2mgw_genl_close(&g);
	return err;
}
