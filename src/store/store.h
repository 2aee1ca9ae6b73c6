/*
 * store.h — the durable incident store: the hand-off between the service
 * that detects SSRF attempts and the responder that contains the instance.
 * Prefix: store_.
 *
 * Engines.  One interface, two engines, and callers cannot tell them apart:
 *   SQLite (WAL)  the default: one file on one host (store_open's path).
 *   DynamoDB      store_opts.state_table set: one table shared by any number
 *                 of detectors and responders on any hosts (docs/fleet.md has
 *                 its items).  Every change is a conditional write (one
 *                 TransactWriteItems where several items change together);
 *                 every read is strongly consistent.  Through the typed AWS
 *                 client (src/aws/dynamodb.h).
 * What follows holds for both; where it speaks of "transactions" and
 * "commits", a DynamoDB change is one conditional write or transaction.
 *
 * Model.
 *   attempt     one blocked request, with its evidence (client, request line,
 *               headers of note, raw URL, normalised destination, category,
 *               rule, redirect hop, resolved addresses, instance identity).
 *               Attempts are never changed or deleted.
 *   incident    a group of attempts with one join key: by default the
 *               source ("source:" + the client address); a responder's
 *               intake joins by instance ("instance:i-..."), so that three
 *               detectors, a GuardDuty finding and an operator about one
 *               instance are one incident.  A new attempt joins its key's
 *               *active* incident (any state but released/closed), else
 *               opens a new one.  The incident
 *               carries a state (below), counted attempts, the first
 *               attempt's evidence summary and the instance it happened on.
 *   step        the responder's journal: one row per (incident, step name)
 *               with a status word, a retry counter and a JSON blob, so a
 *               responder (this process or another, after a crash) resumes a
 *               playbook where it stopped.
 *   transition  every change of an incident's state or a step's status is
 *               appended to a history row (who, when, from, to, why) in the
 *               same transaction as the change itself.
 *
 * Incident states and the only allowed moves (store_transition() enforces
 * them; anything else is SG_ERR_STATE):
 *
 *      logged -> open -> containing -> contained -> released -> closed
 *                                   \-> failed -> open (retry)
 *
 *   logged      blocked and recorded; no containment asked (its severity is
 *               not configured to contain).  -> open, closed
 *   open        asks for containment; waiting for a responder.
 *               -> containing (only via store_claim), closed
 *   containing  a responder holds the lease (owner, lease_until).
 *               -> contained, failed, open (give back), released, closed
 *   contained   the playbook finished.  -> released, closed
 *   failed      the playbook gave up.  -> open (retry), released, closed
 *   released    an operator released the instance.  -> closed
 *   closed      final.
 *
 * Durability.  Every function that writes commits before it returns.  The
 * database is in WAL mode.  The synchronous level is chosen at open:
 *   STORE_SYNC_FULL (default) — the WAL is fsync'd at every commit: a
 *     returned commit survives kill -9 *and* power loss.  The service's
 *     writer thread commits every blocked request that arrived meanwhile in
 *     one transaction (store_record_many), so the cost is one fsync per
 *     batch, not per request, and the event loop never waits for it.
 *   STORE_SYNC_NORMAL — WAL without the per-commit fsync: a returned commit
 *     is in the WAL file (the kernel's page cache) and survives any process
 *     crash, kill -9 included; an OS crash or power loss may roll back the
 *     last commits (never corrupt the database).  For hosts where the fsync
 *     cost matters more than surviving power loss.
 *
 * Concurrency.  A store handle belongs to one thread at a time: open one per
 * thread (the embedded responder opens its own) or per process.  Handles in
 * other threads and processes see each other's commits.  Writers serialise
 * through SQLite's lock with a busy timeout (STORE_BUSY_MS default 5 s);
 * still busy after that returns SG_ERR_BUSY and changes nothing.
 *
 * Errors (sg_err).  SG_ERR_INVAL for a NULL or out-of-range argument,
 * SG_ERR_NOTFOUND for an unknown incident id (and store_claim when nothing
 * is claimable), SG_ERR_STATE for a move the table above forbids or a failed
 * compare-and-set, SG_ERR_BUSY for a lock or a lease held by someone else,
 * SG_ERR_UNSUPPORTED for a database written by a newer schema,
 * SG_ERR_CORRUPT for a database that fails SQLite's checks, SG_ERR_IO for
 * anything else SQLite reports, SG_ERR_NOMEM.  On error nothing was written
 * (but for store_record_many on DynamoDB: see there).
 * store_errmsg() gives the engine's last message for logs (never NULL).
 *
 * Strings.  Input strings are NUL-terminated UTF-8 (the caller already
 * bounded them); NULL means "" unless said otherwise.  Strings in returned
 * records are owned by the record and freed by its _free function; they are
 * never NULL ("" when absent).  Times are milliseconds since the Unix epoch
 * (wall clock, so several processes agree on leases).
 */
