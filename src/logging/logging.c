/* logging.c — the JSON log line (see logging.h). */
#include "logging/logging.h"

#include <errno.h>
#include <event2/event.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/utf8.h"

void logging_ts(char out[LOGGING_TS_SIZE])
{
	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	size_t n = strftime(out, LOGGING_TS_SIZE, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, LOGGING_TS_SIZE - n, ".%03ldZ", now.tv_nsec / 1000000);
}

const char *logging_level(const char *level)
{
	static const char *const words[] = {"debug", "info", "warning", "error"};
	if (level && !strcmp(level, "warn"))
		return "warning";
	for (size_t i = 0; level && i < sizeof words / sizeof words[0]; i++)
		if (!strcmp(level, words[i]))
			return words[i];
	return "info";
}

/* Any bytes as a JSON string: well-formed UTF-8, cut at max bytes. */
static json_t *text(const char *s, size_t max)
{
	size_t n = strlen(s), len = 0;
	int cut = n > max;
	char *ok = sg_utf8_repair(s, cut ? max : n, &len);
	json_t *j = NULL;
	if (ok && cut) {
		char *more = realloc(ok, len + 4);
		if (more) {
			memcpy(more + len, "...", 4);
			len += 3;
		}
		ok = more ? more : ok;
	}
	if (ok)
		j = json_stringn(ok, len);
	free(ok);
	return j;
}

/* A copy of v with every string repaired (objects and arrays deep). */
static json_t *repaired(const json_t *v)
{
	if (json_is_string(v))
		return text(json_string_value(v), LOGGING_MESSAGE_MAX);
	if (json_is_array(v)) {
		json_t *a = json_array(), *x;
		size_t i;
		json_array_foreach((json_t *)v, i, x)
			json_array_append_new(a, repaired(x));
		return a;
	}
	if (json_is_object(v)) {
		json_t *o = json_object(), *x;
		const char *k;
		json_object_foreach((json_t *)v, k, x)
			json_object_set_new(o, k, repaired(x));
		return o;
	}
	return json_deep_copy(v);
}

static int reserved(const char *k)
{
	return !strcmp(k, "ts") || !strcmp(k, "level") || !strcmp(k, "event") ||
	       !strcmp(k, "message");
}

char *logging_format(const char *level, const char *event, const char *message,
                     const json_t *fields, size_t *len)
{
	char ts[LOGGING_TS_SIZE];
	logging_ts(ts);
	json_t *o = json_object(), *v;
	const char *k;
	json_object_set_new(o, "ts", json_string(ts));
	json_object_set_new(o, "level", json_string(logging_level(level)));
	json_object_set_new(o, "event", text(event ? event : "log", 64));
	if (message)
		json_object_set_new(o, "message", text(message, LOGGING_MESSAGE_MAX));
	json_object_foreach((json_t *)fields, k, v)
		if (!reserved(k))
			json_object_set_new(o, k, repaired(v));
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!s)
		return NULL;
	size_t n = strlen(s);
	char *line = realloc(s, n + 2);
	if (!line) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	*len = n + 1;
	return line;
}

void logging_write(int fd, const char *level, const char *event, const char *message,
                   const json_t *fields)
{
	size_t len = 0, off = 0;
	char *line = logging_format(level, event, message, fields, &len);
	while (line && off < len) {
		ssize_t w = write(fd, line + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(line);
}

void logging_emitf(const char *level, const char *event, const char *fmt, ...)
{
	char msg[LOGGING_MESSAGE_MAX + 1];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	logging_write(STDERR_FILENO, level, event, msg, NULL);
}

const char *logging_libevent_level(int severity)
{
	return severity >= EVENT_LOG_ERR    ? "error"
	       : severity == EVENT_LOG_WARN ? "warning"
	       : severity == EVENT_LOG_MSG  ? "info"
	                                    : "debug";
}

static void libevent_to_stderr(int severity, const char *msg)
{
	logging_write(STDERR_FILENO, logging_libevent_level(severity), "libevent", msg, NULL);
}

void logging_libevent_to_stderr(void)
{
	event_set_log_callback(libevent_to_stderr);
}
