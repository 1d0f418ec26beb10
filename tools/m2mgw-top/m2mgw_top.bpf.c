// SPDX-License-Identifier: GPL-2.0
/*
 * m2mgw-top's BPF side: per-port counters and a log2 histogram of the
 * netdev -> ring latency, from the m2mgw tracepoints.
 *
 * The tracepoint records are declared here from their tracefs format
 * files (kernel/trace.h): the layout of a TRACE_EVENT record is an ABI
 * of the event, the same on every kernel, so no BTF of the module is
 * needed (Debian's module builds have none).  Nothing reads kernel
 * structs, so the program loads with or without /sys/kernel/btf/vmlinux.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "m2mgw_top.h"

/* The common header of every trace event record (common_type ... pid). */
struct trace_common {
	__u16 type;
	__u8 flags;
	__u8 preempt_count;
	__s32 pid;
};

struct m2mgw_rx_rec {
	struct trace_common c;
	__u32 port_id;
	__u16 type;
	__u16 ts_src;
	__u32 can_id;
	__u32 len;
	__u64 seq;
	__u64 tstamp_ns;
	__u32 readers;
	__u32 full;
	__u32 fill;
	__u64 ring_ns;
};

struct m2mgw_drop_rec {
	struct trace_common c;
	__u32 port_id;
	__u32 reason;
	__u32 count;
};

struct m2mgw_tx_rec {
	struct trace_common c;
	__u32 port_id;
	__u16 type;
	__u32 can_id;
	__u32 len;
	__s32 err;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, TOP_MAX_PORTS);
	__type(key, __u32);
	__type(value, struct top_port);
} ports SEC(".maps");

/* When the stack handed the current skb up, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rcv_ns SEC(".maps");

static struct top_port *port_of(__u32 id)
{
	static const struct top_port zero;
	struct top_port *p = bpf_map_lookup_elem(&ports, &id);

	if (p)
		return p;
	bpf_map_update_elem(&ports, &id, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&ports, &id);
}

static __u32 log2_bucket(__u64 v)
{
	__u32 b = 0;

	/* Bounded for the verifier: TOP_HIST buckets. */
	for (int i = 0; i < TOP_HIST - 1 && v > 1; i++) {
		v >>= 1;
		b++;
	}
	return b;
}

SEC("tracepoint/net/netif_receive_skb")
int on_netif_receive_skb(void *ctx)
{
	__u32 k = 0;
	__u64 *t = bpf_map_lookup_elem(&rcv_ns, &k);

	if (t)
		*t = bpf_ktime_get_ns();
	return 0;
}

SEC("tracepoint/m2mgw/rx")
int on_rx(struct m2mgw_rx_rec *ctx)
{
	struct top_port *p = port_of(ctx->port_id);
	__u32 k = 0;
	__u64 *t;

	if (!p)
		return 0;
	p->rx++;
	p->rx_bytes += ctx->len;
	t = bpf_map_lookup_elem(&rcv_ns, &k);
	if (t && *t) {
		__u32 b = log2_bucket(bpf_ktime_get_ns() - *t);

		if (b < TOP_HIST)
			p->hist[b]++;
		*t = 0;
	}
	return 0;
}

SEC("tracepoint/m2mgw/tx")
int on_tx(struct m2mgw_tx_rec *ctx)
{
	struct top_port *p = port_of(ctx->port_id);

	if (!p)
		return 0;
	if (ctx->err)
		p->tx_err++;
	else
		p->tx++;
	return 0;
}

SEC("tracepoint/m2mgw/drop")
int on_drop(struct m2mgw_drop_rec *ctx)
{
	struct top_port *p = port_of(ctx->port_id);

	if (p)
		p->drops += ctx->count;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