#ifndef SSRFGUARD_STORE_H
#define SSRFGUARD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ssrfguard/error.h"

typedef struct store store;

typedef enum store_sync { STORE_SYNC_FULL = 0, STORE_SYNC_NORMAL = 1 } store_sync;

#define STORE_BUSY_MS 5000
#define STORE_SCHEMA_VERSION 5
/* What a responder of an older ssrfguard that claims in a store of this
 * schema is told (SQLite: schema 5 refuses its claim; it logs this). */
#define STORE_OLDER_CLAIM_REFUSED                                                          \
	"claim refused: this responder is older than the incident store (schema 5); stop it "  \
	"and run the upgraded ssrfguard (docs/fleet.md, Upgrading a table written before "     \
	"holders)"

typedef struct store_opts {
	store_sync sync;  /* default STORE_SYNC_FULL */
	int busy_ms;      /* 0 = STORE_BUSY_MS */
	int readonly;     /* open without creating or migrating */
	int64_t detail_max; /* attempt rows kept per incident; later ones are
	                       aggregated (counted in the incident only);
	                       0 = keep every one */
	int64_t max_bytes;  /* database size past which no attempt row is
	                       added (incidents still are, and every attempt
	                       is still counted); 0 = no cap (SQLite only) */
	const char *state_table; /* non-NULL: the DynamoDB engine on this table
	                            (path is then ignored); created on first use
	                            (CreateTable, waiting for ACTIVE) unless
	                            readonly; without dynamodb:CreateTable the
	                            error names the missing permission */
	const char *region;       /* DynamoDB: NULL = the AWS defaults */
	const char *profile;      /* DynamoDB: NULL = AWS_PROFILE, else default (an
	                             explicit profile wins over the environment's
	                             keys, as for every AWS client: src/aws/aws.h) */
	const char *endpoint_url; /* DynamoDB: NULL = AWS_ENDPOINT_URL or AWS */
	const char *ca_bundle;    /* DynamoDB: NULL = AWS_CA_BUNDLE or the system's */
	const char *spool;        /* DynamoDB: the file (store_spool_path) that keeps
	                             what store_record_many leaves unsettled, read
	                             back at open; NULL: kept in memory only.  See
	                             "Spool" at store_settle */
} store_opts;

/*
 * Open (creating if absent, unless readonly) the database at path, switch it
 * to WAL, set the busy timeout, and create or migrate the schema (PRAGMA
 * user_version; a newer version than STORE_SCHEMA_VERSION is refused).
 * opts may be NULL for the defaults.  *out is NULL on error; err (if
 * errlen > 0) always receives a NUL-terminated message.
 */
sg_err store_open(const char *path, const store_opts *opts, store **out,
                  char *err, size_t errlen);
void store_close(store *s); /* NULL-safe */
const char *store_errmsg(const store *s);

/* ---- identity --------------------------------------------------------- */

