// SPDX-License-Identifier: GPL-2.0
/* Stall detection per stage; see health.h. */
#include "health.h"
#include "log.h"

const char *const health_names[] = {
	[H_IDLE] = "idle",
	[H_OK] = "ok",
	[H_DOWN] = "down",
	[H_STALLED] = "stalled",
};

void health_init(struct stage_health *h, const char *name, double now)
{
	*h = (struct stage_health){ .name = name, .since = now };
}

bool health_check(struct stage_health *h, uint64_t progress, bool waiting,
		  bool down, double now, double timeout)
{
	if (progress != h->progress) {
		h->progress = progress;
		h->since = now;
		if (h->state == H_STALLED)
			log_notice("%s: moving again", h->name);
		h->state = H_OK;
		return false;
	}
	if (down) {
		h->state = H_DOWN;
		h->since = now;
		return false;
	}
	if (!waiting) {
		h->state = H_IDLE;
		h->since = now;
		return false;
	}
	if (now - h->since < timeout)
		return false;
	/* Stalled: report once per stall, then retry recovery each
	 * timeout until progress resumes. */
	h->stalls++;
	h->since = now;
	log_err("%s: stalled for %.0f s with input waiting; recovering (stall #%llu)",
		h->name, timeout, (unsigned long long)h->stalls);
	h->state = H_STALLED;
	return true;
}
