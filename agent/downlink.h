/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Downlink: commands from the IoT side to the devices.  An MQTT output
 * with command_topic = site/{port}/cmd/# subscribes to it (the {port}
 * level as "+"); each message is one command for the port named in its
 * topic, a JSON object:
 *
 *   CAN, raw:      {"id":"0x123","data":"11223344"}  ("ext", "fd", "brs")
 *   CAN, DBC:      {"message":"EngineCmd","signals":{"TargetRpm":1500}}
 *   serial:        {"hex":"0103000a0001"} or {"text":"RESET\r\n"}
 *   Modbus master: {"slave":1,"write":{"address":10,"value":7}}
 *                  ("values":[...] for several registers)
 *                  {"slave":1,"write":{"address":3,"coil":true}}
 *                  ("coils":[true,false,...] for several coils)
 *
 * plus an optional "cid" the reply echoes (correlation for MQTT 3.1.1).
 * Nothing reaches a bus unless the port's allowlist in the config says
 * so (downlink_can_ids, downlink_messages, downlink_serial,
 * downlink_modbus, downlink_modbus_coils) and the port's rate limit (downlink_rate) has a token
 * left.  Every command gets one reply, {"ok":true,...} or
 * {"ok":false,"error":"..."}, on the result topic or, with MQTT 5, on
 * the response topic the client gave (with its correlation data).
 *
 * A frame is built whole before it is handed to the kernel in one
 * write() of one record: the kernel sends all of it or none.
 */
#ifndef M2MGWD_DOWNLINK_H
#define M2MGWD_DOWNLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

/* One allowed range of CAN ids, or of Modbus registers or coils of one
 * slave. */
struct dl_range {
	uint32_t lo, hi;
	uint32_t slave; /* Modbus */
	bool ext;	/* CAN: 29-bit ids */
};

/* A port's allowlist and rate limit (downlink_allow.c). */
struct dl_allow {
	struct dl_range *ids; /* downlink_can_ids */
	size_t nids;
	char **msgs; /* downlink_messages */
	size_t nmsgs;
	bool serial;	     /* downlink_serial */
	struct dl_range *mb; /* downlink_modbus */
	size_t nmb;
	struct dl_range *coils; /* downlink_modbus_coils */
	size_t ncoils;
	double rate; /* commands per second */
	double tokens, refilled;
};

#define DL_RATE_DEFAULT 10.0

/*
 * Parse and check the downlink_* keys of @pc (pc->downlink) into @a;
 * problems go to @err as "file:line: message".  Returns how many.  A
 * port without downlink_* keys gets an empty allowlist: nothing allowed.
 */
int dl_allow_parse(const struct port_conf *pc, struct dl_allow *a,
		   const char *file, FILE *err);
void dl_allow_free(struct dl_allow *a);
bool dl_allow_any(const struct dl_allow *a);
bool dl_allow_can_id(const struct dl_allow *a, uint32_t id, bool ext);
bool dl_allow_message(const struct dl_allow *a, const char *name);
bool dl_allow_modbus(const struct dl_allow *a, uint32_t slave, uint32_t addr,
		     uint32_t count);
bool dl_allow_modbus_coils(const struct dl_allow *a, uint32_t slave,
			   uint32_t addr, uint32_t count);
/* Token bucket, burst of one second's worth (at least 1): take one. */
bool dl_rate_take(struct dl_allow *a, double now);

/* Config-time check of every port's downlink keys: error count. */
int dl_conf_check(const struct agent_conf *c, const char *file, FILE *err);

/*
 * Command topic templates: exactly one level is "{port}", an optional
 * last level "#"; no other wildcards.  0 or -1.
 */
int dl_topic_check(const char *tmpl);
/* The subscription: {port} -> "+".  malloc'd. */
char *dl_topic_sub(const char *tmpl);
/* The port name if @topic matches @tmpl, else -1. */
int dl_topic_port(const char *tmpl, const char *topic, char *port, size_t n);
/* @tmpl with {port} expanded (and a trailing "/#" dropped); malloc'd. */
char *dl_topic_expand(const char *tmpl, const char *port);
/* Default result topic of a command topic: .../result; malloc'd. */
char *dl_topic_result_default(const char *cmd_tmpl);

/* Send one frame on @pc's port: 0 or a negative errno (the kernel's). */
typedef int (*dl_tx_fn)(void *ctx, const struct port_conf *pc, uint16_t type,
			const void *payload, uint32_t len);

/* The outcome of a Modbus write: 0, or -EREMOTEIO with @exception,
 * -ETIMEDOUT, -EBADMSG, -ECANCELED, or the TX path's -errno. */
typedef void (*dl_modbus_done_fn)(void *ctx, int result, uint8_t exception);
/*
 * Queue a write (@fc 5: one coil, 6: one register, 15: @count coils,
 * 16: @count registers; a coil's value is 0 or 1) on @pc's Modbus master; @done(@done_ctx, ...) is called once, later.  0, or a
 * negative errno (nothing queued, @done not called): -EOPNOTSUPP the
 * port's decoder is no Modbus master, -ENOBUFS the queue is full.
 */
typedef int (*dl_modbus_fn)(void *ctx, const struct port_conf *pc,
			    uint8_t slave, uint8_t fc, uint16_t addr,
			    const uint16_t *values, uint16_t count,
			    dl_modbus_done_fn done, void *done_ctx);

/* Where the reply of a command that finishes later goes. */
struct dl_later {
	/* @reply: malloc'd JSON (the callee frees it), NULL without memory */
	void (*fn)(void *ctx, char *reply);
	void *ctx;
};

struct downlink;

/* Commands carried out and refused (metrics); owned by the caller. */
struct dl_stats {
	uint64_t ok, refused;
};

/*
 * Allowlists and DBCs of every port of @c; NULL if one fails to load.
 * @modbus may be NULL: Modbus writes are then refused as not supported.
 * @stats (may be NULL) is counted in, also for replies that come after
 * a reload replaced this downlink: it must outlive them.
 */
struct downlink *downlink_new(const struct agent_conf *c, dl_tx_fn tx,
			      dl_modbus_fn modbus, void *ctx,
			      struct dl_stats *stats);
void downlink_free(struct downlink *dl);

/*
 * Carry out one command for @port (the name from the topic) at time
 * @now (monotonic seconds).  Returns 0 with the reply in *@reply (a
 * malloc'd JSON string), 1 when the command is under way and its reply
 * will go to @later (Modbus writes, once the slave answered), or
 * -ENOMEM.
 */
int downlink_command(struct downlink *dl, const char *port, const void *payload,
		     size_t len, double now, const struct dl_later *later,
		     char **reply);

#endif /* M2MGWD_DOWNLINK_H */
