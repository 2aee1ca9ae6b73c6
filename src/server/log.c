/* log.c — structured log lines: one JSON object a line, each beginning
 * {"ts":"2026-12-04T14:08:54.768Z","level":"info|warning|error", ...
 *
 * Lines of one loop turn are gathered and written with one write(2) at the
 * end of the turn (or at 64 KiB), so logging costs a syscall per turn, not
 * per line.  A kill -9 can lose the lines of the turn in progress; the
 * store, not the log, is the durable record of incidents. */
#include "server/srv_int.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

#define LOG_FLUSH_AT 65536

void log_flush(struct srv *s)
{
	if (!s || !s->logbuf)
		return;
	while (evbuffer_get_length(s->logbuf) > 0) {
		int n = evbuffer_write(s->logbuf, s->logfd);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) { /* a full disk must not stop the guard */
			evbuffer_drain(s->logbuf, evbuffer_get_length(s->logbuf));
			return;
		}
	}
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	log_flush(arg);
}

/* libevent's and evdns's own messages join the JSON log.  Their callbacks
 * carry no context: the one service of this process is remembered here. */
static struct srv *libevent_log_srv;

static void on_libevent_log(int severity, const char *msg)
{
	const char *level = severity >= EVENT_LOG_ERR ? "error"
	                    : severity == EVENT_LOG_WARN ? "warning"
	                    : severity == EVENT_LOG_MSG ? "info"
	                                                : "debug";
	log_line_from_any_thread(libevent_log_srv, level, "libevent", msg);
}

static void on_evdns_log(int is_warn, const char *msg)
{
	log_line_from_any_thread(libevent_log_srv, is_warn ? "warning" : "info", "evdns", msg);
}

int log_init(struct srv *s)
{
	libevent_log_srv = s;
	event_set_log_callback(on_libevent_log);
	evdns_set_log_fn(on_evdns_log);
	s->logbuf = evbuffer_new();
	s->log_ev = event_new(s->base, -1, 0, on_flush, s);
	return s->logbuf && s->log_ev ? 0 : -1;
}

void log_cleanup(struct srv *s)
{
	if (libevent_log_srv == s) {
		event_set_log_callback(NULL);
		evdns_set_log_fn(NULL);
		libevent_log_srv = NULL;
	}
	log_flush(s);
	if (s->log_ev)
		event_free(s->log_ev);
	if (s->logbuf)
		evbuffer_free(s->logbuf);
	s->log_ev = NULL;
	s->logbuf = NULL;
}

/* {"ts":"2026-12-04T14:08:54.768Z"  (RFC 3339, UTC, milliseconds) */
static void log_ts(tbuf *b)
{
	struct timespec now;
	struct tm tm;
	char ts[32];
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	tb_fmt(b, "{\"ts\":\"%s.%03ldZ\"", ts, now.tv_nsec / 1000000);
}

void log_line_from_any_thread(struct srv *s, const char *level, const char *event,
                              const char *message)
{
	char mem[2048];
	tbuf b;
	if (!s || s->logfd < 0)
		return;
	tb_init(&b, mem, sizeof mem);
	log_ts(&b);
	tb_str(&b, ",\"level\":");
	tb_json(&b, level, strlen(level), 16);
	tb_str(&b, ",\"event\":");
	tb_json(&b, event, strlen(event), 64);
	tb_str(&b, ",\"message\":");
	tb_json(&b, message, strlen(message), 1500);
	tb_str(&b, "}\n");
	/* one write(2) of a whole line: whole lines, never mixed, on any thread */
	while (write(s->logfd, b.p, b.len) < 0 && errno == EINTR)
		;
}

void log_line(struct srv *s, const char *level, const char *json, size_t len)
{
	char head[96];
	tbuf b;
	if (!s || s->logfd < 0 || len < 2 || json[0] != '{')
		return;
	/* every line: {"ts":"RFC 3339","level":"...", then the caller's fields */
	tb_init(&b, head, sizeof head);
	log_ts(&b);
	tb_fmt(&b, ",\"level\":\"%s\",", level);
	json++;
	len--;
	if (!s->logbuf || !s->log_ev) { /* before the loop exists: write through */
		struct iovec v[2] = {{head, b.len}, {(void *)json, len}};
		while (writev(s->logfd, v, 2) < 0 && errno == EINTR)
			;
		return;
	}
	size_t before = evbuffer_get_length(s->logbuf);
	evbuffer_add(s->logbuf, head, b.len);
	evbuffer_add(s->logbuf, json, len);
	if (before + b.len + len >= LOG_FLUSH_AT)
		log_flush(s);
	else if (before == 0)
		event_active(s->log_ev, 0, 0);
}
