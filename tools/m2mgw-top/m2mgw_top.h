/* SPDX-License-Identifier: GPL-2.0 */
/* m2mgw-top: what the BPF side counts per port, shared with userspace. */
#ifndef M2MGW_TOP_H
#define M2MGW_TOP_H

#define TOP_MAX_PORTS 1024
#define TOP_HIST      40 /* log2 ns buckets: bucket b holds [2^b, 2^(b+1)) */

struct top_port {
	__u64 rx;
	__u64 rx_bytes;
	__u64 tx;
	__u64 tx_err;
	__u64 drops;
	__u64 hist[TOP_HIST];
};

#endif
