/* dynamo_int.h — private to the DynamoDB engine (its files: dynamo.c's
 * header lists them): the handle, the shared writing and reading helpers.
 * The table's layout is docs/fleet.md's "Shared state". */
#ifndef SSRFGUARD_STORE_DYNAMO_INT_H
#define SSRFGUARD_STORE_DYNAMO_INT_H

#include <jansson.h>
#include <stdbool.h>

#include "aws/dynamodb.h"
#include "store/store_int.h"

typedef struct dd_store {
	store base;
	struct aws_client *aws;
	char table[256];
	int64_t detail_max;
	bool claim_index;   /* the table has the claim index, ACTIVE (dynamo.c) */
	unsigned conflicts; /* transactions in a row cancelled for TransactionConflict */
	bool kept;          /* the unanswered chunk is kept to settle (dd_keep_unsettled) */
	bool unanswered;    /* the last transaction got no answer after every resend:
	                       it may have taken effect */
	bool holders_ready; /* the table has its holder items (meta/holders seen
	                       or written): holds may be handed out */
	bool upgrade_waits; /* the upgrade to them waits: older responders hold
	                       live leases (dynamo_hold.c; msg names them) */
	struct dd_unsettled *pending; /* unanswered chunks kept to settle (dynamo_settle.c) */
	size_t pending_attempts;      /* their attempts */
	char spool[4096];   /* the spool file of the kept chunks ("": none; dynamo_spool.c) */
	int spool_lock;     /* its lock file's descriptor (-1: none) */
	char spool_why[512]; /* why there is none, or why the last write of it failed */
	bool spool_bad;     /* that write failed: what is kept is in memory only */
	char msg[1024];     /* the last failure, for store_errmsg */
} dd_store;

#define DD_INCIDENTS "incident"     /* pk of every incident item */
#define DD_ACTIVE "active"          /* pk of the join keys' pointers */
#define DD_SEQ_SK "seq"             /* sk of an incident's attempt numbers (in inc#N) */

#define DD_ROUNDS 8                 /* re-read and decide again after a lost race */
#define DD_TURN_MS 250              /* a turn on a busy incident item (dd_take_turn) */
#define DD_TURN_RESPONDER "responder" /* its step and state changes */
#define DD_TURN_JOINS "joins"       /* the attempts joining it */
#define DD_CLAIM_ATTR "claimable"   /* on an incident item exactly while claimable */
/* The sparse global secondary index of the claim search: an incident item
 * carries claimable = "1" exactly while a daemon may claim it (open, or
 * containing under a lease that may run out, and not observe-only), so the
 * search reads those and not the table's history. */
#define DD_CLAIM_INDEX "claimable"
#define ACTIVE_STATES "#s IN (:s_logged, :s_open, :s_containing, :s_contained, :s_failed)"

/* ---- writing (dynamo_tx.c) ---- */

/* A transaction being built: its TransactItems, how many, and the size of
 * the items it puts (aws_ddb_item_size).  bad: an allocation failed. */
typedef struct dd_tx {
	json_t *acts;
	size_t n, bytes;
	int bad;
	bool keep;       /* left unanswered: dd_tx_run leaves acts (and token) */
	char token[37];  /* its ClientRequestToken, once run */
} dd_tx;

/* Add one action: kind "Put" (member "Item"), "Update", "Delete" or
 * "ConditionCheck" (member "Key").  member, names and values are stolen. */
void dd_tx_add(dd_tx *t, const char *kind, json_t *member, const char *update,
               const char *cond, json_t *names, json_t *values);
/* One history item (seq orders the items of one transaction). */
void dd_tx_history(dd_tx *t, int64_t id, const char *step, const char *from, const char *to,
                   const char *reason, const char *actor, int64_t at, int seq);
/* Run the transaction (consumed) with a fresh ClientRequestToken; unanswered, it is sent again with the same token (DD_RESENDS
 * times), and s->unanswered says when it stayed so (it may have taken
 * effect).  SG_ERR_STATE: *failed names the action whose condition failed.
 * SG_ERR_BUSY: a conflicting transaction. */
