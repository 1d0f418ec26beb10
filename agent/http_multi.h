/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcurl's multi interface on the agent's libev loop: libcurl tells us
 * which sockets to watch (CURLMOPT_SOCKETFUNCTION -> one ev_io each) and
 * when to call it back (CURLMOPT_TIMERFUNCTION -> one ev_timer); both
 * drive curl_multi_socket_action().  No threads of ours, no
 * curl_multi_perform() polling.
 */
#ifndef M2MGWD_HTTP_MULTI_H
#define M2MGWD_HTTP_MULTI_H

#include <curl/curl.h>
#include <ev.h>

struct http_multi;
struct http_sock;

/*
 * A transfer finished (@rc: CURLE_OK or why not).  The easy handle has
 * already been removed from the multi handle; the callback may add new
 * ones.
 */
typedef void (*http_done_fn)(struct http_multi *hm, CURL *easy, CURLcode rc);

struct http_multi {
	struct ev_loop *loop;
	CURLM *multi;
	ev_timer timer;
	struct http_sock *socks; /* watched sockets */
	http_done_fn done;
	int running;
};

int http_multi_init(struct http_multi *hm, struct ev_loop *loop,
		    http_done_fn done);
void http_multi_cleanup(struct http_multi *hm);
int http_multi_add(struct http_multi *hm, CURL *easy);
/* Abort a transfer: no done callback for it. */
void http_multi_remove(struct http_multi *hm, CURL *easy);

#endif /* M2MGWD_HTTP_MULTI_H */
