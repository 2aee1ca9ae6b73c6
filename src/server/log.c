/* log.c — structured log lines: one JSON object a line, each beginning
 * {"ts":"2026-12-04T14:08:54.768Z","level":"info|warning|error", ...
 * (logging.h's format; this file adds the service's buffering and rotation).
 *
 * Lines are gathered per loop and written with one write(2), at the end
 * of the loop turn that made the first of them when the loop's last write
 * is LOG_FLUSH_MS old, else LOG_FLUSH_MS after that write (or at 64 KiB):
 * a line reaches the file within LOG_FLUSH_MS, at once when lines are
 * few, and a busy loop writes a hundred times a second, not once a turn
 * (a turn under load holds about ten requests; each write to the file
 * cost ~0.9 us a request, docs/benchmarks.md).  A kill -9 can lose the
 * lines of the last LOG_FLUSH_MS; the store, not the log, is the durable
 * record of incidents.
 *
 * Every loop of the service writes to one shared log (its descriptor and
 * size under a mutex, taken once per flush).  A log file (not stderr) past
 * log_max_bytes is renamed to PATH.1 (the previous PATH.1 goes) and a new
 * PATH opened: an attacker filling the log fills at most twice
 * log_max_bytes of disk. */
#include "server/srv_int.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "logging/logging.h"

#define LOG_FLUSH_AT 65536
#define LOG_FLUSH_MS 10

struct srv_log {
	pthread_mutex_t mu;
	const srvcfg *cfg;
	int fd;
	int64_t bytes;        /* in the file now */
};

