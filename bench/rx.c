// SPDX-License-Identifier: GPL-2.0
/*
 * m2mgw-bench-rx: receive the generator's CAN frames with one of four
 * methods and account the CPU the whole system spent doing it.
 *
 *   rx -m none|recvmsg|recvmmsg|tpacket|m2mgw -i IF[,IF...] -n COUNT
 *      [-s live|drain] [-r RATE] [-g GEN] [-l] [-R RING_BYTES]
 *      [-w BYTES,USEC] [-L LABEL]
 *
 * -w sets the m2mgw reader's wakeup watermark and latency bound
 * (M2MGW_IOC_WAKEUP; default: woken by the first record, per record when
 * it keeps up).  -L prints LABEL as the mode, to tell variants apart.
 *
 * Several interfaces (m2mgw and none only: the m2mgw reader subscribes
 * to all ports): COUNT is the total, split evenly over the buses, and
 * RATE is per bus; order_err is then meaningless (each bus counts from 0).
 *
 * rx sets its receiver up, snapshots /proc/stat, starts GEN (default
 * ./gen next to this binary) pinned to CPU 1 while it runs on CPU 0, and
 * consumes either while the generator runs (live) or after it finished
 * (drain).  "none" binds nothing: the generator-only baseline that the
 * report subtracts.  One line of key=value results goes to stdout.
 *
 * System-wide CPU is counted on purpose: on vcan a frame is delivered in
 * the sender's softirq, so an mmap receiver's copy cost lands on the
 * generator's CPU; counting only the receiver would hide it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <linux/can.h>
#include <linux/can/raw.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "m2mgw_ring.h"

#define BATCH	64
#define IDLE_MS 1500

struct stat_snap {
	unsigned long long busy, total;
};

struct rx {
	const char *mode;
	uint64_t count, got, order_err;
	uint64_t next;
	int latency;
	uint64_t *lat;
	uint64_t nlat;
	uint64_t kernel_drops;
};

static uint64_t now_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void read_stat(struct stat_snap *s)
{
	unsigned long long v[10] = { 0 };
	FILE *f = fopen("/proc/stat", "r");

	if (!f ||
	    fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8) {
		perror("rx: /proc/stat");
		exit(1);
	}
	fclose(f);
	/* user nice system idle iowait irq softirq steal */
	s->busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	s->total = s->busy + v[3] + v[4];
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void account(struct rx *rx, const struct can_frame *cf,
		    uint64_t tstamp_ns)
{
	uint64_t seq;

	memcpy(&seq, cf->data, sizeof(seq));
	if (seq != rx->next)
		rx->order_err++;
	rx->next = seq + 1;
	rx->got++;
	if (rx->latency && rx->nlat < rx->count && tstamp_ns)
		rx->lat[rx->nlat++] = now_real_ns() - tstamp_ns;
}

static int open_raw(const char *ifname)
{
	struct sockaddr_can addr = { .can_family = AF_CAN };
	int fd, big = 256 << 20, on = 1;

	fd = socket(PF_CAN, SOCK_RAW, CAN_RAW);
	addr.can_ifindex = (int)if_nametoindex(ifname);
	if (fd < 0 || !addr.can_ifindex) {
		perror("rx: can socket");
		exit(1);
	}
	/* As deep a queue as the kernel allows, for the drain scenario. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("rx: bind");
		exit(1);
	}
	return fd;
}

static void cmsg_parse(struct rx *rx, struct msghdr *mh, uint64_t *ts)
{
	struct cmsghdr *c;

	*ts = 0;
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SO_TIMESTAMPNS) {
			struct timespec t;

			memcpy(&t, CMSG_DATA(c), sizeof(t));
			*ts = (uint64_t)t.tv_sec * 1000000000ull +
			      (uint64_t)t.tv_nsec;
		} else if (c->cmsg_type == SO_RXQ_OVFL) {
			uint32_t d;

			memcpy(&d, CMSG_DATA(c), sizeof(d));
			rx->kernel_drops = d;
		}
	}
}

/* Returns 0 when idle for IDLE_MS after the generator is done. */
static int wait_in(int fd, int gen_done)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, gen_done ? IDLE_MS : 100);
}

struct ctl {
	pid_t gen;
	int gen_done;
};

static void reap(struct ctl *c)
{
	int st;

	if (!c->gen_done && waitpid(c->gen, &st, WNOHANG) == c->gen)
		c->gen_done = 1;
}

