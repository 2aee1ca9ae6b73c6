/*
 * logging.h — the one log line format of ssrfguard's long-running commands
 * (serve, the responder daemon and its queue intake, deliver, backstop
 * watch, dashboard): one JSON object a line,
 *
 *   {"ts":"2026-12-04T14:08:54.768Z","level":"info","event":"listening",
 *    "message":"127.0.0.1:8080", ...more fields}
 *
 * ts is RFC 3339 in UTC with milliseconds; level is "debug", "info",
 * "warning" or "error" ("warn" is taken for "warning"); event is a short
 * word naming what happened; message is free text (optional).  Every
 * string may come from an attacker: bytes that are not well-formed UTF-8
 * become U+FFFD and control bytes are \u-escaped, so a line is always one
 * line of valid JSON.  A message longer than LOGGING_MESSAGE_MAX bytes is
 * cut (marked with "...").  Prefix: logging_.
 *
 * Lines are written with one write(2) each, so the lines of threads never
 * mix.  serve writes through its own buffered, rotating log (src/server/
 * log.c) but formats every line with these functions.
 */
#ifndef SSRFGUARD_LOGGING_H
#define SSRFGUARD_LOGGING_H

#include <stddef.h>

typedef struct json_t json_t;

#define LOGGING_TS_SIZE 32       /* logging_ts's buffer */
#define LOGGING_MESSAGE_MAX 4096

/* Now as "2026-12-04T14:08:54.768Z". */
void logging_ts(char out[LOGGING_TS_SIZE]);

/* The level word of the format ("warn" -> "warning"; unknown -> "info"). */
const char *logging_level(const char *level);

/*
 * The line, '\n' included (malloc'd, *len its length; NULL on out of
 * memory).  message NULL: no "message"; fields NULL or a JSON object whose
 * members follow, in their order (borrowed; its strings are repaired like
 * the message; members named ts, level, event or message are skipped).
 */
char *logging_format(const char *level, const char *event, const char *message,
                     const json_t *fields, size_t *len);

/* Write the line to fd (best effort: a full disk loses the line). */
void logging_write(int fd, const char *level, const char *event, const char *message,
                   const json_t *fields);

/* libevent's own messages (its EVENT_LOG_* severity) as a level word: the
 * one mapping of every process that runs libevent; their event is
 * "libevent". */
const char *logging_libevent_level(int severity);

/* Route libevent's own messages to stderr as log lines, for a command
 * whose log is its stderr (the dashboard, the respond daemon's --listen):
 * the command (cli/) calls it, once, before its event loop runs; serve
 * routes them into its own buffered log (src/server/log.c) with
 * logging_libevent_level. */
void logging_libevent_to_stderr(void);

/* On stderr, the message from a format. */
void logging_emitf(const char *level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
