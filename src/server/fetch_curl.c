/* fetch_curl.c — https hops on libcurl's multi-socket API, on the
 * service's libevent loop (curl's hiperfifo pattern): each upstream
 * socket's event and libcurl's timer, the per-transfer callbacks with the
 * guard's socket-level hooks (every address judged at its connect and
 * before every request on it), the loop's pool of easy handles, and each
 * hop's pins.  fetch.c starts the hop (fetch_curl_start) and takes the
 * finished transfer (fetch_check_multi).  See srv_int.h. */
#include "server/srv_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the multi handle on the event loop ---- */

static void on_sock_event(evutil_socket_t fd, short kind, void *arg);

/*
 * Each upstream socket keeps one event from its first use until libcurl
 * closes it (on_closesocket), indexed by fd.  libcurl's REMOVE — the
 * transfer ended and the connection went idle into its cache — only marks
 * the event parked and leaves it on EV_READ, which is what the transfer
 * waited for last and what the next one on that connection waits for
 * first: a reused connection costs no epoll_ctl at all, where freeing and
 * re-creating the event cost two per request.  A parked socket that turns
 * readable (the upstream closed an idle connection) leaves epoll once;
 * libcurl finds the connection dead when it next checks it and closes it.
 * Only sockets made by on_opensocket are parked: libcurl closes those
 * through on_closesocket, so a parked event never outlives its socket.
 * Any other socket libcurl watches (a resolver's socketpair) loses its
 * event at REMOVE, as libcurl may close it behind our back.
 */
struct sockev {
	struct event *ev;
	unsigned char parked, ours;
};

static struct sockev *sockev_get(struct srv *s, curl_socket_t fd)
{
	if (fd < 0)
		return NULL;
	if ((size_t)fd >= s->sockev_cap) {
		size_t cap = s->sockev_cap ? s->sockev_cap : 64;
		while (cap <= (size_t)fd)
			cap *= 2;
		struct sockev *n = realloc(s->sockev, cap * sizeof *n);
		if (!n)
			return NULL;
		memset(n + s->sockev_cap, 0, (cap - s->sockev_cap) * sizeof *n);
		s->sockev = n;
		s->sockev_cap = cap;
	}
	struct sockev *se = &s->sockev[fd];
	if (!se->ev && !(se->ev = event_new(s->base, fd, EV_READ | EV_PERSIST, on_sock_event, s)))
		return NULL;
	return se;
}

static void sockev_drop(struct srv *s, curl_socket_t fd)
{
	if (fd >= 0 && (size_t)fd < s->sockev_cap) {
		if (s->sockev[fd].ev)
			event_free(s->sockev[fd].ev);
		memset(&s->sockev[fd], 0, sizeof s->sockev[fd]);
	}
}

static void on_sock_event(evutil_socket_t fd, short kind, void *arg)
{
	struct srv *s = arg;
	if ((size_t)fd < s->sockev_cap && s->sockev[fd].parked) {
		event_del(s->sockev[fd].ev);
		return;
	}
	int running = 0;
	int action = ((kind & EV_READ) ? CURL_CSELECT_IN : 0) |
	             ((kind & EV_WRITE) ? CURL_CSELECT_OUT : 0);
	curl_multi_socket_action(s->multi, fd, action, &running);
	fetch_check_multi(s);
}

static int on_sock(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct srv *s = userp;
	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE && !((size_t)fd < s->sockev_cap && s->sockev[fd].ours)) {
		sockev_drop(s, fd);
		return 0;
	}
	struct sockev *se = sockev_get(s, fd);
	if (!se)
		return what == CURL_POLL_REMOVE ? 0 : -1;
	se->parked = what == CURL_POLL_REMOVE;
	short kind = se->parked ? EV_READ | EV_PERSIST
	                        : (short)(((what & CURL_POLL_IN) ? EV_READ : 0) |
	                                  ((what & CURL_POLL_OUT) ? EV_WRITE : 0) | EV_PERSIST);
	if (event_pending(se->ev, EV_READ | EV_WRITE, NULL) && event_get_events(se->ev) == kind)
		return 0;
	event_del(se->ev);
	event_assign(se->ev, s->base, fd, kind, on_sock_event, s);
	event_add(se->ev, NULL);
	return 0;
}

/* libcurl closes an upstream socket: its event goes first. */
static int on_closesocket(void *userp, curl_socket_t fd)
{
	sockev_drop(userp, fd);
	return close(fd);
}

static void on_curl_timer(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	int running = 0;
	(void)fd;
	(void)what;
	curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	fetch_check_multi(s);
}

static int on_timer(CURLM *multi, long ms, void *userp)
{
	struct srv *s = userp;
	(void)multi;
	if (ms < 0) {
		evtimer_del(s->curl_timer);
	} else {
		struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
		evtimer_add(s->curl_timer, &tv);
	}
	return 0;
}