static void run_recvmsg(struct rx *rx, int fd, struct ctl *c, int batch)
{
	struct can_frame frames[BATCH];
	char ctrl[BATCH][CMSG_SPACE(sizeof(struct timespec)) +
			 CMSG_SPACE(sizeof(uint32_t))];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	uint64_t ts;
	int i, n;

	for (i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ &frames[i], sizeof(frames[i]) };
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	while (rx->got < rx->count) {
		for (i = 0; i < batch; i++) {
			mm[i].msg_hdr.msg_control = ctrl[i];
			mm[i].msg_hdr.msg_controllen = sizeof(ctrl[i]);
		}
		if (batch == 1) {
			n = recvmsg(fd, &mm[0].msg_hdr, MSG_DONTWAIT) < 0 ? -1 :
									    1;
		} else {
			n = recvmmsg(fd, mm, (unsigned int)batch, MSG_DONTWAIT,
				     NULL);
		}
		if (n < 0) {
			if (errno != EAGAIN)
				break;
			reap(c);
			if (!wait_in(fd, c->gen_done) && c->gen_done)
				break;
			continue;
		}
		for (i = 0; i < n; i++) {
			cmsg_parse(rx, &mm[i].msg_hdr, &ts);
			account(rx, &frames[i], ts);
		}
	}
}

struct tpacket {
	struct tpacket_req3 req;
	uint8_t *map;
	int fd;
};

static void open_tpacket(struct tpacket *tp, const char *ifname)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET };
	int v = TPACKET_V3;

	tp->req = (struct tpacket_req3){
		.tp_block_size = 1 << 20,
		.tp_block_nr = 128,
		.tp_frame_size = 1 << 11,
		.tp_retire_blk_tov = 20,
	};
	tp->req.tp_frame_nr = tp->req.tp_block_size / tp->req.tp_frame_size *
			      tp->req.tp_block_nr;
	tp->fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_CAN));
	if (tp->fd < 0 ||
	    setsockopt(tp->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) ||
	    setsockopt(tp->fd, SOL_PACKET, PACKET_RX_RING, &tp->req,
		       sizeof(tp->req))) {
		perror("rx: packet socket");
		exit(1);
	}
	tp->map = mmap(NULL,
		       (size_t)tp->req.tp_block_size * tp->req.tp_block_nr,
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, tp->fd,
		       0);
	if (tp->map == MAP_FAILED) {
		perror("rx: packet mmap");
		exit(1);
	}
	ll.sll_protocol = htons(ETH_P_CAN);
	ll.sll_ifindex = (int)if_nametoindex(ifname);
	if (bind(tp->fd, (struct sockaddr *)&ll, sizeof(ll)) < 0) {
		perror("rx: packet bind");
		exit(1);
	}
}

static void run_tpacket(struct rx *rx, struct tpacket *tp, struct ctl *c)
{
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);
	unsigned int blk = 0;

	while (rx->got < rx->count) {
		struct tpacket_block_desc *bd =
			(void *)(tp->map + (size_t)blk * tp->req.tp_block_size);
		struct tpacket3_hdr *h;
		unsigned int i;

		if (!(__atomic_load_n(&bd->hdr.bh1.block_status,
				      __ATOMIC_ACQUIRE) &
		      TP_STATUS_USER)) {
			reap(c);
			if (!wait_in(tp->fd, c->gen_done) && c->gen_done)
				break;
			continue;
		}
		h = (void *)((uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt);
		for (i = 0; i < bd->hdr.bh1.num_pkts; i++) {
			account(rx, (void *)((uint8_t *)h + h->tp_mac),
				(uint64_t)h->tp_sec * 1000000000ull +
					h->tp_nsec);
			h = (void *)((uint8_t *)h + h->tp_next_offset);
		}
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL,
				 __ATOMIC_RELEASE);
		blk = (blk + 1) % tp->req.tp_block_nr;
	}
	if (!getsockopt(tp->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len))
		rx->kernel_drops = st.tp_drops;
}

static int m2mgw_cb(void *ctx, const struct m2mgw_rec *rec)
{
	account(ctx, (const void *)rec->data, rec->tstamp_ns);
	return 0;
}

