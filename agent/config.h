/* SPDX-License-Identifier: GPL-2.0 */
/*
 * m2mgwd configuration: one INI file (libinih), fully validated before
 * anything is started.  Sections:
 *
 *   [agent]          log level, metrics endpoint, stall/drain timeouts
 *   [source]         ring (the module) or replay (a candump -L log)
 *   [spool]          disk store-and-forward queue of every output
 *   [port NAME]      a port to create or reuse, and its decoder
 *   [rule NAME]      which signals are aggregated how, to which output
 *   [output NAME]    where reports go (type = mqtt or http)
 *
 * Keys of a [port] section that the port itself does not know are kept
 * (struct conf_kv) and handed to the port's decoder, which accepts or
 * refuses them; that is how decoders plug in their own options.  Keys
 * named downlink_* go to the downlink allowlist instead (downlink.h).
 */
#ifndef M2MGWD_CONFIG_H
#define M2MGWD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/can.h>
#include <linux/m2mgw.h>

enum src_type {
	SRC_RING,
	SRC_REPLAY
};
enum spool_policy {
	SPOOL_DROP_OLDEST,
	SPOOL_STOP_ACCEPTING
};
enum out_type {
	OUT_MQTT,
	OUT_HTTP
};
enum http_method {
	HTTP_POST,
	HTTP_PUT
};
enum encoding {
	ENC_JSON,
	ENC_SENML
};

/* Aggregated statistics a rule reports (bit mask). */
enum stat_bits {
	STAT_LAST = 1 << 0,
	STAT_MIN = 1 << 1,
	STAT_MAX = 1 << 2,
	STAT_MEAN = 1 << 3,
	STAT_COUNT = 1 << 4,
};

/* A key = value line kept for a decoder, with where it came from. */
struct conf_kv {
	struct conf_kv *next;
	char *key;
	char *value;
	int line;
};

struct port_conf {
	struct port_conf *next;
	char *name;
	int line;     /* of the [port NAME] header */
	int type;     /* M2MGW_PORT_CAN / M2MGW_PORT_SERIAL */
	bool create;  /* create the port if it does not exist */
	char *ifname; /* CAN */
	struct can_filter filters[M2MGW_MAX_FILTERS];
	unsigned int nfilters;
	char *tty; /* serial */
	uint32_t baud;
	uint32_t data_bits, parity, stop_bits;
	uint32_t framing, framing_arg, maxlen;
	bool framing_given; /* reuse: apply framing to an existing port */
	char *decoder;
	int decoder_line;
	struct conf_kv *opts;	  /* keys for the decoder */
	struct conf_kv *downlink; /* downlink_* keys (downlink_allow.c) */
};

struct rule_conf {
	struct rule_conf *next;
	char *name;
	int line;
	char *port;	    /* port name or "*" */
	char *signal;	    /* fnmatch(3) pattern */
	double period;	    /* seconds; 0: report every sample */
	unsigned int stats; /* enum stat_bits */
	double deadband;    /* report only if |v - last reported| >= */
	bool on_change;	    /* report only if v != last reported */
	char *output;
	struct output_conf *out; /* resolved */
};

struct output_conf {
	struct output_conf *next;
	char *name;
	int line;
	int type;
	int encoding;
	char *topic; /* template: {port} {signal} {rule} */
	/* mqtt */
	char *host;
	int port;
	int protocol; /* 4 (3.1.1) or 5 */
	char *client_id;
	char *username, *password;
	char *tls_ca, *tls_cert, *tls_key;
	bool tls_insecure;
	int qos;
	bool retain;
	char *status_topic; /* LWT: "offline", on connect "online" */
	int keepalive;
	double backoff_min, backoff_max;
	unsigned int max_inflight;
	double replay_rate; /* historical messages per second, 0: no limit */
	/* http (also: username/password, tls_*, backoff_*, replay_rate) */
	char *url;
	int url_line;
	int method;		 /* enum http_method */
	struct conf_kv *headers; /* "header = Name: value", repeatable */
	char *bearer_token;	 /* given, or read from bearer_token_file */
	char *bearer_token_file; /* for tokens longer than a config line */
	int bearer_token_file_line;
	double timeout; /* whole request */
	double connect_timeout;
	unsigned int batch_max;	   /* messages per request */
	uint64_t batch_bytes;	   /* body size per request */
	unsigned int max_requests; /* concurrent; 1 keeps the order */
	/* downlink (downlink.h): {port} template, and where replies go */
	char *command_topic;
	char *command_result_topic;
};

struct agent_conf {
	char *file;
	int log_level;
	char *metrics_listen; /* "ADDR:PORT" of the HTTP endpoint, or NULL */
	double stall_timeout;
	double drain_timeout;

	int source;
	uint32_t ring_size;
	unsigned int ring_batch;
	/* M2MGW_IOC_WAKEUP: 0 / 0 wakes the agent per caught-up record. */
	uint32_t wakeup_bytes;
	double wakeup_latency; /* seconds */
	char *replay_file;
	double replay_speed; /* 0: as fast as possible, 1: real time */
	bool replay_loop;

	char *spool_dir;
	uint64_t spool_max;
	uint64_t spool_segment;
	int spool_policy;
	unsigned int spool_batch;
	double spool_flush; /* seconds between batch fsyncs */

	struct port_conf *ports;
	struct rule_conf *rules;
	struct output_conf *outputs;
};

/*
 * Parse and validate @path.  Every problem is printed to @err as
 * "file:line: message"; returns the config, or NULL if there was any
 * (caller exits 2).
 */
struct agent_conf *conf_load(const char *path, FILE *err);
void conf_free(struct agent_conf *c);

struct port_conf *conf_port(const struct agent_conf *c, const char *name);
struct output_conf *conf_output(const struct agent_conf *c, const char *name);
struct rule_conf *conf_rule(const struct agent_conf *c, const char *name);
/* Same settings (reload decides with this whether to restart an output). */
bool conf_output_equal(const struct output_conf *a,
		       const struct output_conf *b);

/* Cross-section checks after parsing (config_check.c): error count. */
int conf_check(struct agent_conf *c, const char *file, FILE *err);

/* [output] type = http (config_http.c). */
int conf_add_header(struct conf_kv **list, const char *value, int line);
/* Error count; also refuses http-only keys in an mqtt output. */
int conf_check_output_http(struct output_conf *oc, const char *file, FILE *err);
bool conf_output_http_equal(const struct output_conf *a,
			    const struct output_conf *b);

/* Parsers shared with decoders (config_values.c): 0 or -1. */
int conf_parse_stats(const char *s, unsigned int *out);
/* -1 bad syntax, -E2BIG more than M2MGW_MAX_FILTERS. */
int conf_parse_filters(const char *s, struct can_filter *filters,
		       unsigned int *nfilters);
int conf_parse_bool(const char *s, bool *out);
int conf_parse_duration(const char *s, double *out);
int conf_parse_size(const char *s, uint64_t *out);
int conf_parse_uint(const char *s, uint64_t max, uint64_t *out);

#endif /* M2MGWD_CONFIG_H */
