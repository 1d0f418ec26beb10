// SPDX-License-Identifier: GPL-2.0
/*
 * MQTT transport on libmosquitto, driven by the agent's libev loop: the
 * socket from mosquitto_socket() gets a read watcher and, while
 * mosquitto_want_write() says so, a write watcher; a 1 s timer runs
 * mosquitto_loop_misc() (keepalive).  No mosquitto_loop_start() thread.
 *
 * One mosquitto instance per connection attempt: after a disconnect the
 * instance is destroyed and everything that was in flight goes back to
 * the spool's historical queue, so the spool is the only place messages
 * wait and libmosquitto never resends behind our back.  Reconnects back
 * off exponentially from backoff_min to backoff_max, with jitter (each
 * delay is drawn from [d/2, d]) so a fleet does not reconnect in step.
 *
 * Callbacks from libmosquitto run inside loop_read/loop_write; they only
 * record what happened, and the consequences (publish more, tear down)
 * run after the loop call returns, never re-entering the library.
 */
#include <errno.h>
#include <math.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "downlink_mqtt.h"
#include "encode.h"
#include "log.h"
#include "output.h"

enum mq_state {
	MQ_DISCONNECTED,
	MQ_CONNECTING,
	MQ_CONNECTED,
	MQ_CLOSING
};

static const char *const mq_state_names[] = {
	[MQ_DISCONNECTED] = "disconnected",
	[MQ_CONNECTING] = "connecting",
	[MQ_CONNECTED] = "connected",
	[MQ_CLOSING] = "closing",
};

struct inflight {
	int mid; /* 0: free slot */
	struct spool_rec *rec;
};

struct mqtt {
	struct output *o;
	struct mosquitto *mosq;
	enum mq_state state;
	ev_io rd, wr;
	ev_timer misc;	/* loop_misc, connect timeout */
	ev_timer retry; /* reconnect backoff */
	ev_timer pace;	/* historical rate limit */
	double connect_started;
	unsigned int attempts;
	bool lost; /* set by callbacks */
	bool kick; /* set by callbacks: publish more */
	/*
	 * Inside mosquitto_publish(): a QoS 0 message written out at once
	 * gets its on_publish() before the call returns its mid.
	 */
	bool publishing, written;
	struct inflight *fl;
	unsigned int nfl, cap;
	double tokens, refilled;
	int status_mid;
	struct dl_mqtt *dl; /* command_topic: downlink */
};

static int lib_refs;

static struct mqtt *mq(struct output *o)
{
	return o->priv;
}

static struct inflight *fl_find(struct mqtt *m, int mid)
{
	for (unsigned int i = 0; i < m->cap; i++)
		if (m->fl[i].mid == mid)
			return &m->fl[i];
	return NULL;
}

static void update_write(struct mqtt *m)
{
	struct ev_loop *loop = m->o->ag->loop;

	if (m->mosq && mosquitto_want_write(m->mosq)) {
		if (!ev_is_active(&m->wr))
			ev_io_start(loop, &m->wr);
	} else if (ev_is_active(&m->wr)) {
		ev_io_stop(loop, &m->wr);
	}
}

/* Everything in flight goes back to the spool, in order, historical. */
static void requeue_inflight(struct mqtt *m)
{
	for (unsigned int i = 0; i < m->cap; i++) {
		if (!m->fl[i].mid)
			continue;
		spool_requeue(m->o->sp, m->fl[i].rec);
		m->fl[i].mid = 0;
	}
	m->nfl = 0;
}

static void schedule_retry(struct mqtt *m)
{
	const struct output_conf *oc = m->o->oc;
	double d = oc->backoff_min * pow(2, m->attempts);

	if (d > oc->backoff_max)
		d = oc->backoff_max;
	d *= 0.5 + 0.5 * drand48();
	m->attempts++;
	log_info("mqtt %s: reconnecting in %.1f s", oc->name, d);
	ev_timer_set(&m->retry, d, 0);
	ev_timer_start(m->o->ag->loop, &m->retry);
}

