/* dash_int.h — what the dashboard's files share (not a public interface). */
#ifndef SSRFGUARD_DASHBOARD_INT_H
#define SSRFGUARD_DASHBOARD_INT_H

#include <event2/http.h>

#include "dashboard/dashboard.h"

typedef struct dash {
	const dash_config *cfg;
	store *st;              /* opened read-only */
	size_t token_len;
} dash;

/* The evhttp callback of every request (server.c); arg is the dash. */
void dash_handle(struct evhttp_request *req, void *arg);

/* One JSON log line on stderr: {"ts","level","event","message"}. */
void dash_log(const char *level, const char *event, const char *message);

#endif