/*
 * Every store has an identity: STORE_ID_LEN lower-case hex digits drawn at
 * random (getrandom) once, when the store is created, and never changed
 * (SQLite: the meta table; DynamoDB: the item meta/identity).  A store
 * created by an older ssrfguard gets one at its first read-write open.
 * Incident ids count from 1 in every store; the identity tells two stores'
 * INC-1 apart where AWS sees them (playbook/incname.h: the AWS key
 * "INC-N-STORE", the ssrfguard:store tag).
 *
 * store_identity(): the identity; "" on a read-only handle of a store that
 * has none yet, or when it could not be read (a damaged SQLite file still
 * opens, so that serve can say it fails; the responder runs no incident on
 * a store without an identity).  Never NULL.
 * store_key_identity(): the identity an incident's AWS key carries: the
 * store's, or "" for an incident opened before the store had an identity
 * (by an older ssrfguard, which keyed it "INC-N": it keeps that key, so a
 * playbook in flight finds its own snapshots).  Never NULL.
 */
#define STORE_ID_LEN 16
const char *store_identity(const store *s);
const char *store_key_identity(const store *s, int64_t incident_id);

/* ---- incident states -------------------------------------------------- */

typedef enum store_state {
	STORE_LOGGED = 0,
	STORE_OPEN,
	STORE_CONTAINING,
	STORE_CONTAINED,
	STORE_FAILED,
	STORE_RELEASED,
	STORE_CLOSED,
	STORE_STATE__COUNT
} store_state;

/* "logged", "open", ...; "?" for an unknown value; never NULL. */
const char *store_state_name(store_state st);
/* Parse a state name (exact, lower case).  SG_ERR_PARSE if unknown. */
sg_err store_state_parse(const char *name, store_state *out);
/* 1 if the table above allows from -> to, else 0. */
int store_state_allowed(store_state from, store_state to);

/* ---- recording attempts ----------------------------------------------- */

/* One blocked request, as the service saw it.  Every string may be NULL. */
typedef struct store_attempt_in {
	int64_t at_ms;           /* 0 = now */
	const char *client;      /* source address without port: the join key;
	                            required (non-empty) */
	const char *request;     /* request line, e.g. "GET /go?url=... HTTP/1.1" */
	const char *headers;     /* JSON object of the headers of note */
	const char *url;         /* the raw URL that was fetched (this hop's) */
	const char *dest;        /* normalised destination, "host:port" */
	const char *category;    /* sg_category_name() */
	const char *rule;        /* the rule that fired */
	const char *reason;      /* one sentence */
	int hop;                 /* 0 = the URL itself, n = n-th redirect */
	const char *addrs;       /* JSON array of the resolved/judged addresses */
	const char *instance_id; /* where it happened (from config or IMDSv2) */
	const char *region;
	const char *az;
	int contain;             /* 1: this attempt's severity asks for
	                            containment (opens/escalates to "open");
	                            0: "logged" only */
	const char *join;        /* the join key (1..255 bytes); NULL: "source:"
	                            + client.  The intake uses "instance:" + id */
	int observe;             /* an incident this attempt opens is marked
	                            observe-only: store_claim(want 0) never
	                            picks it, only a claim that names it */
} store_attempt_in;

/* What happened to one recorded attempt. */
typedef struct store_record_out {
	int64_t incident_id;
	int64_t attempt_id;
	int opened;              /* 1 if this attempt opened the incident */
	int escalated;           /* 1 if it moved a logged incident to open */
	int aggregated;          /* 1 if only counted in its incident (attempts,
	                            updated_ms): no attempt row, attempt_id 0 —
	                            detail_max reached or the store is full */
	int unsettled;           /* 1 if it may be recorded (at most once) but no
	                            answer said so (DynamoDB: its transaction
	                            stayed unanswered); incident_id is then 0 */
	int kept;                /* unsettled: the handle keeps it, and store_settle
	                            will say what became of it (and its spool
	                            holds it); 0: it could not (1024 kept already,
	                            or no memory): nothing settles it */
	int64_t maybe_incident_id; /* unsettled: the incident it is in if it was
	                            recorded (the incident it would join, or the
	                            id allocated for the one it would open: no
	                            other attempt opens that one); 0 otherwise */
} store_record_out;

/* The database's size in bytes (pages in use, WAL not included).
 * SG_ERR_UNSUPPORTED on DynamoDB (no byte cap there). */
sg_err store_size(store *s, int64_t *bytes);

