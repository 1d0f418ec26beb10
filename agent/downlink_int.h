/* SPDX-License-Identifier: GPL-2.0 */
/* Downlink internals shared by downlink.c and downlink_modbus.c. */
#ifndef M2MGWD_DOWNLINK_INT_H
#define M2MGWD_DOWNLINK_INT_H

#include <cjson/cJSON.h>

#include "downlink.h"

struct dl_port {
	const struct port_conf *pc;
	struct dl_allow allow;
	struct dbc *db; /* ports with downlink_messages */
};

struct downlink {
	struct dl_port *ports;
	size_t nports;
	dl_tx_fn tx;
	dl_modbus_fn modbus; /* NULL: no Modbus master in this build */
	void *ctx;
	struct dl_stats *stats;
};

/* One command being carried out. */
struct cmd {
	struct downlink *dl;
	struct dl_port *p;
	const cJSON *req;
	cJSON *reply;
	double now;
	const struct dl_later *later;
	bool pending; /* the reply went with the command (later) */
	char err[512];
};

/* Refuse the command with this error; returns -1. */
int dl_fail(struct cmd *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Every member of the request must be one of @names (NULL-ended). */
int dl_only_fields(struct cmd *c, const char *const *names);
const cJSON *dl_field(struct cmd *c, const char *name);
/* The port's rate limit: 0, or -1 refused. */
int dl_cmd_rate(struct cmd *c);

int dl_cmd_modbus(struct cmd *c);

/* Set "ok" (and "error" if @err) in @reply, count, log, print, free. */
char *dl_reply_finish(cJSON *reply, const char *port, const char *err,
		      struct dl_stats *stats);

#endif /* M2MGWD_DOWNLINK_INT_H */