sg_err dd_tx_run(dd_store *s, dd_tx *t, int *failed);
/* An incident item as opened by attempt a (attempts 1). */
json_t *dd_incident_item(int64_t id, const store_attempt_in *a, const char *key,
                         const char *state, const char *reason, int64_t at,
                         const char *owner, int64_t until);
/* Turns on a busy incident item.  A writer whose transaction on incident
 * id was cancelled by another in flight (TransactionConflict) takes the next
 * turn: the pointer of id's join key gets turn = who and turn_until_ms =
 * now + DD_TURN_MS, unless the other side holds a turn not over yet.  The
 * other side waits it out before its next transaction on the incident
 * (dd_await_turn: at most DD_TURN_MS, once per read).  who is
 * DD_TURN_RESPONDER or DD_TURN_JOINS.  Best effort: a refused request
 * changes nothing. */
void dd_take_turn(dd_store *s, const char *key, int64_t id, const char *who);
/* key's pointer (SG_ERR_NOTFOUND: none) into *ptr when ptr is not NULL,
 * read after waiting out the other side's turn. */
sg_err dd_await_turn(dd_store *s, const char *key, const char *who, json_t **ptr);
/* One UpdateItem, sent again after growing pauses while a transaction in
 * flight refuses it (at most DD_ROUNDS tries; then SG_ERR_THROTTLED). */
sg_err dd_update_item(dd_store *s, const json_t *key, const char *update,
                      const struct aws_ddb_expr *x, json_t **attrs, struct aws_error *e);
/* A responder's transaction t on incident id (join key key, "" for none),
 * in turns with the attempts joining it (dd_take_turn, dd_await_turn). */
sg_err dd_responder_tx(dd_store *s, dd_tx *t, const char *key, int64_t id, int *failed);
/* The end of a responder's DD_ROUNDS rounds on incident id, the last lost
 * with last: SG_ERR_THROTTLED when a transaction in flight cancelled it
 * (never SG_ERR_BUSY, "another responder has it"), else SG_ERR_BUSY. */
sg_err dd_rounds_spent(dd_store *s, sg_err last, int64_t id);
/* Sleep ms milliseconds. */
void dd_sleep_ms(long ms);
/* A new incident id from the counter item (dynamo_record.c, as the next). */
sg_err dd_next_id(dd_store *s, int64_t *id);
/* Reserve k attempt sequence numbers of incident id: first..first+k-1
 * (dynamo_record.c; base: its count read before). */
sg_err dd_reserve_seqs(dd_store *s, int64_t id, int64_t base, int64_t k, int64_t *first);
/* Whether an incident in state (observe-only or not) is in the claim index. */
bool dd_claimable(const char *state, bool observe);
/* The placeholders :s_logged ... of ACTIVE_STATES added to values (non-zero
 * on allocation failure). */
int dd_add_active_states(json_t *values);
/* Attempt a's item, the seq-th of incident id; NULL when it is only
 * counted (detail_max reached, or larger than an item may be); *bad set
 * on allocation failure (dynamo_batch.c). */
json_t *dd_attempt_item(dd_store *s, const store_attempt_in *a, int64_t id, int64_t seq,
                        int64_t at, int *bad);
/* The batch of serve (dynamo_batch.c), as struct store_engine has it. */
sg_err dd_record_many(store *s, const store_attempt_in *a, const char *const *keys, size_t n,
                      store_record_out *out);

/* One attempt, its incident claimed for owner (dynamo_record.c): store_record_claim
 * as struct store_engine has it. */
sg_err dd_record_claim(store *s, const store_attempt_in *a, const char *key, const char *owner,
                       int64_t lease_ms, store_record_out *out);
/* Claims and leases (dynamo_lease.c), as struct store_engine has them;
 * dd_claim_id claims incident want (named, not searched for). */
sg_err dd_claim(store *s, int64_t want, const char *owner, int64_t lease_ms,
                int64_t *incident_id);