/*
 * Record one attempt: joins the source's active incident (attempts += 1,
 * updated), else opens a new incident in state "open" (contain = 1) or
 * "logged"; a containment attempt joining a "logged" incident escalates it
 * to "open" through the transition history.  Committed before return.
 * out may be NULL.
 */
sg_err store_record(store *s, const store_attempt_in *a, store_record_out *out);

/*
 * Record n attempts in ONE transaction (one fsync): the service's group
 * commit.  out is NULL or an array of n.  SQLite: all or nothing: on error
 * none is recorded.  DynamoDB: chunks in order, each ONE TransactWriteItems
 * (at most 100 actions and 4 MB of items: up to 96 attempts of one source
 * per chunk, fewer when they name several sources or carry large evidence),
 * so each chunk is all or nothing; an error stops at the chunk that failed
 * and the chunks before it stay recorded.  On both engines, on error
 * out[i].incident_id != 0 exactly for the attempts that were recorded (a
 * prefix of the batch; store_errmsg says how many): those are done, and only
 * the others may be recorded again.  A chunk resent after a lost answer is
 * not applied twice (it has a ClientRequestToken of its own); one still
 * unanswered after the client's resends is sent again, same token, twice
 * more (0.5 s and 1 s later), so an answer settles whether it took effect.
 * Unanswered even then, the call fails and store_errmsg says "the next K
 * unanswered": those K attempts (after the recorded prefix) may be in the
 * store, at most once: their out[] entries are zero but for unsettled = 1
 * and maybe_incident_id, the only incident they can be in.  The handle
 * keeps them (their transaction and token, copies of the attempts) until
 * store_settle says what became of them.
 */
sg_err store_record_many(store *s, const store_attempt_in *a, size_t n,
                         store_record_out *out);

/* What store_settle found for one unsettled attempt. */
typedef enum store_settled_how {
	STORE_SETTLED_RECORDED,     /* in incident_id, once: its transaction had
	                               taken effect, or took effect when resent
	                               with its token */
	STORE_SETTLED_RERECORDED,   /* its transaction had not taken effect (the
	                               resend's conditions no longer held, which a
	                               transaction that had taken effect would not
	                               be asked): recorded anew, in incident_id */
	STORE_SETTLED_NOT_RECORDED, /* had not taken effect, and recording it anew
	                               failed (store_errmsg) */
	STORE_SETTLED_UNKNOWN,      /* no answer within the 9 minutes its token is
	                               surely honoured, and its attempt item
	                               could not be read back (the read failed
	                               for 5 minutes, or it has none: only
	                               counted): given up, maybe recorded (at
	                               most once) in incident_id */
} store_settled_how;

typedef struct store_settled {
	store_settled_how how;
	int64_t incident_id;   /* where it is (RECORDED, RERECORDED) or may be */
	int contain;           /* the attempt asks for containment */
	int opened, escalated; /* as store_record_out, for RECORDED and RERECORDED */
	int64_t at_ms;         /* when it was blocked */
	char client[64];       /* its source, truncated */
	char url[512];         /* its URL (attacker text: escape it), truncated */
} store_settled;

/*
 * Settle what store_record_many left unsettled on this handle: each kept
 * transaction is resent with its ClientRequestToken ("multiple identical
 * calls have the same effect as one single call", within 10 minutes: API
 * reference, TransactWriteItems).  Success: recorded, once.  Cancelled on
 * a condition: it had not taken effect (one that had would answer success)
 * and its attempts are recorded anew.  No answer, a conflict, any other
 * error: kept for a later call, for 9 minutes after it was first sent.
 * Past that window (a resend could be a new request) its first attempt
 * item is read back, strongly consistent: present, RECORDED; absent, it
 * never took effect and is sent again under a new token (settled as above:
 * once); the read failing for 5 minutes, or no attempt item to read (its
 * attempts only counted), UNKNOWN.  At most max outcomes into out (a transaction's
 * attempts only when all fit), *n of them.  SQLite never leaves any:
 * *n = 0.  store_unsettled: how many attempts are kept now.
 */
sg_err store_settle(store *s, store_settled *out, size_t max, size_t *n);
size_t store_unsettled(const store *s);
/* "recorded", "recorded_anew", "not_recorded", "unknown". */
const char *store_settled_name(store_settled_how how);
/* One settled attempt as a log sentence, its outcome first; when it is not
 * (surely) in the store, its URL too, escaped. */
