// SPDX-License-Identifier: GPL-2.0
/*
 * Every key of every section: its type, where it is stored, its range
 * or its allowed words.  Adding a key is adding a line here and a field
 * in config.h.
 */
#include <stddef.h>

#include "config.h"
#include "config_int.h"

static const struct enum_val src_types[] = { { "ring", SRC_RING },
					     { "replay", SRC_REPLAY },
					     { NULL, 0 } };
static const struct enum_val policies[] = {
	{ "drop-oldest", SPOOL_DROP_OLDEST },
	{ "stop-accepting", SPOOL_STOP_ACCEPTING },
	{ NULL, 0 }
};
static const struct enum_val port_types[] = { { "can", M2MGW_PORT_CAN },
					      { "serial", M2MGW_PORT_SERIAL },
					      { NULL, 0 } };
static const struct enum_val parities[] = { { "none", M2MGW_PARITY_NONE },
					    { "even", M2MGW_PARITY_EVEN },
					    { "odd", M2MGW_PARITY_ODD },
					    { NULL, 0 } };
static const struct enum_val framings[] = {
	{ "raw", M2MGW_FRAMING_RAW },
	{ "delimiter", M2MGW_FRAMING_DELIMITER },
	{ "gap", M2MGW_FRAMING_GAP },
	{ "modbus-rtu", M2MGW_FRAMING_MODBUS_RTU },
	{ "fixed", M2MGW_FRAMING_FIXED },
	{ NULL, 0 }
};
static const struct enum_val out_types[] = { { "mqtt", OUT_MQTT },
					     { "http", OUT_HTTP },
					     { NULL, 0 } };
static const struct enum_val methods[] = { { "POST", HTTP_POST },
					   { "PUT", HTTP_PUT },
					   { NULL, 0 } };
static const struct enum_val encodings[] = { { "json", ENC_JSON },
					     { "senml", ENC_SENML },
					     { NULL, 0 } };
static const struct enum_val protocols[] = { { "3.1.1", 4 },
					     { "5", 5 },
					     { NULL, 0 } };

