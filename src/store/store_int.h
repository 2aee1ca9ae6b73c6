/* store_int.h — private to src/store: the engine interface behind store.h
 * and what its engines share.
 *
 * store.c validates every argument and dispatches to the handle's engine;
 * an engine gets only valid arguments and implements store.h's promises
 * (the same for every engine: callers cannot tell them apart).  Each
 * engine's handle starts with `store base` (eng set by its open). */
#ifndef SSRFGUARD_STORE_INT_H
#define SSRFGUARD_STORE_INT_H

#include "common/clock.h"   /* times written down: sg_wall_ms */
#include "store/store.h"

struct store_engine {
	void (*close)(store *s);
	const char *(*errmsg)(const store *s);
	sg_err (*size)(store *s, int64_t *bytes);
	/* keys[i] is attempt i's join key (store_join_key); out (NULL or n,
	 * zeroed) gets each recorded attempt's outcome and stays zero for the
	 * attempts not recorded when it fails */
	sg_err (*record_many)(store *s, const store_attempt_in *a, const char *const *keys,
	                      size_t n, store_record_out *out);
	sg_err (*record_claim)(store *s, const store_attempt_in *a, const char *key,
	                       const char *owner, int64_t lease_ms, store_record_out *out);
	sg_err (*transition)(store *s, const store_change *c, int64_t at);
	sg_err (*claim)(store *s, int64_t want, const char *owner, int64_t lease_ms,
	                int64_t *incident_id);
	sg_err (*renew)(store *s, int64_t incident_id, const char *owner, int64_t lease_ms);
	sg_err (*hold)(store *s, int64_t incident_id, const char *owner, int64_t *holder);
	sg_err (*holds_ready)(store *s);  /* NULL: always ready */
	sg_err (*get)(store *s, int64_t id, store_incident *out);
	/* ids below before (INT64_MAX: all), newest first, at most limit */
	sg_err (*list)(store *s, int state, int64_t before, size_t limit, store_incident **out,
	               size_t *n);
	sg_err (*attempts)(store *s, int64_t incident_id, size_t limit, store_attempt **out,
	                   size_t *n);
	sg_err (*steps)(store *s, int64_t incident_id, store_step **out, size_t *n);
	sg_err (*step_get)(store *s, int64_t incident_id, const char *name, store_step *out);
	sg_err (*history)(store *s, int64_t incident_id, store_history **out, size_t *n);
	sg_err (*count_states)(store *s, int64_t counts[STORE_STATE__COUNT]);
	sg_err (*ping)(store *s);
	/* NULL: nothing is ever left unsettled (SQLite) */
	sg_err (*settle)(store *s, store_settled *out, size_t max, size_t *n);
	size_t (*unsettled)(const store *s);
	const char *(*spool_note)(const store *s, int *kept);   /* NULL: "", kept */
	void (*unsettled_each)(const store *s,
	                       void (*fn)(void *ctx, const store_attempt_in *a, int64_t maybe,
	                                  int64_t sent_ms),
	                       void *ctx);           /* NULL: none kept */
};

struct store {
	const struct store_engine *eng;
	char identity[STORE_ID_LEN + 1]; /* set by the engine's open ("" only
	                                     read-only on a store without one) */
	int64_t first_keyed;              /* the first incident id opened under
	                                     it (INT64_MAX: none is) */
};

/* A new identity (STORE_ID_LEN lower-case hex digits) from getrandom. */
sg_err store_new_identity(char out[STORE_ID_LEN + 1]);

/* The engines' opens (arguments checked by store_open). */
sg_err store_sqlite_open(const char *path, const store_opts *o, store **out, char *err,
                         size_t errlen);
sg_err store_dynamo_open(const store_opts *o, store **out, char *err, size_t errlen);

/* The join key of an attempt into buf: a->join, else "source:CLIENT". */
const char *store_join_key(const store_attempt_in *a, char *buf, size_t cap);

/* The reasons the engines write, so that histories read the same. */
void store_reason_opened(const store_attempt_in *a, char *buf, size_t cap);
void store_reason_escalated(const store_attempt_in *a, char *buf, size_t cap);
void store_reason_claimed(const char *from_state, const char *prev_owner, const char *owner,
                          char *buf, size_t cap);

/* Can owner claim an incident in state `from` held by prev until `until`
 * (ms) at `at`?  SG_OK, SG_ERR_BUSY (a live lease of another), SG_ERR_STATE. */
sg_err store_claimable(const char *from, const char *prev, int64_t until, const char *owner,
                       int64_t at);

/* A change's incident check: may c move an incident in `from` (lease held
 * by lease_owner until lease_until) to c->to?  SG_OK or the error store.h
 * names.  *to gets the target state. */
sg_err store_check_move(const store_change *c, store_state from, const char *lease_owner,
                        int64_t lease_until, int64_t at, store_state *to);

/* Free one record's strings (the array frees of store.h, per element). */
void store_attempt_clear(store_attempt *r);
void store_history_clear(store_history *r);

#endif