static void teardown(struct mqtt *m, bool retry)
{
	struct ev_loop *loop = m->o->ag->loop;

	ev_io_stop(loop, &m->rd);
	ev_io_stop(loop, &m->wr);
	ev_timer_stop(loop, &m->pace);
	requeue_inflight(m);
	if (m->mosq) {
		mosquitto_destroy(m->mosq);
		m->mosq = NULL;
	}
	m->state = MQ_DISCONNECTED;
	m->lost = false;
	if (retry && !m->o->ag->draining)
		schedule_retry(m);
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
		       const mosquitto_property *props)
{
	struct mqtt *m = obj;
	struct output *o = m->o;
	const struct output_conf *oc = o->oc;

	(void)mosq;
	(void)flags;
	(void)props;
	if (rc) {
		const char *why = oc->protocol == 5 ?
					  mosquitto_reason_string(rc) :
					  mosquitto_connack_string(rc);

		o->connect_failures++;
		if ((oc->protocol == 5 &&
		     (rc == MQTT_RC_BAD_USERNAME_OR_PASSWORD ||
		      rc == MQTT_RC_NOT_AUTHORIZED)) ||
		    (oc->protocol != 5 && (rc == 4 || rc == 5)))
			o->auth_failures++;
		log_err("mqtt %s: broker %s:%d refused the connection: %s (code %d)%s",
			oc->name, oc->host, oc->port, why, rc,
			oc->username ? "; check username/password" : "");
		m->lost = true;
		return;
	}
	o->connects++;
	m->state = MQ_CONNECTED;
	m->attempts = 0;
	log_notice("mqtt %s: connected to %s:%d (MQTT %s)", oc->name, oc->host,
		   oc->port, oc->protocol == 5 ? "5" : "3.1.1");
	if (oc->status_topic)
		mosquitto_publish(m->mosq, &m->status_mid, oc->status_topic, 6,
				  "online", 1, true);
	dl_mqtt_connected(m->dl);
	m->kick = true;
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc,
			  const mosquitto_property *props)
{
	struct mqtt *m = obj;

	(void)mosq;
	(void)props;
	if (m->state != MQ_CLOSING)
		log_warn("mqtt %s: connection lost: %s", m->o->oc->name,
			 rc ? mosquitto_strerror(rc) : "closed");
	m->lost = true;
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid, int rc,
		       const mosquitto_property *props)
{
	struct mqtt *m = obj;
	struct inflight *f = fl_find(m, mid);

	(void)mosq;
	(void)props;
	if (mid == m->status_mid)
		return;
	if (!f) {
		/* Ours, written out before mosquitto_publish() returned. */
		if (m->publishing)
			m->written = true;
		return;
	}
	if (rc >= 0x80) {
		/* MQTT 5 PUBACK with a failure reason: not delivered. */
		log_warn("mqtt %s: broker refused message: %s", m->o->oc->name,
			 mosquitto_reason_string(rc));
		spool_requeue(m->o->sp, f->rec);
	} else {
		m->o->acked++;
		spool_ack(m->o->sp, f->rec);
	}
	f->mid = 0;
	m->nfl--;
	m->kick = true;
}

static void on_message(struct mosquitto *mosq, void *obj,
		       const struct mosquitto_message *msg,
		       const mosquitto_property *props)
{
	struct mqtt *m = obj;

	(void)mosq;
	dl_mqtt_message(m->dl, msg, props);
}

static void pump(struct mqtt *m);

/* After any call into libmosquitto: act on what the callbacks recorded. */
static void settle(struct mqtt *m, int rc)
{
	if (rc != MOSQ_ERR_SUCCESS && !m->lost) {
		if (m->state != MQ_CLOSING)
			log_warn("mqtt %s: %s", m->o->oc->name,
				 rc == MOSQ_ERR_ERRNO ? strerror(errno) :
							mosquitto_strerror(rc));
		m->lost = true;
	}
	if (m->mosq && dl_mqtt_run(m->dl, m->mosq) != MOSQ_ERR_SUCCESS)
		m->lost = true;
	if (m->lost) {
		teardown(m, m->state != MQ_CLOSING);
		return;
	}
	if (m->kick) {
		m->kick = false;
		pump(m);
	}
	update_write(m);
}

static void rd_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mqtt *m = container_of(w, struct mqtt, rd);

	(void)loop;
	(void)revents;
	settle(m, mosquitto_loop_read(m->mosq, 1));
}

static void wr_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mqtt *m = container_of(w, struct mqtt, wr);

	(void)loop;
	(void)revents;
	settle(m, mosquitto_loop_write(m->mosq, 1));
}

