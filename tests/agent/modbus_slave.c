// SPDX-License-Identifier: GPL-2.0
/*
 * A Modbus RTU slave (libmodbus) on the master side of a pty, for the
 * in-VM master test (tests/agent/modbus_master.sh).
 *
 *   modbus_slave LDISC DIR SLAVE_ID
 *
 * Opens a pty pair, sets both ends raw, the slave end to 19200 8N1, and
 * gives the slave end the m2mgw line discipline LDISC (TIOCSETD, like
 * ldattach): the module then creates port pts<N> (LDISC 0: none).  Writes "pts<N>" to
 * DIR/pty, then answers requests for SLAVE_ID on the master end
 * (modbus_reply()) until SIGTERM; requests for other ids are ignored
 * (an absent slave).  Every request is logged to DIR/requests, once
 * it is answered, as
 *
 *   <arrival> <slave> <fc> <addr> <count> <replied> <pending>
 *
 * arrival: CLOCK_MONOTONIC seconds when its first bytes were read;
 * replied: when the answer was written ("-": not answered); pending:
 * bytes of a next request already waiting when the answer was about
 * to go out.  A master that waits for the answer can never make that
 * nonzero: it is how an overlap shows from this side (the arrival times
 * cannot show it, this slave reads the next request only after
 * answering).  <count> is the value for functions 5 and 6.
 *
 * The slave's data (what the test expects the agent to publish):
 *   holding 0 = 1234, 1 = -2 (s16), 2..3 = 21.5 (float32, ABCD),
 *   10..11 = 100000 (u32, low word first), input 5 = 777, coil 3 = 1;
 *   holding 200+ does not exist (exception 2, illegal data address);
 *   input register 50 is answered with a corrupted CRC.
 */
#define _GNU_SOURCE /* posix_openpt, ptsname */
#include <errno.h>
#include <fcntl.h>
#include <modbus.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

static int raw(int fd, speed_t speed)
{
	struct termios t;

	if (tcgetattr(fd, &t))
		return -1;
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	cfsetispeed(&t, speed);
	cfsetospeed(&t, speed);
	return tcsetattr(fd, TCSANOW, &t);
}

static uint16_t crc16(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xffff;

	while (n--) {
		crc ^= *p++;
		for (int i = 0; i < 8; i++)
			crc = crc & 1 ? crc >> 1 ^ 0xa001 : crc >> 1;
	}
	return crc;
}

/*
 * One request: the bytes until the line is quiet for 5 ms.  Not
 * modbus_receive(): libmodbus 3.1.6 then reads on for the "confirmation"
 * of a request to another slave and loses the framing when that slave
 * is absent.  The master sends one request at a time, so a quiet line
 * ends the request.
 */
static int read_request(int fd, uint8_t *q, size_t max, struct timespec *ts)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n = read(fd, q, max), r;

	/* Arrival: before the quiet wait, which a busy guest stretches. */
	clock_gettime(CLOCK_MONOTONIC, ts);
	while (n > 0 && (size_t)n < max && poll(&p, 1, 5) > 0) {
		r = read(fd, q + n, max - (size_t)n);
		if (r <= 0)
			break;
		n += r;
	}
	return (int)n;
}

/* Answer request @q: input register 50 with a corrupted CRC, the rest
 * as libmodbus does.  0, or -1 if the pty is gone. */
static int reply(modbus_t *ctx, int m, const uint8_t *q, int n,
		 modbus_mapping_t *map)
{
	if (q[1] == 4 && (q[2] << 8 | q[3]) == 50) {
		uint8_t r[7] = { q[0], 4, 2, 0x12, 0x34 };
		uint16_t c = crc16(r, 5) ^ 0x0100;

		r[5] = c & 0xff;
		r[6] = c >> 8;
		return write(m, r, sizeof(r)) == sizeof(r) ? 0 : -1;
	}
	modbus_reply(ctx, q, n, map);
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t q[MODBUS_RTU_MAX_ADU_LENGTH];
	modbus_mapping_t *map;
	char path[512], tmp[512];
	int m, s, ldisc, id;
	modbus_t *ctx;
	FILE *f, *log;

	if (argc != 4) {
		fprintf(stderr, "usage: modbus_slave LDISC DIR SLAVE_ID\n");
		return 2;
	}
	ldisc = atoi(argv[1]);
	id = atoi(argv[3]);
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m)) {
		perror("posix_openpt");
		return 1;
	}
	s = open(ptsname(m), O_RDWR | O_NOCTTY);
	if (s < 0 || raw(m, B19200) || raw(s, B19200)) {
		perror("pty slave");
		return 1;
	}
	/* LDISC 0: no line discipline (to try the slave on a host). */
	if (ldisc && ioctl(s, TIOCSETD, &ldisc)) {
		perror("TIOCSETD (is m2mgw loaded?)");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/requests", argv[2]);
	log = fopen(path, "w");
	snprintf(tmp, sizeof(tmp), "%s/pty.tmp", argv[2]);
	snprintf(path, sizeof(path), "%s/pty", argv[2]);
	f = fopen(tmp, "w");
	if (!f || !log) {
		perror(argv[2]);
		return 1;
	}
	setvbuf(log, NULL, _IOLBF, 0);
	fprintf(f, "pts%s\n", strrchr(ptsname(m), '/') + 1);
	fclose(f);
	rename(tmp, path);

	ctx = modbus_new_rtu("/dev/null", 19200, 'N', 8, 1);
	/* coils 0..15, inputs 0..15, registers 0..99, input registers 0..99 */
	map = modbus_mapping_new_start_address(0, 16, 0, 16, 0, 100, 0, 100);
	if (!ctx || !map || modbus_set_slave(ctx, id) ||
	    modbus_set_socket(ctx, m)) {
		fprintf(stderr, "libmodbus: %s\n", modbus_strerror(errno));
		return 1;
	}
	/* libmodbus prints every byte it reads and writes on stdout. */
	modbus_set_debug(ctx, getenv("MODBUS_SLAVE_DEBUG") != NULL);
	map->tab_registers[0] = 1234;
	map->tab_registers[1] = (uint16_t)-2;
	/* 21.5f = 0x41ac0000; not modbus_set_float_abcd(), which swaps
	 * bytes in libmodbus 3.1.6. */
	map->tab_registers[2] = 0x41ac;
	map->tab_registers[3] = 0x0000;
	map->tab_registers[10] = 100000 & 0xffff;
	map->tab_registers[11] = 100000 >> 16;
	map->tab_input_registers[5] = 777;
	map->tab_bits[3] = 1;
	for (;;) {
		struct timespec ts, done;
		int n = read_request(m, q, sizeof(q), &ts), pending = 0;
		char replied[32] = "-";

		if (n < 0) {
			perror("read");
			return 1;
		}
		if (n < 8 || crc16(q, n - 2) != (q[n - 2] | q[n - 1] << 8)) {
			fprintf(log, "# bad request of %d bytes\n", n);
			continue;
		}
		if (q[0] == id) {
			if (ioctl(m, FIONREAD, &pending))
				pending = -1;
			if (reply(ctx, m, q, n, map))
				return 1;
			clock_gettime(CLOCK_MONOTONIC, &done);
			snprintf(replied, sizeof(replied), "%.6f",
				 done.tv_sec + done.tv_nsec / 1e9);
		}
		fprintf(log, "%.6f %u %u %u %u %s %d\n",
			ts.tv_sec + ts.tv_nsec / 1e9, q[0], q[1],
			q[2] << 8 | q[3], q[4] << 8 | q[5], replied, pending);
	}
}