sg_err fetch_curl_init(struct srv *s)
{
	s->multi = curl_multi_init();
	s->curl_timer = evtimer_new(s->base, on_curl_timer, s);
	if (!s->multi || !s->curl_timer)
		return SG_ERR_NOMEM;
	curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, on_sock);
	curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
	curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
	if (!(s->out_headers = curl_slist_append(NULL, s->via)))
		return SG_ERR_NOMEM;
	return SG_OK;
}

void fetch_curl_cleanup(struct srv *s)
{
	if (s->multi) {
		curl_multi_cleanup(s->multi); /* closes the cached connections */
		s->multi = NULL;
	}
	while (s->easy_pooled) /* none joins the pool without the multi */
		curl_easy_cleanup(s->easy_pool[--s->easy_pooled]);
	for (size_t fd = 0; fd < s->sockev_cap; fd++)
		sockev_drop(s, (curl_socket_t)fd);
	free(s->sockev);
	s->sockev = NULL;
	s->sockev_cap = 0;
	if (s->curl_timer) {
		event_free(s->curl_timer);
		s->curl_timer = NULL;
	}
	curl_slist_free_all(s->out_headers); /* after every easy handle */
	s->out_headers = NULL;
}

/* ---- per-transfer callbacks ---- */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	size_t len = size * n;
	return fetch_body_add(ud, p, len) == 0 ? len : 0;
}

/* A status line (px_status_code) of an interim 1xx other than 100 Continue
 * (101 Switching Protocols above all: the raw stream after it is no HTTP
 * answer) is never passed on: the fetch ends with 502. */
static int bad_interim(const char *p, size_t len)
{
	int st = px_status_code(p, len);
	return st > 100 && st < 200;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	job *j = ud;
	size_t len = size * n;
	j->hdr_bytes += len;
	if (j->hdr_bytes > (size_t)srv_job_lim(j)->max_header_bytes) {
		j->hdr_too_big = 1;
		return 0;
	}
	if (bad_interim(p, len)) {
		j->bad_interim = 1;
		return 0;
	}
	return len;
}

/* The enforcing check: every address libcurl is about to connect to. */
static curl_socket_t on_opensocket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
	job *j = ud;
	sg_verdict v;
	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKET_BAD;
	if (j->blocked) /* one denied address dooms the whole hop */
		return CURL_SOCKET_BAD;
	fetch_judge(j, &a->addr, a->addrlen, &v);
	if (v.action != SG_ALLOW)
		return CURL_SOCKET_BAD;
	/* A name's hop dials only what was resolved and judged before the
	 * transfer (the pin); anything else means curl resolved on its own. */
	if (j->pinned && !pin_set_has(&j->d.judged, &a->addr, a->addrlen))
		return CURL_SOCKET_BAD;
	curl_socket_t fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	struct sockev *se;
	sockev_drop(j->s, fd); /* nothing stale may answer for a new socket */
	if (fd >= 0 && (se = sockev_get(j->s, fd)))
		se->ours = 1;
	return fd;
}

/* Before every request, on a new or a reused connection: judge again. */
static int on_prereq(void *ud, char *primary_ip, char *local_ip, int primary_port,
                     int local_port)
{
	job *j = ud;
	struct sockaddr_storage ss;
	socklen_t len;
	sg_verdict v;
	(void)local_ip;
	(void)local_port;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *in4 = (struct sockaddr_in *)(void *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)&ss;
	if (inet_pton(AF_INET, primary_ip, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)primary_port);
		len = sizeof *in4;
	} else if (inet_pton(AF_INET6, primary_ip, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)primary_port);
		len = sizeof *in6;
	} else {
		j->blocked = 1;
		sg_check_addr(j->rules->policy, NULL, 0, NULL, &j->bv);
		return CURL_PREREQFUNC_ABORT;
	}
	fetch_judge(j, (struct sockaddr *)&ss, len, &v);
	/* A kept connection serves only a hop whose judged set holds its peer
	 * (pin_hop's connect-to name makes curl choose so; this makes sure). */
	if (!j->blocked && j->pinned && !pin_set_has(&j->d.judged, (struct sockaddr *)&ss, len))
		return CURL_PREREQFUNC_ABORT;
	return j->blocked ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
}

/* ---- easy handles, reused ----
 *
 * Making a libcurl easy handle and setting its two dozen options cost
 * about a tenth of an allowed request, so a finished job's handle goes back
 * to its loop's pool with the options every fetch shares still set, and the
 * next job binds its own in easy_bind: its pointers, and in fetch_curl_start its
 * URL, pins and times.  Nothing of a job may reach the next one through a
 * pooled handle: every option that points at a job or varies per job is
 * set again by every job, the pin list is detached before it is freed, and
 * what libcurl itself keeps between transfers of one handle (credentials
 * from a URL's userinfo) is reset by libcurl from each new URL — the test
 * serve-reuse checks that neither a pin, credentials nor headers of one
 * request are seen by the next. */