static void misc_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mqtt *m = container_of(w, struct mqtt, misc);

	(void)loop;
	(void)revents;
	if (!m->mosq)
		return;
	if (m->state == MQ_CONNECTING &&
	    now_mono() - m->connect_started > m->o->oc->keepalive) {
		log_warn("mqtt %s: no CONNACK from %s:%d in %d s",
			 m->o->oc->name, m->o->oc->host, m->o->oc->port,
			 m->o->oc->keepalive);
		m->lost = true;
		settle(m, MOSQ_ERR_SUCCESS);
		return;
	}
	settle(m, mosquitto_loop_misc(m->mosq));
}

static void pace_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mqtt *m = container_of(w, struct mqtt, pace);

	(void)loop;
	(void)revents;
	pump(m);
	settle(m, MOSQ_ERR_SUCCESS);
}

static int mq_connect(struct mqtt *m)
{
	const struct output_conf *oc = m->o->oc;
	struct ev_loop *loop = m->o->ag->loop;
	int rc, fd;

	m->mosq = mosquitto_new(oc->client_id, true, m);
	if (!m->mosq)
		return -ENOMEM;
	mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION,
			     oc->protocol == 5 ? MQTT_PROTOCOL_V5 :
						 MQTT_PROTOCOL_V311);
	mosquitto_connect_v5_callback_set(m->mosq, on_connect);
	mosquitto_disconnect_v5_callback_set(m->mosq, on_disconnect);
	mosquitto_publish_v5_callback_set(m->mosq, on_publish);
	mosquitto_message_v5_callback_set(m->mosq, on_message);
	if (oc->username &&
	    mosquitto_username_pw_set(m->mosq, oc->username, oc->password))
		return -EINVAL;
	if (oc->status_topic && mosquitto_will_set(m->mosq, oc->status_topic, 7,
						   "offline", 1, true))
		return -EINVAL;
	if (oc->tls_ca || oc->tls_cert) {
		rc = mosquitto_tls_set(m->mosq, oc->tls_ca, NULL, oc->tls_cert,
				       oc->tls_key, NULL);
		if (rc) {
			log_err("mqtt %s: TLS setup: %s", oc->name,
				mosquitto_strerror(rc));
			return -EINVAL;
		}
		mosquitto_tls_insecure_set(m->mosq, oc->tls_insecure);
	}
	m->state = MQ_CONNECTING;
	m->connect_started = now_mono();
	rc = mosquitto_connect_async(m->mosq, oc->host, oc->port,
				     oc->keepalive);
	if (rc != MOSQ_ERR_SUCCESS) {
		log_warn("mqtt %s: connect to %s:%d: %s", oc->name, oc->host,
			 oc->port,
			 rc == MOSQ_ERR_ERRNO ? strerror(errno) :
						mosquitto_strerror(rc));
		m->o->connect_failures++;
		return -ECONNREFUSED;
	}
	fd = mosquitto_socket(m->mosq);
	ev_io_set(&m->rd, fd, EV_READ);
	ev_io_set(&m->wr, fd, EV_WRITE);
	ev_io_start(loop, &m->rd);
	update_write(m);
	return 0;
}

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mqtt *m = container_of(w, struct mqtt, retry);

	(void)loop;
	(void)revents;
	if (m->o->ag->draining)
		return;
	if (mq_connect(m))
		teardown(m, true);
}

/* Historical token bucket: burst of up to one second's worth. */
static bool take_token(struct mqtt *m)
{
	double rate = m->o->oc->replay_rate, now = now_mono();
	double burst = rate < 1 ? 1 : rate;

	if (rate <= 0)
		return true;
	m->tokens += (now - m->refilled) * rate;
	m->refilled = now;
	if (m->tokens > burst)
		m->tokens = burst;
	if (m->tokens >= 1) {
		m->tokens -= 1;
		return true;
	}
	if (!ev_is_active(&m->pace)) {
		ev_timer_set(&m->pace, (1 - m->tokens) / rate, 0);
		ev_timer_start(m->o->ag->loop, &m->pace);
	}
	return false;
}