static void run_m2mgw(struct rx *rx, struct m2mgw_ring *r, struct ctl *c)
{
	int n;

	while (rx->got < rx->count) {
		n = m2mgw_ring_consume(r, m2mgw_cb, rx, 0);
		if (n > 0)
			continue;
		reap(c);
		n = m2mgw_ring_wait(r, c->gen_done ? IDLE_MS : 100);
		if (n == 0 && c->gen_done)
			break;
	}
	rx->kernel_drops = m2mgw_ring_dropped(r);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void wait_gen(struct ctl *c)
{
	int st;

	if (!c->gen_done)
		waitpid(c->gen, &st, 0);
	c->gen_done = 1;
}

int main(int argc, char **argv)
{
	struct rx rx = { .mode = "none" };
	const char *ifname = NULL, *scen = "live", *gen = NULL, *label = NULL;
	unsigned int wake_bytes = 0, wake_usec = 0;
	char genpath[4096], nbuf[32], rbuf[32];
	struct stat_snap a, b;
	struct m2mgw_ring ring;
	struct tpacket tp;
	uint32_t ring_size = 1 << 24;
	unsigned long long rate = 0;
	struct ctl c = { 0 };
	int fd = -1, opt, drain, nbus = 1;
	const char *p;

	while ((opt = getopt(argc, argv, "m:i:n:s:r:g:lR:w:L:")) != -1) {
		switch (opt) {
		case 'm':
			rx.mode = optarg;
			break;
		case 'i':
			ifname = optarg;
			break;
		case 'n':
			rx.count = strtoull(optarg, NULL, 0);
			break;
		case 's':
			scen = optarg;
			break;
		case 'r':
			rate = strtoull(optarg, NULL, 0);
			break;
		case 'g':
			gen = optarg;
			break;
		case 'l':
			rx.latency = 1;
			break;
		case 'R':
			ring_size = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'w':
			if (sscanf(optarg, "%u,%u", &wake_bytes, &wake_usec) !=
			    2) {
				fprintf(stderr, "rx: -w BYTES,USEC\n");
				return 2;
			}
			break;
		case 'L':
			label = optarg;
			break;
		default:
			return 2;
		}
	}
	if (!ifname || !rx.count) {
		fprintf(stderr,
			"usage: rx -m MODE -i IF -n N [-s live|drain] [-r RATE] [-l]\n");
		return 2;
	}
	drain = !strcmp(scen, "drain");
	for (p = ifname; *p; p++)
		nbus += *p == ',';
	if (nbus > 1 && (strcmp(rx.mode, "m2mgw") && strcmp(rx.mode, "none"))) {
		fprintf(stderr,
			"rx: several interfaces only with m2mgw/none\n");
		return 2;
	}
	if (!gen) {
		snprintf(genpath, sizeof(genpath), "%s/gen",
			 dirname(strdup(argv[0])));
		gen = genpath;
	}
	if (rx.latency)
		rx.lat = calloc(rx.count, sizeof(*rx.lat));
	pin(0);

	if (!strcmp(rx.mode, "recvmsg") || !strcmp(rx.mode, "recvmmsg"))
		fd = open_raw(ifname);
	else if (!strcmp(rx.mode, "tpacket"))
		open_tpacket(&tp, ifname);
	else if (!strcmp(rx.mode, "m2mgw")) {
		int err = m2mgw_ring_open(&ring, NULL, ring_size);

		if (!err)
			err = m2mgw_ring_subscribe(&ring, M2MGW_PORT_ALL);
		if (!err && (wake_bytes || wake_usec))
			err = m2mgw_ring_set_wakeup(&ring, wake_bytes,
						    wake_usec);
		if (err) {
			fprintf(stderr, "rx: m2mgw ring: %s\n", strerror(-err));
			return 1;
		}
	}

	read_stat(&a);
	c.gen = fork();
	if (!c.gen) {
		snprintf(nbuf, sizeof(nbuf), "%llu",
			 (unsigned long long)(rx.count / (uint64_t)nbus));
		snprintf(rbuf, sizeof(rbuf), "%llu", rate);
		execl(gen, gen, "-i", ifname, "-n", nbuf, "-r", rbuf, "-c", "1",
		      (char *)NULL);
		_exit(127);
	}
	if (drain || !strcmp(rx.mode, "none"))
		wait_gen(&c);
	if (!strcmp(rx.mode, "recvmsg"))
		run_recvmsg(&rx, fd, &c, 1);
	else if (!strcmp(rx.mode, "recvmmsg"))
		run_recvmsg(&rx, fd, &c, BATCH);
	else if (!strcmp(rx.mode, "tpacket"))
		run_tpacket(&rx, &tp, &c);
	else if (!strcmp(rx.mode, "m2mgw"))
		run_m2mgw(&rx, &ring, &c);
	wait_gen(&c);
	read_stat(&b);

	printf("mode=%s scenario=%s sent=%llu got=%llu lost=%llu order_err=%llu kdrops=%llu busy_ticks=%llu total_ticks=%llu",
	       label ? label : rx.mode, scen, (unsigned long long)rx.count,
	       (unsigned long long)rx.got,
	       (unsigned long long)(strcmp(rx.mode, "none") ?
					    rx.count - rx.got :
					    0),
	       (unsigned long long)rx.order_err,
	       (unsigned long long)rx.kernel_drops, b.busy - a.busy,
	       b.total - a.total);
	if (rx.latency && rx.nlat) {
		qsort(rx.lat, rx.nlat, sizeof(*rx.lat), cmp_u64);
		printf(" lat_p50_ns=%llu lat_p99_ns=%llu",
		       (unsigned long long)rx.lat[rx.nlat / 2],
		       (unsigned long long)rx.lat[rx.nlat * 99 / 100]);
	}
	printf("\n");
	return 0;
}