static const struct key_desc agent_keys[] = {
	{ .key = "log_level", .type = K_LOGLEVEL, .off = A(log_level) },
	{ .key = "metrics_listen", .type = K_STR, .off = A(metrics_listen) },
	{ .key = "stall_timeout", .type = K_DUR, .off = A(stall_timeout) },
	{ .key = "drain_timeout", .type = K_DUR, .off = A(drain_timeout) },
	{ .key = NULL }
};
static const struct key_desc source_keys[] = {
	{ .key = "type", .type = K_ENUM, .off = A(source), .enums = src_types },
	{ .key = "ring_size",
	  .type = K_SIZE,
	  .off = A(ring_size),
	  .min = M2MGW_RING_MIN,
	  .max = M2MGW_RING_MAX },
	{ .key = "batch",
	  .type = K_UINT,
	  .off = A(ring_batch),
	  .min = 1,
	  .max = 65536 },
	{ .key = "wakeup_bytes",
	  .type = K_SIZE,
	  .off = A(wakeup_bytes),
	  .min = 0,
	  .max = M2MGW_RING_MAX / 2 },
	{ .key = "wakeup_latency", .type = K_DUR, .off = A(wakeup_latency) },
	{ .key = "file", .type = K_STR, .off = A(replay_file) },
	{ .key = "speed", .type = K_DOUBLE, .off = A(replay_speed) },
	{ .key = "loop", .type = K_BOOL, .off = A(replay_loop) },
	{ .key = NULL }
};
static const struct key_desc spool_keys[] = {
	{ .key = "dir", .type = K_STR, .off = A(spool_dir) },
	{ .key = "max_size",
	  .type = K_SIZE,
	  .off = A(spool_max),
	  .min = 4096,
	  .max = UINT64_MAX },
	{ .key = "segment_size",
	  .type = K_SIZE,
	  .off = A(spool_segment),
	  .min = 1024,
	  .max = 1ULL << 30 },
	{ .key = "policy",
	  .type = K_ENUM,
	  .off = A(spool_policy),
	  .enums = policies },
	{ .key = "batch",
	  .type = K_UINT,
	  .off = A(spool_batch),
	  .min = 1,
	  .max = 65536 },
	{ .key = "flush_interval", .type = K_DUR, .off = A(spool_flush) },
	{ .key = NULL }
};
static const struct key_desc port_keys[] = {
	{ .key = "type", .type = K_ENUM, .off = P(type), .enums = port_types },
	{ .key = "create", .type = K_BOOL, .off = P(create) },
	{ .key = "ifname", .type = K_STR, .off = P(ifname) },
	{ .key = "filters", .type = K_FILTERS, .off = 0 },
	{ .key = "tty", .type = K_STR, .off = P(tty) },
	{ .key = "baud",
	  .type = K_UINT,
	  .off = P(baud),
	  .min = 50,
	  .max = 4000000 },
	{ .key = "data_bits",
	  .type = K_UINT,
	  .off = P(data_bits),
	  .min = 5,
	  .max = 8 },
	{ .key = "parity", .type = K_ENUM, .off = P(parity), .enums = parities },
	{ .key = "stop_bits",
	  .type = K_UINT,
	  .off = P(stop_bits),
	  .min = 1,
	  .max = 2 },
	{ .key = "framing",
	  .type = K_ENUM,
	  .off = P(framing),
	  .enums = framings },
	{ .key = "framing_arg",
	  .type = K_UINT,
	  .off = P(framing_arg),
	  .min = 0,
	  .max = UINT32_MAX },
	{ .key = "maxlen",
	  .type = K_UINT,
	  .off = P(maxlen),
	  .min = 1,
	  .max = M2MGW_SERIAL_MAXLEN },
	{ .key = "decoder", .type = K_STR, .off = P(decoder) },
	{ .key = NULL }
};
static const struct key_desc rule_keys[] = {
	{ .key = "port", .type = K_STR, .off = R(port) },
	{ .key = "signal", .type = K_STR, .off = R(signal) },
	{ .key = "period", .type = K_DUR, .off = R(period) },
	{ .key = "stats", .type = K_STATS, .off = R(stats) },
	{ .key = "deadband", .type = K_DOUBLE, .off = R(deadband) },
	{ .key = "on_change", .type = K_BOOL, .off = R(on_change) },
	{ .key = "output", .type = K_STR, .off = R(output) },
	{ .key = NULL }
};
static const struct key_desc output_keys[] = {
	{ .key = "type", .type = K_ENUM, .off = O(type), .enums = out_types },
	{ .key = "encoding",
	  .type = K_ENUM,
	  .off = O(encoding),
	  .enums = encodings },
	{ .key = "topic", .type = K_STR, .off = O(topic) },
	{ .key = "host", .type = K_STR, .off = O(host) },
	{ .key = "port",
	  .type = K_UINT,
	  .off = O(port),
	  .min = 1,
	  .max = 65535 },
	{ .key = "protocol",
	  .type = K_ENUM,
	  .off = O(protocol),
	  .enums = protocols },
	{ .key = "client_id", .type = K_STR, .off = O(client_id) },
	{ .key = "username", .type = K_STR, .off = O(username) },
	{ .key = "password", .type = K_STR, .off = O(password) },
	{ .key = "tls_ca", .type = K_STR, .off = O(tls_ca) },
	{ .key = "tls_cert", .type = K_STR, .off = O(tls_cert) },
	{ .key = "tls_key", .type = K_STR, .off = O(tls_key) },
	{ .key = "tls_insecure", .type = K_BOOL, .off = O(tls_insecure) },
	{ .key = "qos", .type = K_UINT, .off = O(qos), .min = 0, .max = 1 },
	{ .key = "retain", .type = K_BOOL, .off = O(retain) },
	{ .key = "status_topic", .type = K_STR, .off = O(status_topic) },
	{ .key = "keepalive",
	  .type = K_UINT,
	  .off = O(keepalive),
	  .min = 5,
	  .max = 65535 },
	{ .key = "backoff_min", .type = K_DUR, .off = O(backoff_min) },
	{ .key = "backoff_max", .type = K_DUR, .off = O(backoff_max) },
	{ .key = "max_inflight",
	  .type = K_UINT,
	  .off = O(max_inflight),
	  .min = 1,
	  .max = 65535 },
	{ .key = "replay_rate", .type = K_DOUBLE, .off = O(replay_rate) },
	/* type = http */
	{ .key = "url", .type = K_STR, .off = O(url) },
	{ .key = "method", .type = K_ENUM, .off = O(method), .enums = methods },
	{ .key = "header", .type = K_HEADER, .off = O(headers) },
	{ .key = "bearer_token", .type = K_STR, .off = O(bearer_token) },
	{ .key = "bearer_token_file",
	  .type = K_STR,
	  .off = O(bearer_token_file) },
	{ .key = "timeout", .type = K_DUR, .off = O(timeout) },
	{ .key = "connect_timeout", .type = K_DUR, .off = O(connect_timeout) },
	{ .key = "batch_max",
	  .type = K_UINT,
	  .off = O(batch_max),
	  .min = 1,
	  .max = 100000 },
	{ .key = "batch_bytes",
	  .type = K_SIZE,
	  .off = O(batch_bytes),
	  .min = 1024,
	  .max = 64ULL << 20 },
	{ .key = "max_requests",
	  .type = K_UINT,
	  .off = O(max_requests),
	  .min = 1,
	  .max = 64 },
	{ .key = "command_topic", .type = K_STR, .off = O(command_topic) },
	{ .key = "command_result_topic",
	  .type = K_STR,
	  .off = O(command_result_topic) },
	{ .key = NULL }
};

const struct key_desc *conf_sect_keys(enum sect s)
{
	switch (s) {
	case S_AGENT:
		return agent_keys;
	case S_SOURCE:
		return source_keys;
	case S_SPOOL:
		return spool_keys;
	case S_PORT:
		return port_keys;
	case S_RULE:
		return rule_keys;
	case S_OUTPUT:
		return output_keys;
	default:
		return NULL;
	}
}
