// SPDX-License-Identifier: GPL-2.0
/*
 * libcurl multi <-> libev glue (see http_multi.h).
 *
 * libcurl must not be re-entered from its own callbacks, so the timer
 * callback only arms an ev_timer (a 0 ms timeout fires on the next loop
 * iteration), and finished transfers are collected after
 * curl_multi_socket_action() has returned.
 */
#include <stdlib.h>

#include "agent.h"
#include "http_multi.h"
#include "lazylib.h"
#include "log.h"

struct http_sock {
	ev_io io;
	struct http_sock *next;
	struct http_multi *hm;
	curl_socket_t fd;
};

static void collect(struct http_multi *hm)
{
	CURLMsg *msg;
	int left;

	while ((msg = libcurl.multi_info_read(hm->multi, &left))) {
		CURL *easy = msg->easy_handle;
		CURLcode rc = msg->data.result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		libcurl.multi_remove_handle(hm->multi, easy);
		hm->done(hm, easy, rc);
	}
}

static void action(struct http_multi *hm, curl_socket_t fd, int ev)
{
	CURLMcode rc =
		libcurl.multi_socket_action(hm->multi, fd, ev, &hm->running);

	if (rc != CURLM_OK)
		log_err("http: curl_multi_socket_action: %s",
			libcurl.multi_strerror(rc));
	collect(hm);
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct http_sock *s = container_of(w, struct http_sock, io);

	(void)loop;
	action(s->hm, s->fd,
	       (revents & EV_READ ? CURL_CSELECT_IN : 0) |
		       (revents & EV_WRITE ? CURL_CSELECT_OUT : 0));
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct http_multi *hm = container_of(w, struct http_multi, timer);

	(void)loop;
	(void)revents;
	action(hm, CURL_SOCKET_TIMEOUT, 0);
}

static void sock_free(struct http_multi *hm, struct http_sock *s)
{
	struct http_sock **pp;

	ev_io_stop(hm->loop, &s->io);
	for (pp = &hm->socks; *pp && *pp != s; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = s->next;
	free(s);
}

/* CURLMOPT_SOCKETFUNCTION: watch @fd for @what, or stop watching it. */
static int sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
		   void *socketp)
{
	struct http_multi *hm = userp;
	struct http_sock *s = socketp;
	int ev;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s)
			sock_free(hm, s);
		return 0;
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -1;
		s->hm = hm;
		s->fd = fd;
		s->next = hm->socks;
		hm->socks = s;
		ev_io_init(&s->io, io_cb, fd, 0);
		libcurl.multi_assign(hm->multi, fd, s);
	}
	ev = (what & CURL_POLL_IN ? EV_READ : 0) |
	     (what & CURL_POLL_OUT ? EV_WRITE : 0);
	ev_io_stop(hm->loop, &s->io);
	ev_io_set(&s->io, fd, ev);
	if (ev)
		ev_io_start(hm->loop, &s->io);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: call back in @ms, or never (-1). */
static int timerfn_cb(CURLM *multi, long ms, void *userp)
{
	struct http_multi *hm = userp;

	(void)multi;
	ev_timer_stop(hm->loop, &hm->timer);
	if (ms >= 0) {
		ev_timer_set(&hm->timer, (double)ms / 1000.0, 0);
		ev_timer_start(hm->loop, &hm->timer);
	}
	return 0;
}

int http_multi_init(struct http_multi *hm, struct ev_loop *loop,
		    http_done_fn done)
{
	hm->loop = loop;
	hm->done = done;
	hm->socks = NULL;
	hm->running = 0;
	ev_timer_init(&hm->timer, timer_cb, 0, 0);
	hm->multi = libcurl.multi_init();
	if (!hm->multi)
		return -1;
	libcurl.multi_setopt(hm->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	libcurl.multi_setopt(hm->multi, CURLMOPT_SOCKETDATA, hm);
	libcurl.multi_setopt(hm->multi, CURLMOPT_TIMERFUNCTION, timerfn_cb);
	libcurl.multi_setopt(hm->multi, CURLMOPT_TIMERDATA, hm);
	return 0;
}

void http_multi_cleanup(struct http_multi *hm)
{
	if (!hm->multi)
		return;
	/* May still call sock_cb(REMOVE) for cached connections. */
	libcurl.multi_cleanup(hm->multi);
	hm->multi = NULL;
	while (hm->socks)
		sock_free(hm, hm->socks);
	ev_timer_stop(hm->loop, &hm->timer);
}

int http_multi_add(struct http_multi *hm, CURL *easy)
{
	CURLMcode rc = libcurl.multi_add_handle(hm->multi, easy);

	if (rc != CURLM_OK) {
		log_err("http: curl_multi_add_handle: %s",
			libcurl.multi_strerror(rc));
		return -1;
	}
	return 0;
}

void http_multi_remove(struct http_multi *hm, CURL *easy)
{
	libcurl.multi_remove_handle(hm->multi, easy);
}
