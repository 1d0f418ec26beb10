/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stage health.  A stage is *stalled* when it has input waiting and its
 * progress counter has not moved for the stall timeout; the check logs
 * it once, counts it, and tells the caller to run the stage's recovery.
 * The systemd watchdog is fed only while no stage is stalled.
 */
#ifndef M2MGWD_HEALTH_H
#define M2MGWD_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

enum health_state {
	H_IDLE,
	H_OK,
	H_DOWN,
	H_STALLED
};

struct stage_health {
	const char *name;
	enum health_state state;
	uint64_t progress; /* last value seen */
	double since;	   /* when progress last moved */
	uint64_t stalls;
};

extern const char *const health_names[];

void health_init(struct stage_health *h, const char *name, double now);
/*
 * @progress: the stage's monotonically growing work counter; @waiting:
 * input is pending; @down: the stage cannot work for a known external
 * reason (broker unreachable) - not a stall.  Returns true when the stage
 * has just been found stalled (recover it now).
 */
bool health_check(struct stage_health *h, uint64_t progress, bool waiting,
		  bool down, double now, double timeout);

#endif /* M2MGWD_HEALTH_H */
