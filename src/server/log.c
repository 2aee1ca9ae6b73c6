/* log.c — structured log lines: one JSON object a line.
 *
 * Lines of one loop turn are gathered and written with one write(2) at the
 * end of the turn (or at 64 KiB), so logging costs a syscall per turn, not
 * per line.  A kill -9 can lose the lines of the turn in progress; the
 * store, not the log, is the durable record of incidents.
 *
 * A log file (not stderr) past log_max_bytes is renamed to PATH.1 (the
 * previous PATH.1 goes) and a new PATH opened: an attacker filling the log
 * fills at most twice log_max_bytes of disk. */
#include "server/srv_int.h"

#include <errno.h>
#include <event2/buffer.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_FLUSH_AT 65536

int log_open(struct srv *s)
{
	if (!strcmp(s->cfg->log, "-")) {
		s->logfd = dup(STDERR_FILENO);
		return s->logfd < 0 ? -1 : 0;
	}
	s->logfd = open(s->cfg->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	struct stat st;
	s->log_bytes = s->logfd >= 0 && fstat(s->logfd, &st) == 0 ? (int64_t)st.st_size : 0;
	return s->logfd < 0 ? -1 : 0;
}

static void rotate(struct srv *s)
{
	char old[PATH_MAX];
	if (snprintf(old, sizeof old, "%s.1", s->cfg->log) >= (int)sizeof old ||
	    rename(s->cfg->log, old) != 0) {
		s->log_bytes = 0; /* cannot rotate: try again after another cap's worth */
		return;
	}
	int fd = s->logfd;
	if (log_open(s) != 0) {
		s->logfd = fd; /* keep writing to the renamed file */
		return;
	}
	close(fd);
	static const char line[] = "{\"event\":\"log_rotated\"}\n";
	if (write(s->logfd, line, sizeof line - 1) > 0)
		s->log_bytes += (int64_t)sizeof line - 1;
}

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
		s->log_bytes += n;
	}
	if (s->cfg->log_max_bytes > 0 && s->log_bytes >= s->cfg->log_max_bytes &&
	    strcmp(s->cfg->log, "-"))
		rotate(s);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	log_flush(arg);
}

int log_init(struct srv *s)
{
	s->logbuf = evbuffer_new();
	s->log_ev = event_new(s->base, -1, 0, on_flush, s);
	return s->logbuf && s->log_ev ? 0 : -1;
}

void log_cleanup(struct srv *s)
{
	log_flush(s);
	if (s->log_ev)
		event_free(s->log_ev);
	if (s->logbuf)
		evbuffer_free(s->logbuf);
	s->log_ev = NULL;
	s->logbuf = NULL;
}

void log_line(struct srv *s, const char *json, size_t len)
{
	if (!s || s->logfd < 0)
		return;
	if (!s->logbuf || !s->log_ev) { /* before the loop exists: write through */
		while (len > 0) {
			ssize_t n = write(s->logfd, json, len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return;
			json += n;
			len -= (size_t)n;
		}
		return;
	}
	size_t before = evbuffer_get_length(s->logbuf);
	evbuffer_add(s->logbuf, json, len);
	if (before + len >= LOG_FLUSH_AT)
		log_flush(s);
	else if (before == 0)
		event_active(s->log_ev, 0, 0);
}
