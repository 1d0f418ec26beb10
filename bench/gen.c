// SPDX-License-Identifier: GPL-2.0
/*
 * m2mgw-bench-gen: send N CAN frames on one or more interfaces with
 * sendmmsg(), as fast as possible or at a given rate, pinned to a CPU.
 * Frame i carries i in its first 8 data bytes and id (i % 0x7ff), so
 * receivers can check order and loss.
 *
 *   gen -i vcan0[,vcan1...] -n COUNT [-r FRAMES_PER_SEC] [-c CPU] [-f]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <linux/can.h>
#include <linux/can/raw.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH  64
#define MAX_IF 16

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int open_if(const char *name, int fd_mode)
{
	struct sockaddr_can addr = { .can_family = AF_CAN };
	int fd, on = 1;

	fd = socket(PF_CAN, SOCK_RAW, CAN_RAW);
	if (fd < 0)
		return -1;
	addr.can_ifindex = (int)if_nametoindex(name);
	if (!addr.can_ifindex) {
		fprintf(stderr, "gen: no interface %s\n", name);
		exit(2);
	}
	if (fd_mode)
		setsockopt(fd, SOL_CAN_RAW, CAN_RAW_FD_FRAMES, &on, sizeof(on));
	/* Sending only: do not queue our own traffic back to us. */
	setsockopt(fd, SOL_CAN_RAW, CAN_RAW_FILTER, NULL, 0);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return -1;
	return fd;
}

int main(int argc, char **argv)
{
	static struct canfd_frame frames[MAX_IF][BATCH];
	struct mmsghdr msgs[MAX_IF][BATCH];
	struct iovec iov[MAX_IF][BATCH];
	uint64_t count = 0, rate = 0, sent = 0, start;
	int fds[MAX_IF], nif = 0, cpu = -1, fd_mode = 0, opt, i, j;
	char *ifs = NULL, *tok;
	size_t mtu;

	while ((opt = getopt(argc, argv, "i:n:r:c:f")) != -1) {
		switch (opt) {
		case 'i':
			ifs = optarg;
			break;
		case 'n':
			count = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			rate = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'f':
			fd_mode = 1;
			break;
		default:
			fprintf(stderr,
				"usage: gen -i IF[,IF] -n N [-r RATE] [-c CPU] [-f]\n");
			return 2;
		}
	}
	if (!ifs || !count) {
		fprintf(stderr,
			"usage: gen -i IF[,IF] -n N [-r RATE] [-c CPU] [-f]\n");
		return 2;
	}
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	for (tok = strtok(ifs, ","); tok && nif < MAX_IF;
	     tok = strtok(NULL, ","))
		if ((fds[nif++] = open_if(tok, fd_mode)) < 0) {
			perror("gen: socket");
			return 1;
		}
	mtu = fd_mode ? CANFD_MTU : CAN_MTU;
	for (i = 0; i < nif; i++)
		for (j = 0; j < BATCH; j++) {
			iov[i][j].iov_base = &frames[i][j];
			iov[i][j].iov_len = mtu;
			memset(&msgs[i][j], 0, sizeof(msgs[i][j]));
			msgs[i][j].msg_hdr.msg_iov = &iov[i][j];
			msgs[i][j].msg_hdr.msg_iovlen = 1;
		}

	start = now_ns();
	while (sent < count) {
		unsigned int n = count - sent < BATCH ? count - sent : BATCH;

		if (rate) {
			uint64_t due = start + sent * 1000000000ull / rate;

			while (now_ns() < due)
				;
		}
		for (i = 0; i < nif; i++) {
			unsigned int done = 0;

			for (j = 0; j < (int)n; j++) {
				uint64_t seq = sent + (uint64_t)j;

				frames[i][j].can_id = (canid_t)(seq % 0x7ff);
				frames[i][j].len = fd_mode ? 16 : 8;
				memcpy(frames[i][j].data, &seq, sizeof(seq));
			}
			while (done < n) {
				int r = sendmmsg(fds[i], &msgs[i][done],
						 n - done, 0);

				if (r < 0) {
					if (errno == ENOBUFS ||
					    errno == EAGAIN) {
						sched_yield();
						continue;
					}
					perror("gen: sendmmsg");
					return 1;
				}
				done += (unsigned int)r;
			}
		}
		sent += n;
	}
	printf("gen: sent %llu frames on %d interface(s) in %.3f s\n",
	       (unsigned long long)sent, nif, (now_ns() - start) / 1e9);
	return 0;
}