void store_settled_describe(const store_settled *r, char *msg, size_t cap);

/*
 * Spool.  With store_opts.spool, every chunk left unsettled is appended to
 * that file and fdatasync'd before store_record_many returns, and the file
 * is rewritten to what is still kept whenever store_settle settles some
 * (removed when nothing is).  The next open of the store with that spool
 * reads it back: its attempts are kept again, settled by store_settle as if
 * this handle had left them (resent with their token within 9 minutes of
 * their first sending; after, read back as store_settle says, never resent
 * with the old token: that would be a new request).  So a process stopped or
 * killed with unsettled attempts loses none.  One process per spool: a
 * lock file beside it (PATH.lock); a second open runs without (its
 * store_spool_note says so), as does one that cannot create the lock.  A
 * spool that cannot be read (a newer version, another table, a malformed
 * line) fails the open and names the file: nothing in it is dropped unseen.
 * Bounded: at most 1024 attempts are kept, in a spool of at most 64 MiB.
 *
 * store_spool_path: "STORE_PATH.unsettled-ROLE" beside the SQLite file
 * store_path names (each role of each store path its own spool).
 * store_spool_note: why the handle has no spool or why its last write
 * failed (its attempts then live in memory only), or what its open left
 * out; "" when none; *kept (may be NULL) = 1 when a spool keeps the
 * unsettled attempts now (the SQLite engine never leaves any: 1).  store_unsettled_each: each attempt kept now, oldest
 * first, with the incident it would be in and when it was first sent.
 */
void store_spool_path(const char *store_path, const char *role, char *buf, size_t cap);
const char *store_spool_note(const store *s, int *kept);
void store_unsettled_each(const store *s,
                          void (*fn)(void *ctx, const store_attempt_in *a,
                                     int64_t maybe_incident_id, int64_t sent_ms),
                          void *ctx);

/*
 * Record one attempt and claim its incident for owner, atomically: no other
 * claimer can take a newly opened incident in between (respond --instance;
 * with a->observe, respond --observe --instance).  The attempt is recorded
 * whatever the claim's outcome.  SG_ERR_BUSY: it joined an incident another
 * live lease holds; SG_ERR_STATE: it joined one that cannot be claimed
 * (failed, contained, logged...); out->incident_id is set in both cases.
 */
sg_err store_record_claim(store *s, const store_attempt_in *a, const char *owner,
                          int64_t lease_ms, store_record_out *out);

/* ---- the one transition function -------------------------------------- */

/*
 * A change of an incident's state (step == NULL) or of one journal step's
 * status (step != NULL).  Both are persisted with a history row
 * (incident, step, from, to, reason, actor, time) in one transaction.
 */
typedef struct store_change {
	int64_t incident_id;
	const char *step;      /* NULL: the incident itself; else a step name
	                          ([a-z0-9_.-], 1..63 bytes) */
	const char *to;        /* incident: a store_state_name(); step: a status
	                          word of the responder's choosing ([a-z_],
	                          1..31 bytes: pending, running, done, failed,
	                          skipped, ...) */
	const char *from;      /* NULL: any; else compare-and-set: the change
	                          happens only if the current state/status is
	                          exactly this (a step that does not exist yet
	                          has status "") -> SG_ERR_STATE otherwise */
	const char *reason;    /* why; required, non-empty */
	const char *actor;     /* who: a responder's owner id, "serve",
	                          "operator:NAME"; required, non-empty */
	const char *data;      /* step only: new JSON blob; NULL keeps it */
	int bump_attempts;     /* step only: attempts += 1 (a try started) */
	int force;             /* incident: an operator may override the lease
	                          of a "containing" incident; step: evidence
	                          that is no playbook step (the queue intake's
	                          "finding") is written despite another's lease */
} store_change;