static void pump(struct mqtt *m)
{
	struct output *o = m->o;
	const struct output_conf *oc = o->oc;

	while (m->state == MQ_CONNECTED && m->nfl < oc->max_inflight) {
		struct spool_rec *r = spool_peek(o->sp, false);
		const char *topic, *payload;
		char *marked = NULL;
		struct inflight *f;
		bool hist = false;
		size_t len;
		void *buf;
		int mid, rc;

		if (!r) {
			r = spool_peek(o->sp, true);
			if (!r || o->ag->draining || !take_token(m))
				return;
			hist = true;
		}
		rc = spool_read(o->sp, r, &buf, &topic, &payload, &len);
		if (rc == -EBADMSG) {
			o->ag->drops[DROP_SPOOL_CORRUPT]++;
			continue;
		}
		if (rc) {
			log_err("mqtt %s: spool read: %s", oc->name,
				strerror(-rc));
			return;
		}
		if (hist) {
			marked = encode_mark_historical(payload, len);
			if (marked) {
				payload = marked;
				len = strlen(marked);
			}
		}
		m->publishing = true;
		m->written = false;
		rc = mosquitto_publish(m->mosq, &mid, topic, (int)len, payload,
				       oc->qos, oc->retain);
		m->publishing = false;
		free(marked);
		free(buf);
		if (rc != MOSQ_ERR_SUCCESS) {
			log_warn("mqtt %s: publish: %s", oc->name,
				 mosquitto_strerror(rc));
			m->lost = true;
			return;
		}
		spool_take(o->sp, r);
		o->published++;
		if (hist)
			o->hist_published++;
		if (m->written) {
			o->acked++;
			spool_ack(o->sp, r);
			continue;
		}
		f = fl_find(m, 0);
		f->mid = mid;
		f->rec = r;
		m->nfl++;
	}
}

static int mqtt_start(struct output *o)
{
	struct mqtt *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	if (!lib_refs++)
		mosquitto_lib_init();
	m->o = o;
	o->priv = m;
	m->cap = o->oc->max_inflight;
	m->fl = calloc(m->cap, sizeof(*m->fl));
	m->refilled = now_mono();
	m->dl = dl_mqtt_new(o);
	ev_io_init(&m->rd, rd_cb, -1, EV_READ);
	ev_io_init(&m->wr, wr_cb, -1, EV_WRITE);
	ev_timer_init(&m->misc, misc_cb, 1, 1);
	ev_timer_init(&m->retry, retry_cb, 0, 0);
	ev_timer_init(&m->pace, pace_cb, 0, 0);
	ev_timer_start(o->ag->loop, &m->misc);
	if (mq_connect(m))
		teardown(m, true);
	return 0;
}

static void mqtt_kick(struct output *o)
{
	struct mqtt *m = mq(o);

	if (m->state != MQ_CONNECTED)
		return;
	pump(m);
	settle(m, MOSQ_ERR_SUCCESS);
}

static bool mqtt_connected(struct output *o)
{
	return mq(o)->state == MQ_CONNECTED;
}

static unsigned int mqtt_inflight(struct output *o)
{
	return mq(o)->nfl;
}

static void mqtt_recover(struct output *o)
{
	struct mqtt *m = mq(o);

	log_warn("mqtt %s: no PUBACK progress; reconnecting", o->oc->name);
	teardown(m, true);
}

static void mqtt_shutdown(struct output *o)
{
	struct mqtt *m = mq(o);

	ev_timer_stop(o->ag->loop, &m->retry);
	if (m->state != MQ_CONNECTED) {
		teardown(m, false);
		return;
	}
	m->state = MQ_CLOSING;
	if (o->oc->status_topic)
		mosquitto_publish(m->mosq, NULL, o->oc->status_topic, 7,
				  "offline", 1, true);
	mosquitto_disconnect(m->mosq);
	/* Flush the status and DISCONNECT out before closing. */
	for (int i = 0; i < 10 && mosquitto_want_write(m->mosq); i++)
		if (mosquitto_loop_write(m->mosq, 1) != MOSQ_ERR_SUCCESS)
			break;
	teardown(m, false);
}

static const char *mqtt_state(struct output *o)
{
	return mq_state_names[mq(o)->state];
}

static void mqtt_destroy(struct output *o)
{
	struct mqtt *m = mq(o);

	teardown(m, false);
	ev_timer_stop(o->ag->loop, &m->misc);
	ev_timer_stop(o->ag->loop, &m->retry);
	free(m->fl);
	dl_mqtt_free(m->dl);
	free(m);
	if (!--lib_refs)
		mosquitto_lib_cleanup();
}

const struct output_ops output_mqtt_ops = {
	.type = "mqtt",
	.start = mqtt_start,
	.kick = mqtt_kick,
	.connected = mqtt_connected,
	.inflight = mqtt_inflight,
	.recover = mqtt_recover,
	.shutdown = mqtt_shutdown,
	.state = mqtt_state,
	.destroy = mqtt_destroy,
};