static CURL *easy_new(struct srv *s)
{
	const srvcfg *c = s->cfg;
	CURL *e = curl_easy_init();
	if (!e)
		return NULL;
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L); /* we follow, judging each hop */
	curl_easy_setopt(e, CURLOPT_PROXY, "");          /* ignore *_proxy variables */
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file[0])
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	/* libcurl resolves nothing itself: names come pinned (transfer()).
	 * This only bounds how long a pin stays in curl's cache afterwards. */
	curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, (long)SRV_CURL_PIN_S);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "ssrfguard/0.1");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->out_headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_opensocket);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, on_closesocket);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, s);
	curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
	return e;
}

/* Point the handle's callbacks at job j (NULL: at no job). */
static void easy_bind(CURL *e, job *j)
{
	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, j);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, j);
	curl_easy_setopt(e, CURLOPT_PREREQDATA, j);
}

static CURL *easy_take(job *j)
{
	struct srv *s = j->s;
	CURL *e = s->easy_pooled ? s->easy_pool[--s->easy_pooled] : easy_new(s);
	if (e)
		easy_bind(e, j);
	return e;
}

void fetch_easy_release(job *j)
{
	struct srv *s = j->s;
	CURL *e = j->easy;
	j->easy = NULL;
	if (!e)
		return;
	easy_bind(e, NULL);
	curl_easy_setopt(e, CURLOPT_RESOLVE, NULL); /* j->pins is freed next */
	curl_easy_setopt(e, CURLOPT_CONNECT_TO, NULL); /* and j->connect_to */
	if (s->multi && s->easy_pooled < SRV_EASY_POOL)
		s->easy_pool[s->easy_pooled++] = e;
	else
		curl_easy_cleanup(e);
}

/* The hop's pins (the judged set under its connect-to name, pin.h) and
 * its CURLOPT_CONNECT_TO; the previous hop's pin, if any, is removed from
 * curl's DNS cache ("-name:port") so it cannot answer for a later
 * transfer.  A literal address's hop has neither: curl dials the literal.
 * -1 (nothing changed) if a list cannot be made. */
static int pin_hop(job *j)
{
	char line[SG_HOST_MAX + 16 + PIN_ADDRS * 48], token[PIN_TOKEN_SIZE] = "";
	struct curl_slist *pins = NULL, *to = NULL, *t;
	if (j->pinned && pin_token(token, sizeof token, &j->d.judged) != 0)
		return -1;
	int same = j->pinned && j->pin_port == j->hopv.port && !strcmp(j->pin_host, token);
	if (j->pin_host[0] && !same) {
		if (pin_unline(line, sizeof line, j->pin_host, j->pin_port) < 0 ||
		    !(t = curl_slist_append(pins, line)))
			goto fail;
		pins = t;
	}
	if (j->pinned) {
		if (pin_line(line, sizeof line, token, j->hopv.port, &j->d.judged) < 0 ||
		    !(t = curl_slist_append(pins, line)))
			goto fail;
		pins = t;
		snprintf(line, sizeof line, "::%s:", token); /* any host and port: to the set */
		if (!(to = curl_slist_append(NULL, line)))
			goto fail;
	}
	memcpy(j->pin_host, token, sizeof token);
	j->pin_port = j->hopv.port;
	/* curl keeps pointers to the lists: the old ones go only now. */
	curl_easy_setopt(j->easy, CURLOPT_RESOLVE, pins);
	curl_easy_setopt(j->easy, CURLOPT_CONNECT_TO, to);
	curl_slist_free_all(j->pins);
	curl_slist_free_all(j->connect_to);
	j->pins = pins;
	j->connect_to = to;
	return 0;
fail:
	curl_slist_free_all(pins);
	return -1;
}

/* Hand an https hop to libcurl, pinned to its judged set (pin_hop), with
 * left_ms of its total time: 0, or -1 with the hop's failure in *code and
 * *msg. */
int fetch_curl_start(job *j, int64_t left_ms, int *code, const char **msg)
{
	const srvcfg_limits *c = srv_job_lim(j);
	*code = 503;
	*msg = "cannot start a fetch";
	if (!j->easy && !(j->easy = easy_take(j)))
		return -1;
	if (pin_hop(j) != 0) {
		*code = 502;
		*msg = "cannot pin the upstream's addresses";
		return -1;
	}
	int64_t conn = c->connect_timeout_ms - j->d.dns_ms;
	curl_easy_setopt(j->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)(conn > 0 ? conn : 1));
	curl_easy_setopt(j->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_body);
	curl_easy_setopt(j->easy, CURLOPT_URL, j->url);
	curl_easy_setopt(j->easy, CURLOPT_TIMEOUT_MS, (long)left_ms);
	return curl_multi_add_handle(j->s->multi, j->easy) == CURLM_OK ? 0 : -1;
}