/*
 * Apply one change.  Incident: the move must be allowed by the table;
 * leaving "containing" requires actor == the lease owner (or force, or an
 * expired lease) else SG_ERR_BUSY; entering "containing" is store_claim's
 * job (SG_ERR_INVAL here); leaving "containing" clears the lease.  Step:
 * the incident must exist (SG_ERR_NOTFOUND); if the incident is
 * "containing" and actor is not the lease owner, SG_ERR_BUSY (a responder
 * that lost its lease must stop writing) unless force; a missing step row
 * is created.
 * A change to the same state/status is allowed and still journaled (a
 * retry of a step, data updated).
 */
sg_err store_transition(store *s, const store_change *c);

/* ---- claiming work ---------------------------------------------------- */

/*
 * Atomically claim an incident needing containment (want 0: never one
 * marked observe-only): state "open", or
 * "containing" whose lease expired (a crashed responder: take-over, the
 * history says so) or is already held by owner (a restarted responder
 * with the same owner id resumes at once).  want 0: the oldest such
 * incident; want > 0: that one (respond --instance, incidents retry).
 * The winner gets state "containing", lease owner = owner, lease_until =
 * now + lease_ms, one history row, in one transaction; exactly one of
 * several concurrent claimers (threads or processes) gets a given
 * incident.  *incident_id gets the id claimed.
 * SG_ERR_NOTFOUND when nothing is claimable (want 0) or want is unknown;
 * with want: SG_ERR_BUSY when another live lease holds it, SG_ERR_STATE
 * in any other state.
 */
sg_err store_claim(store *s, int64_t want, const char *owner, int64_t lease_ms,
                   int64_t *incident_id);

/* Extend a held lease.  SG_ERR_BUSY if owner no longer holds it. */
sg_err store_renew(store *s, int64_t incident_id, const char *owner,
                   int64_t lease_ms);

/* ---- which incident holds an instance --------------------------------- */

/*
 * Several incidents may name one instance (serve joins its attempts by
 * source address, the intake by instance; retries, operators).  At most one
 * of them *holds* the instance at a time, and only the holder's responder
 * runs the playbook on it; every other is closed as merged into it.  The
 * hold is one keyed record per instance (SQLite: a row of `holders`;
 * DynamoDB: the item instance#ID / holder, docs/fleet.md), so finding the
 * holder reads one key however many incidents the store has.
 *
 * store_hold: incident_id, "containing" under owner's lease, takes the
 * instance it names unless another incident holds it, atomically.  SG_OK:
 * *holder is the incident that holds the instance now: incident_id itself
 * (it did already; nobody did; or the holder no longer holds: failed,
 * released, closed, or gone), or another incident (nothing was written).
 * Errors (*holder 0): SG_ERR_STATE, the incident is not "containing" under
 * owner's lease (lost it); SG_ERR_INVAL, it names no instance;
 * SG_ERR_NOTFOUND, no such incident; SG_ERR_BUSY, the store stayed busy.  An incident keeps its hold while it is open (a responder gave
 * it back to resume later), containing or contained; the transition that
 * moves it to failed, released or closed ends the hold in the same
 * transaction (store_transition).  A store written before holds existed
 * gets one for each incident then containing or contained (oldest first)
 * when it is first opened read-write.
 */
sg_err store_hold(store *s, int64_t incident_id, const char *owner, int64_t *holder);

/*
 * Whether store_hold may hand out holds on this handle's store: SG_OK, or
 * SG_ERR_BUSY while a DynamoDB table written before holders waits for its
 * upgrade because responders of an older ssrfguard hold live leases on it
 * (they write no holder item, and cannot be changed to check): store_errmsg
 * names them (incident, owner, seconds left).  Each call looks again and
 * upgrades the table once none is left; store_hold makes the same check.
 * A responder calls it before it starts (docs/fleet.md, "Upgrading").
 */
sg_err store_holds_ready(store *s);

/* 1 if an incident in state st keeps the hold it has (open, containing,
 * contained), else 0. */
int store_state_holds(store_state st);

/* ---- reading ---------------------------------------------------------- */

