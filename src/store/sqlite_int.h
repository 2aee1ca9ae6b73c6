/* sqlite_int.h — private to the SQLite engine: the handle's layout and
 * what its files share.  sqlite.c opens the file (schema, migrations) and
 * holds the statement helpers; sqlite_record.c records attempts;
 * sqlite_change.c moves incidents on (transitions, claims, holds);
 * sqlite_read.c reads. */
#ifndef SSRFGUARD_STORE_SQLITE_INT_H
#define SSRFGUARD_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "store/store_int.h"

enum {
	Q_FIND_ACTIVE, Q_JOIN, Q_ESCALATE, Q_NEW_INC, Q_NEW_ATT, Q_HIST,
	Q_GET_STATE, Q_SET_STATE, Q_STEP_GET, Q_STEP_PUT, Q_CLAIMABLE, Q_CLAIM_ONE,
	Q_CLAIM, Q_RENEW, Q_HOLD_OF, Q_HOLDER, Q_HOLD, Q_UNHOLD, Q_BEGIN, Q_COMMIT, Q_ROLLBACK, Q__COUNT
};

typedef struct sq_store {
	store base;
	sqlite3 *db;
	int64_t detail_max, max_bytes;
	sqlite3_stmt *q[Q__COUNT];
} sq_store;

/* SQLite result code -> sg_err. */
sg_err store_map_rc(int rc);

/* The statement helpers every write uses (sqlite.c). */
sqlite3_stmt *sq_stmt(sq_store *s, int which);  /* statement which, reset, unbound */
void sq_bind_text(sqlite3_stmt *st, int i, const char *v);  /* NULL binds "" */
sg_err sq_run(sqlite3_stmt *st);  /* step a statement that returns no row, reset it */
sg_err sq_begin(sq_store *s);
/* Commit when e is SG_OK, else (or when the commit fails) roll back; e or
 * the commit's error. */
sg_err sq_finish(sq_store *s, sg_err e);
/* A row of the incident's history (step "" for the incident's own state). */
sg_err sq_add_history(sq_store *s, int64_t id, const char *step, const char *from,
                      const char *to, const char *reason, const char *actor, int64_t at);
/* The bytes the store uses (its pages less the free ones). */
sg_err sq_size_of(sq_store *s, int64_t *bytes);

/* The claim of store_claim inside an open transaction (sqlite_change.c),
 * shared by store_record_claim. */
sg_err sq_claim_in_tx(sq_store *s, int64_t want, const char *owner, int64_t lease_ms,
                      int64_t at, int64_t *incident_id);

/* Recording (sqlite_record.c), as struct store_engine has them. */
sg_err sq_record_many(store *s, const store_attempt_in *a, const char *const *keys, size_t n,
                      store_record_out *out);
sg_err sq_record_claim(store *s, const store_attempt_in *a, const char *key, const char *owner,
                       int64_t lease_ms, store_record_out *out);

/* The changes after recording (sqlite_change.c), as struct store_engine has
 * them. */
sg_err sq_transition(store *s, const store_change *c, int64_t at);
sg_err sq_claim(store *s, int64_t want, const char *owner, int64_t lease_ms,
                int64_t *incident_id);
sg_err sq_renew(store *s, int64_t incident_id, const char *owner, int64_t lease_ms);
sg_err sq_hold(store *s, int64_t incident_id, const char *owner, int64_t *holder);

/* The read side (sqlite_read.c), as struct store_engine has them. */
sg_err sq_get(store *s, int64_t id, store_incident *out);
sg_err sq_list(store *s, int state, int64_t before, size_t limit, store_incident **out,
               size_t *n);
sg_err sq_attempts(store *s, int64_t incident_id, size_t limit, store_attempt **out,
                   size_t *n);
sg_err sq_steps(store *s, int64_t incident_id, store_step **out, size_t *n);
sg_err sq_step_get(store *s, int64_t incident_id, const char *name, store_step *out);
sg_err sq_history(store *s, int64_t incident_id, store_history **out, size_t *n);
sg_err sq_count_states(store *s, int64_t counts[STORE_STATE__COUNT]);
sg_err sq_ping(store *s);

#endif
