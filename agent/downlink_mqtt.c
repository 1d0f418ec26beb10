// SPDX-License-Identifier: GPL-2.0
/*
 * Downlink over MQTT: subscribe to the output's command_topic ({port}
 * as "+", QoS 1), turn each message into downlink_command() and publish
 * its reply, QoS 1:
 *   - MQTT 5 with a response topic in the command: there, with the
 *     command's correlation data;
 *   - else on command_result_topic (default: the command topic without
 *     "/#", plus "/result") for the port.
 * Our own replies can come back through a "#" subscription: MQTT 5
 * subscribes with no-local, and any message on a result topic is
 * skipped, which also covers 3.1.1.
 *
 * Replies are not spooled: one lost with the connection is not resent
 * (the command itself was carried out or refused once).  A Modbus
 * write's reply comes later (struct dl_wait, which knows where it goes);
 * if the output is gone by then, the reply is only logged.
 */
#include <errno.h>
#include <mqtt_protocol.h>
#include <stdlib.h>
#include <string.h>

#include "downlink.h"
#include "downlink_mqtt.h"
#include "log.h"
#include "output.h"

struct dl_msg {
	struct dl_msg *next;
	char *topic;
	void *payload;
	int len;
	char *resp_topic; /* MQTT 5 */
	void *corr;
	uint16_t corr_len;
};

/* Where one reply goes. */
struct dl_route {
	char *topic;
	void *corr; /* MQTT 5 correlation data */
	uint16_t corr_len;
};

/* A reply to publish, or one still to come (Modbus writes). */
struct dl_wait {
	struct dl_wait *next;
	struct dl_mqtt *d; /* NULL: the output is gone */
	struct dl_route to;
	char *text; /* the reply, once there */
};

struct dl_mqtt {
	struct output *o;
	struct dl_msg *head, **tail;
	struct dl_wait *waits; /* replies to come and to publish */
	bool want_sub;
	bool running; /* in dl_mqtt_run(): replies wait for its end */
	uint64_t commands, replies;
};

struct dl_mqtt *dl_mqtt_new(struct output *o)
{
	struct dl_mqtt *d;

	if (!o->oc->command_topic)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->o = o;
	d->tail = &d->head;
	return d;
}

static void msg_free(struct dl_msg *m)
{
	free(m->topic);
	free(m->payload);
	free(m->resp_topic);
	free(m->corr);
	free(m);
}

static void wait_free(struct dl_wait *w)
{
	free(w->to.topic);
	free(w->to.corr);
	free(w->text);
	free(w);
}

static void wait_unlink(struct dl_wait *w)
{
	struct dl_wait **pp = &w->d->waits;

	while (*pp != w)
		pp = &(*pp)->next;
	*pp = w->next;
}

void dl_mqtt_free(struct dl_mqtt *d)
{
	if (!d)
		return;
	while (d->head) {
		struct dl_msg *m = d->head;

		d->head = m->next;
		msg_free(m);
	}
	/* Replies still to come find their output gone; ready ones drop. */
	while (d->waits) {
		struct dl_wait *w = d->waits;

		d->waits = w->next;
		w->d = NULL;
		if (w->text)
			wait_free(w);
	}
	free(d);
}

void dl_mqtt_connected(struct dl_mqtt *d)
{
	if (d)
		d->want_sub = true;
}

void dl_mqtt_message(struct dl_mqtt *d, const struct mosquitto_message *msg,
		     const mosquitto_property *props)
{
	struct dl_msg *m;

	if (!d)
		return;
	m = calloc(1, sizeof(*m));
	if (!m)
		goto oom;
	m->topic = strdup(msg->topic);
	m->payload = malloc(msg->payloadlen ? (size_t)msg->payloadlen : 1);
	if (!m->topic || !m->payload)
		goto oom;
	memcpy(m->payload, msg->payload, (size_t)msg->payloadlen);
	m->len = msg->payloadlen;
	mosquitto_property_read_string(props, MQTT_PROP_RESPONSE_TOPIC,
				       &m->resp_topic, false);
	mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA,
				       &m->corr, &m->corr_len, false);
	*d->tail = m;
	d->tail = &m->next;
	return;
oom:
	log_err("downlink: out of memory; command on %s dropped", msg->topic);
	if (m)
		msg_free(m);
}

static char *result_tmpl(const struct output_conf *oc)
{
	return oc->command_result_topic ?
		       strdup(oc->command_result_topic) :
		       dl_topic_result_default(oc->command_topic);
}

/* The response topic of the command, else the port's result topic. */
static int route(const struct output_conf *oc, const struct dl_msg *m,
		 const char *port, struct dl_route *to)
{
	char *tmpl;

	memset(to, 0, sizeof(*to));
	if (m->resp_topic) {
		to->topic = strdup(m->resp_topic);
		if (m->corr) {
			to->corr = malloc(m->corr_len ? m->corr_len : 1);
			if (!to->corr)
				return -ENOMEM;
			memcpy(to->corr, m->corr, m->corr_len);
			to->corr_len = m->corr_len;
		}
	} else {
		tmpl = result_tmpl(oc);
		to->topic = tmpl ? dl_topic_expand(tmpl, port) : NULL;
		free(tmpl);
	}
	return to->topic ? 0 : -ENOMEM;
}