sg_err dd_claim_id(dd_store *s, int64_t want, const char *owner, int64_t lease_ms);
sg_err dd_renew(store *s, int64_t id, const char *owner, int64_t lease_ms);
/* The one transition function (dynamo_change.c). */
sg_err dd_transition(store *s, const store_change *c, int64_t at);

/* One unanswered chunk kept to settle: its transaction as sent, its
 * ClientRequestToken, when it was first sent, copies of its attempts, their
 * join keys and what the plan said of each. */
typedef struct dd_unsettled {
	struct dd_unsettled *next;
	json_t *acts;               /* the transaction as sent */
	char token[37];             /* its ClientRequestToken */
	int64_t sent_ms;            /* when it was first sent (wall clock) */
	int64_t unread_ms;          /* past its token's window: when reading its
	                               attempt item back first failed (0: never;
	                               dynamo_settle.c) */
	size_t n;
	store_attempt_in *a;        /* copies of its attempts (strings malloc'd) */
	char **keys;                /* their join keys */
	store_record_out *plan;     /* what the plan said of each */
} dd_unsettled;

/* The strings of an attempt, each by its place in the struct. */
#define DD_ATTEMPT_STRINGS(X)                                                                 \
	X(client) X(request) X(headers) X(url) X(dest) X(category) X(rule) X(reason) X(addrs)    \
	X(instance_id) X(region) X(az) X(join)

/* A kept chunk of n attempts with nothing in it yet (NULL: out of memory);
 * freed, with everything it holds, by dd_unsettled_drop (NULL-safe). */
dd_unsettled *dd_unsettled_new(size_t n);
void dd_unsettled_drop(dd_unsettled *u);
/* Append u at the end of s's kept chunks (oldest first). */
void dd_unsettled_append(dd_store *s, dd_unsettled *u);

/* The spool (dynamo_spool.c): the kept chunks in a file, so that a process
 * that stops or dies with some leaves them to its next start.
 * dd_spool_open: lock path's lock file and read back what it holds into s
 * (err says why on failure); dd_spool_add: one chunk appended, fdatasync'd;
 * dd_spool_sync: the file rewritten to what s keeps now (removed when
 * nothing).  On a write failure they set s->spool_why (and keep what is in
 * memory).  dd_spool_close: the lock released. */
sg_err dd_spool_open(dd_store *s, const char *path, char *err, size_t errlen);
const char *dd_spool_note(const store *s, int *kept);   /* store_spool_note */
void dd_spool_add(dd_store *s, const dd_unsettled *u);
void dd_spool_sync(dd_store *s);
void dd_spool_close(dd_store *s);
/* The spool's text (a version line, then one JSON object per chunk) read
 * into kept chunks for table, each handed to each() (which owns it; a code
 * other than SG_OK stops the read with that code).  Bounded: at most
 * DD_SPOOL_MAX bytes, DD_SPOOL_LINE_MAX per line, DD_UNSETTLED_MAX
 * attempts in all.  SG_ERR_PARSE / SG_ERR_RANGE / SG_ERR_UNSUPPORTED (a
 * newer version) with msg saying where; SG_OK with msg non-empty when the
 * last line was cut short (by a crash while it was appended): left out. */
#define DD_SPOOL_MAX (64u << 20)
#define DD_SPOOL_LINE_MAX (16u << 20)
#define DD_UNSETTLED_MAX 1024   /* unsettled attempts kept (a chunk is at most 96) */
sg_err dd_spool_parse(const char *text, size_t len, const char *table,
                      sg_err (*each)(void *ctx, dd_unsettled *u), void *ctx, char *msg,
                      size_t msglen);

/* Unsettled chunks (dynamo_settle.c).  dd_keep_unsettled keeps t (its
 * acts taken) with copies of its n attempts, their join keys and what the
 * plan said of each (plan; incident_id there is where each would be),
 * sent_ms when it was first sent;
 * SG_ERR_NOMEM: not kept (they stay unsettled for good).  dd_settle and
 * dd_unsettled_count: store_settle and store_unsettled; dd_unsettled_free
 * drops what is kept (at close). */
sg_err dd_keep_unsettled(dd_store *s, dd_tx *t, int64_t sent_ms, const store_attempt_in *a,
                         const char *const *keys, const store_record_out *plan, size_t n);