static int open_file(struct srv_log *l)
{
	if (!strcmp(l->cfg->log, "-"))
		return dup(STDERR_FILENO);
	int fd = open(l->cfg->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	struct stat st;
	l->bytes = fd >= 0 && fstat(fd, &st) == 0 ? (int64_t)st.st_size : 0;
	return fd;
}

struct srv_log *log_open(const srvcfg *cfg)
{
	struct srv_log *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->cfg = cfg;
	pthread_mutex_init(&l->mu, NULL);
	if ((l->fd = open_file(l)) < 0) {
		int err = errno;
		pthread_mutex_destroy(&l->mu);
		free(l);
		errno = err;
		return NULL;
	}
	return l;
}

void log_close(struct srv_log *l)
{
	if (!l)
		return;
	close(l->fd);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

/* Under l->mu. */
static void rotate(struct srv_log *l)
{
	char old[PATH_MAX];
	if (snprintf(old, sizeof old, "%s.1", l->cfg->log) >= (int)sizeof old ||
	    rename(l->cfg->log, old) != 0) {
		l->bytes = 0; /* cannot rotate: try again after another cap's worth */
		return;
	}
	int fd = open_file(l);
	if (fd < 0)
		return; /* keep writing to the renamed file */
	close(l->fd);
	l->fd = fd;
	static const char line[] = "{\"event\":\"log_rotated\"}\n";
	if (write(l->fd, line, sizeof line - 1) > 0)
		l->bytes += (int64_t)sizeof line - 1;
}

/* Under l->mu. */
static void account(struct srv_log *l, int64_t n)
{
	l->bytes += n;
	if (l->cfg->log_max_bytes > 0 && l->bytes >= l->cfg->log_max_bytes &&
	    strcmp(l->cfg->log, "-"))
		rotate(l);
}

void log_flush(struct srv *s)
{
	if (!s || !s->logbuf || !s->log)
		return;
	struct srv_log *l = s->log;
	int64_t wrote = 0;
	pthread_mutex_lock(&l->mu);
	while (evbuffer_get_length(s->logbuf) > 0) {
		int n = evbuffer_write(s->logbuf, l->fd);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) { /* a full disk must not stop the guard */
			evbuffer_drain(s->logbuf, evbuffer_get_length(s->logbuf));
			break;
		}
		wrote += n;
	}
	if (wrote)
		account(l, wrote);
	pthread_mutex_unlock(&l->mu);
	if (wrote)
		s->log_wrote_ms = sg_mono_coarse_ms();
}

/* The first line of a batch: written at the end of this loop turn when
 * the loop's last write is LOG_FLUSH_MS old, else when it will be. */
static void flush_later(struct srv *s)
{
	int64_t since = sg_mono_coarse_ms() - s->log_wrote_ms;
	if (since < 0 || since >= LOG_FLUSH_MS) {
		event_active(s->log_ev, 0, 0);
		return;
	}
	struct timeval tv = {0, (suseconds_t)((LOG_FLUSH_MS - since) * 1000)};
	event_add(s->log_ev, &tv);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	log_flush(arg);
}

/* libevent's and evdns's own messages join the JSON log.  Their callbacks
 * carry no context: the primary loop of this process is remembered here. */
static struct srv *libevent_log_srv;

static void on_libevent_log(int severity, const char *msg)
{
	log_line_from_any_thread(libevent_log_srv, logging_libevent_level(severity), "libevent",
	                         msg);
}

static void on_evdns_log(int is_warn, const char *msg)
{
	log_line_from_any_thread(libevent_log_srv, is_warn ? "warning" : "info", "evdns", msg);
}

int log_init(struct srv *s)
{
	if (!libevent_log_srv) {
		libevent_log_srv = s;
		event_set_log_callback(on_libevent_log);
		evdns_set_log_fn(on_evdns_log);
	}
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

static void second_texts(time_t sec, char *iso, size_t isocap, char *http, size_t httpcap)
{
	struct tm tm;
	gmtime_r(&sec, &tm);
	strftime(iso, isocap, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(http, httpcap, "%a, %d %b %Y %H:%M:%S GMT", &tm); /* C locale */
}

void log_clock(struct srv *s, struct timespec *now)
{
	clock_gettime(CLOCK_REALTIME, now);
	if (now->tv_sec != s->clock_sec || !s->clock_iso[0]) {
		second_texts(now->tv_sec, s->clock_iso, sizeof s->clock_iso, s->clock_http,
		             sizeof s->clock_http);
		s->clock_sec = now->tv_sec;
	}
}

/* {"ts":"2026-12-04T14:08:54.768Z"  (RFC 3339, UTC, milliseconds); the
 * loop's cached second when s is given, else made here (any thread). */
static void log_ts(tbuf *b, struct srv *s)
{
	struct timespec now;
	char iso[24], http[32];
	const char *sec = iso;
	if (s) {
		log_clock(s, &now);
		sec = s->clock_iso;
	} else {
		clock_gettime(CLOCK_REALTIME, &now);
		second_texts(now.tv_sec, iso, sizeof iso, http, sizeof http);
	}
	unsigned ms = (unsigned)(now.tv_nsec / 1000000);
	char frac[] = {'.', (char)('0' + ms / 100), (char)('0' + ms / 10 % 10),
	               (char)('0' + ms % 10), 'Z', '"', '\0'};
	tb_str(b, "{\"ts\":\"");
	tb_str(b, sec);
	tb_str(b, frac);
}

/* Write iov whole to the shared log, under its mutex (any thread). */
static void write_through(struct srv_log *l, struct iovec *v, int n)
{
	int64_t wrote = 0;
	pthread_mutex_lock(&l->mu);
	while (n > 0) {
		ssize_t w = writev(l->fd, v, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		wrote += w;
		while (n > 0 && (size_t)w >= v->iov_len) {
			w -= (ssize_t)v->iov_len;
			v++;
			n--;
		}
		if (n > 0) {
			v->iov_base = (char *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	account(l, wrote);
	pthread_mutex_unlock(&l->mu);
}

void log_line_from_any_thread(struct srv *s, const char *level, const char *event,
                              const char *message)
{
	if (!s || !s->log)
		return;
	size_t len = 0;
	char *line = logging_format(level, event, message, NULL, &len);
	if (!line)
		return;
	/* one write of a whole line under the log's mutex: never mixed */
	struct iovec v[1] = {{line, len}};
	write_through(s->log, v, 1);
	free(line);
}

void log_reload(struct srv *s, const char *event, const char *trigger, const char *extra,
                const char *error, const char *kept)
{
	char line[900];
	tbuf b;
	tb_init(&b, line, sizeof line);
	tb_fmt(&b, "{\"event\":\"%s\",\"trigger\":", event);
	tb_json(&b, trigger, strlen(trigger), 32);
	tb_fmt(&b, ",\"ok\":%s%s", error ? "false" : "true", extra);
	if (error) {
		tb_str(&b, ",\"error\":");
		tb_json(&b, error, strlen(error), 400);
		tb_str(&b, ",\"message\":");
		tb_json(&b, kept, strlen(kept), 100);
	}
	tb_str(&b, "}\n");
	log_line(s, error ? "error" : "info", b.p, b.len);
}

void log_line(struct srv *s, const char *level, const char *json, size_t len)
{
	char head[96];
	tbuf b;
	if (!s || !s->log || len < 2 || json[0] != '{')
		return;
	/* every line: {"ts":"RFC 3339","level":"...", then the caller's fields */
	tb_init(&b, head, sizeof head);
	log_ts(&b, s);
	tb_str(&b, ",\"level\":\"");
	tb_str(&b, level);
	tb_str(&b, "\",");
	json++;
	len--;
	if (!s->logbuf || !s->log_ev) { /* before the loop exists: write through */
		struct iovec v[2] = {{head, b.len}, {(void *)json, len}};
		write_through(s->log, v, 2);
		return;
	}
	size_t before = evbuffer_get_length(s->logbuf);
	evbuffer_add(s->logbuf, head, b.len);
	evbuffer_add(s->logbuf, json, len);
	if (before + b.len + len >= LOG_FLUSH_AT)
		log_flush(s);
	else if (before == 0)
		flush_later(s);
}
