/*
 * settler.h — the one way a long-running process settles the attempts its
 * store handle left unsettled (store_settle), and says what became of
 * them.  Prefix: store_settler_.
 *
 * serve's writer, the kernel backstop, respond --queue and respond --listen
 * each record attempts through a handle of their own; each keeps one
 * settler beside it, in the thread that owns the handle:
 *
 *   store_settler_init   at start: a log line when the handle came back
 *                        with attempts an earlier run left (its spool), or
 *                        when it has no spool (store_spool_note)
 *   store_settler_tick   often (each loop turn): at most once a second while
 *                        something is unsettled, store_settle; each outcome
 *                        a log line (info when recorded, error otherwise),
 *                        handed to settled() (metrics, a responder woken)
 *   store_settler_stop   at an orderly stop, before the handle is closed:
 *                        settles for at most budget_ms (while answers
 *                        come), then says what is still unsettled: kept in
 *                        the spool for the next start (one line), or, with
 *                        no spool, one error line per attempt with its
 *                        evidence (JSON, escaped) so that none vanishes
 *
 * The log sink gets one sentence (level "info", "warning" or "error") and
 * the event name "settled" or "unsettled"; the caller writes it its way.
 */
#ifndef SSRFGUARD_STORE_SETTLER_H
#define SSRFGUARD_STORE_SETTLER_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct store_settler {
	store *st;
	const char *who;    /* names the process in log lines: "serve", "respond --queue" */
	void (*log)(void *ctx, const char *level, const char *event, const char *msg);
	void (*settled)(void *ctx, const store_settled *r);   /* NULL: none */
	void *ctx;
	int64_t next_ms;    /* monotonic: the next store_settle */
	int64_t period_ms;  /* 0: 1000 */
} store_settler;

void store_settler_init(store_settler *t);
/* Returns how many are still unsettled. */
size_t store_settler_tick(store_settler *t);
void store_settler_stop(store_settler *t, int64_t budget_ms);

#endif