sg_err dd_settle(store *s, store_settled *out, size_t max, size_t *n);
size_t dd_unsettled_count(const store *s);
void dd_unsettled_each(const store *s,
                       void (*fn)(void *ctx, const store_attempt_in *a, int64_t maybe,
                                  int64_t sent_ms),
                       void *ctx);
void dd_unsettled_free(dd_store *s);

/* The store's identity into s->base (dynamo_ident.c): read from the item
 * meta/identity, written there first when absent unless readonly (then
 * none).  err gets one sentence on failure. */
sg_err dd_identity(dd_store *s, bool readonly, char *err, size_t errlen);

/* Which incident holds an instance (dynamo_hold.c): store_hold as struct
 * store_engine has it; dd_unhold adds to t the end of id's hold on
 * instance when it has it (a conditional Delete); dd_backfill_holders gives
 * the incidents of a table written before holders theirs, once per table
 * (the item meta / holders marks it done), unless responders of an older
 * ssrfguard hold live leases: then SG_ERR_BUSY and upgrade_waits (msg names
 * them), and no hold is handed out until a later try finds none. */
sg_err dd_hold(store *s, int64_t id, const char *owner, int64_t *holder);
sg_err dd_unhold(dd_store *s, dd_tx *t, int64_t id, const char *instance);
sg_err dd_backfill_holders(dd_store *s);
/* store_holds_ready: the upgrade done, else tried again now. */
sg_err dd_holds_ready(store *s);
/* Is item (an incident) under a live lease at `now` taken by a responder
 * older than this version (its lease unmarked: lease_by is not the owner)? */
bool dd_lease_is_old(const json_t *item, int64_t now);

/* "00000000000000000042" (sk of an incident) and "inc#..." (its partition). */
void dd_id_text(int64_t id, char out[24]);
void dd_partition(int64_t id, char out[32]);

/* {"pk": {"S": pk}, "sk": {"S": sk}} (NULL on allocation failure). */
json_t *dd_key(const char *pk, const char *sk);
/* {"S": v} and {"N": "v"}. */
json_t *dd_s(const char *v);
json_t *dd_n(int64_t v);

/* String attribute name of item, malloc'd ("" when absent; *bad on
 * allocation failure).  The rest of the reading: lib/aws/ddb.h. */
char *dd_str(const json_t *item, const char *name, int *bad);

/* Remember a failure for store_errmsg and return rc. */
sg_err dd_fail(dd_store *s, sg_err rc, const char *what, const struct aws_error *e);

/* The read side (dynamo_read.c), as struct store_engine has them. */
sg_err dd_get(store *s, int64_t id, store_incident *out);
sg_err dd_get_item(dd_store *s, const char *pk, const char *sk, json_t **item);
sg_err dd_list(store *s, int state, int64_t before, size_t limit, store_incident **out,
               size_t *n);
sg_err dd_attempts(store *s, int64_t incident_id, size_t limit, store_attempt **out,
                   size_t *n);
sg_err dd_steps(store *s, int64_t incident_id, store_step **out, size_t *n);
sg_err dd_step_get(store *s, int64_t incident_id, const char *name, store_step *out);
sg_err dd_history(store *s, int64_t incident_id, store_history **out, size_t *n);
sg_err dd_count_states(store *s, int64_t counts[STORE_STATE__COUNT]);
sg_err dd_ping(store *s);
/* An item of the table (any other writer's: untrusted) into a record:
 * strings malloc'd ("" when absent), numbers 0 when absent or malformed.
 * SG_ERR_NOMEM; dd_fill_step: SG_ERR_PROTOCOL when the item's sk is not a
 * step's ("step#NAME").  dd_fill_history: place is the item's 0-based
 * place in the incident's history. */
sg_err dd_fill_incident(const json_t *item, store_incident *r);
sg_err dd_fill_attempt(const json_t *item, store_attempt *r);
sg_err dd_fill_step(const json_t *item, store_step *r);
sg_err dd_fill_history(const json_t *item, size_t place, store_history *r);

#endif