static int publish(struct dl_mqtt *d, struct mosquitto *mosq,
		   const struct dl_route *to, const char *text)
{
	mosquitto_property *props = NULL;
	int rc;

	if (to->corr)
		mosquitto_property_add_binary(&props,
					      MQTT_PROP_CORRELATION_DATA,
					      to->corr, to->corr_len);
	rc = mosquitto_publish_v5(mosq, NULL, to->topic, (int)strlen(text),
				  text, 1, false, props);
	if (rc != MOSQ_ERR_SUCCESS)
		log_warn("downlink: reply on %s: %s", to->topic,
			 mosquitto_strerror(rc));
	else
		d->replies++;
	mosquitto_property_free_all(&props);
	return rc;
}

/* dl_later: a Modbus write finished; publish from the next run. */
static void reply_later(void *ctx, char *text)
{
	struct dl_wait *w = ctx;

	if (!text) {
		log_err("downlink: out of memory for a reply");
		text = strdup("{\"ok\":false,\"error\":\"out of memory\"}");
	}
	w->text = text;
	if (!w->d || !text) {
		log_warn("downlink: reply for %s dropped: its output is gone",
			 w->to.topic);
		wait_free(w);
		return;
	}
	/* A write that failed at once calls back inside dl_mqtt_run(). */
	if (!w->d->running)
		w->d->o->ops->kick(w->d->o);
}

static int run_one(struct dl_mqtt *d, struct mosquitto *mosq,
		   const struct dl_msg *m)
{
	const struct output_conf *oc = d->o->oc;
	char port[256], *tmpl = result_tmpl(oc), *text;
	struct dl_later later = { reply_later, NULL };
	struct dl_wait *w, **pp;
	bool own;
	int rc;

	own = tmpl && !dl_topic_port(tmpl, m->topic, port, sizeof(port));
	free(tmpl);
	if (own)
		return MOSQ_ERR_SUCCESS; /* a reply, maybe ours */
	if (dl_topic_port(oc->command_topic, m->topic, port, sizeof(port))) {
		log_warn("downlink: topic %s names no port; ignored", m->topic);
		return MOSQ_ERR_SUCCESS;
	}
	d->commands++;
	w = calloc(1, sizeof(*w));
	if (!w || route(oc, m, port, &w->to) || !d->o->ag->dl) {
		if (w)
			wait_free(w);
		log_err("downlink: command on %s dropped (out of memory)",
			m->topic);
		return MOSQ_ERR_SUCCESS;
	}
	w->d = d;
	for (pp = &d->waits; *pp; pp = &(*pp)->next)
		; /* at the end: replies go out in order */
	*pp = w;
	later.ctx = w;
	rc = downlink_command(d->o->ag->dl, port, m->payload, (size_t)m->len,
			      now_mono(), &later, &text);
	if (rc == 1)
		return MOSQ_ERR_SUCCESS; /* the reply comes to reply_later */
	wait_unlink(w);
	rc = rc ? MOSQ_ERR_NOMEM : publish(d, mosq, &w->to, text);
	free(text);
	wait_free(w);
	return rc;
}

/* Publish the replies that came in since the last run. */
static int publish_ready(struct dl_mqtt *d, struct mosquitto *mosq)
{
	struct dl_wait **pp = &d->waits;
	int rc = MOSQ_ERR_SUCCESS;

	while (*pp) {
		struct dl_wait *w = *pp;
		int r;

		if (!w->text) {
			pp = &w->next;
			continue;
		}
		r = publish(d, mosq, &w->to, w->text);
		if (r != MOSQ_ERR_SUCCESS && rc == MOSQ_ERR_SUCCESS)
			rc = r;
		*pp = w->next;
		wait_free(w);
	}
	return rc;
}

int dl_mqtt_run(struct dl_mqtt *d, struct mosquitto *mosq)
{
	int rc = MOSQ_ERR_SUCCESS;

	if (!d)
		return rc;
	d->running = true;
	if (d->want_sub) {
		const struct output_conf *oc = d->o->oc;
		char *sub = dl_topic_sub(oc->command_topic);
		int opts = oc->protocol == 5 ? MQTT_SUB_OPT_NO_LOCAL : 0;

		d->want_sub = false;
		rc = sub ? mosquitto_subscribe_v5(mosq, NULL, sub, 1, opts,
						  NULL) :
			   MOSQ_ERR_NOMEM;
		if (rc == MOSQ_ERR_SUCCESS)
			log_notice("downlink: %s: subscribed to %s", oc->name,
				   sub);
		else
			log_err("downlink: %s: subscribe to %s: %s", oc->name,
				sub ? sub : "?", mosquitto_strerror(rc));
		free(sub);
	}
	/* Every queued command runs, even when a reply cannot go out. */
	while (d->head) {
		struct dl_msg *m = d->head;
		int r = run_one(d, mosq, m);

		if (r != MOSQ_ERR_SUCCESS && rc == MOSQ_ERR_SUCCESS)
			rc = r;
		d->head = m->next;
		msg_free(m);
	}
	d->tail = &d->head;
	if (publish_ready(d, mosq) != MOSQ_ERR_SUCCESS &&
	    rc == MOSQ_ERR_SUCCESS)
		rc = MOSQ_ERR_NO_CONN;
	return rc;
}