typedef struct store_incident {
	int64_t id;
	store_state state;
	char *state_reason;      /* reason of the last state change */
	char *source;            /* client address */
	char *category;          /* of the first attempt */
	char *rule;
	char *dest;
	char *instance_id, *region, *az;
	int contain;             /* asks for containment (ever escalated) */
	int64_t attempts;        /* number of attempts joined */
	int64_t opened_ms, updated_ms, state_ms;
	char *lease_owner;       /* "" when not held */
	int64_t lease_until_ms;  /* 0 when not held */
	int observe;             /* opened observe-only (see store_attempt_in) */
	int lease_old;           /* 1: under a live lease taken by a responder of
	                            an older ssrfguard, one that writes no holder
	                            items (DynamoDB: its lease is unmarked,
	                            store_holds_ready); stop it */
} store_incident;

typedef struct store_attempt {
	int64_t id, incident_id, at_ms;
	char *client, *request, *headers, *url, *dest, *category, *rule,
	     *reason, *addrs, *instance_id, *region, *az;
	int hop, contain;
} store_attempt;

typedef struct store_step {
	int64_t incident_id;
	char *name, *status, *data;  /* data "" when never set */
	int64_t attempts, updated_ms;
} store_step;

typedef struct store_history {
	int64_t id, incident_id, at_ms;
	char *step;                  /* "" for the incident's own state */
	char *from, *to, *reason, *actor;
} store_history;

/* One incident.  SG_ERR_NOTFOUND if absent.  Free with store_incident_free. */
sg_err store_get(store *s, int64_t id, store_incident *out);
void store_incident_free(store_incident *inc); /* frees the strings only */

/*
 * One page of incidents, newest first: those with an id below `before` (0:
 * from the newest), at most limit (0 = STORE_PAGE).  state < 0: every
 * state; else only that state.  The next page is the one below the last id
 * returned, until a page comes back short (fewer than limit).  Paging by
 * id never shows an incident twice and never skips one that keeps its
 * state (one opened meanwhile is newer: it is on no later page).  *out is a
 * malloc'd array of *n (NULL when 0) freed by store_incidents_free.
 */
#define STORE_PAGE 1000
sg_err store_list(store *s, int state, int64_t before, size_t limit, store_incident **out,
                  size_t *n);
void store_incidents_free(store_incident *arr, size_t n);

/*
 * Every incident (state < 0) or every one in state, newest first, read a
 * page at a time (at most STORE_PAGE of them in memory): each() gets each
 * in turn (the record is freed after it returns); any code but SG_OK from
 * it stops the walk with that code.
 */
sg_err store_each_incident(store *s, int state,
                           sg_err (*each)(void *ctx, const store_incident *inc), void *ctx);

/* How many incidents there are (state < 0) or in state, into *n. */
sg_err store_count(store *s, int state, int64_t *n);

/* An incident's attempts, oldest first, at most limit (0 = 1000). */
sg_err store_attempts(store *s, int64_t incident_id, size_t limit,
                      store_attempt **out, size_t *n);
void store_attempts_free(store_attempt *arr, size_t n);

/* An incident's journal steps, by name.  One step: store_step_get
 * (SG_ERR_NOTFOUND if that step has no row yet). */
sg_err store_steps(store *s, int64_t incident_id, store_step **out, size_t *n);
sg_err store_step_get(store *s, int64_t incident_id, const char *name,
                      store_step *out);
void store_step_free(store_step *st);          /* strings only */
void store_steps_free(store_step *arr, size_t n);

/* An incident's transition history, oldest first. */
sg_err store_history_list(store *s, int64_t incident_id, store_history **out,
                          size_t *n);
void store_history_free(store_history *arr, size_t n);

/* Counts for /metrics: incidents per state (array of STORE_STATE__COUNT).
 * On DynamoDB a strongly consistent Query of every incident: not for a
 * health probe (store_ping). */
sg_err store_count_states(store *s, int64_t counts[STORE_STATE__COUNT]);

/* Whether the store can be read now, at the cost of one small read, for a
 * health check a load balancer polls: SQLite reads the newest incident's
 * id (a store removed or corrupted since the open fails), DynamoDB the one
 * item meta/identity (GetItem, eventually consistent: half a read unit).
 * The reason of a failure in store_errmsg. */
sg_err store_ping(store *s);

#endif
