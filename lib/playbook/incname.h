/*
 * incname.h — an incident's names (pure).
 *
 * For people, an incident is "INC-N": N is its store's counter, from 1.
 * Wherever an operator names one (respond --incident, incidents ID, the
 * dashboard, forensics --incident) "N" and "INC-N" mean the same incident;
 * pb_incident_id_parse() is the one reader of both.
 *
 * For AWS, N alone is not enough: every store counts from 1, and AWS keeps
 * snapshots, SSM commands and ClientTokens of an account for a long time.
 * So each store has an identity of its own (16 lower-case hex digits,
 * drawn at random when the store is created, store.h), and an incident's
 * AWS key is "INC-N-STORE": the seed of its ClientTokens, its SSM comments,
 * its S3 prefixes, its case on the forensic instance.  Its resources are
 * tagged IncidentId=INC-N (for people) and ssrfguard:store=STORE; every tag
 * filter asks for both.  An incident opened before its store had an
 * identity keeps the key "INC-N" and is found by IncidentId alone, as
 * before (docs/respond.md, "Incident names").
 */
#ifndef SSRFGUARD_PLAYBOOK_INCNAME_H
#define SSRFGUARD_PLAYBOOK_INCNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssrfguard/error.h"

#define PB_STORE_ID_LEN 16
#define PB_INCIDENT_ID_MAX (INT64_C(1) << 62) /* beyond any store's counter */
/* "INC-" + 19 digits + "-" + 16 hex digits + NUL fits */
#define PB_INCIDENT_KEY_MAX 48

typedef struct pb_incident_ref {
	int64_t n;                       /* 1 .. PB_INCIDENT_ID_MAX */
	char store[PB_STORE_ID_LEN + 1]; /* "" when the text named none */
} pb_incident_ref;

/*
 * Read an incident named by an operator or a peer (s: len bytes, untrusted,
 * no NUL needed): "N", "INC-N" or, with allow_store, "INC-N-STORE".  N is
 * decimal digits without a sign (leading zeros read as the number: "007"
 * is 7), 1 .. PB_INCIDENT_ID_MAX.
 * SG_ERR_PARSE (and why, if whylen > 0, one phrase to follow "'X': ")
 * for anything else; out is zeroed then.
 */
sg_err pb_incident_id_parse(const char *s, size_t len, bool allow_store, pb_incident_ref *out,
                            char *why, size_t whylen);

/* The same without a store, as a number: "7" or "INC-7" -> 7 (what every
 * command line takes); 0 for anything else (NULL included). */
int64_t pb_incident_id(const char *s);

/* "INC-N" into out (cap >= 24 holds every N). */
void pb_incident_name(int64_t n, char *out, size_t cap);

/* The AWS key: "INC-N-STORE", or "INC-N" when r->store is "" (cap >=
 * PB_INCIDENT_KEY_MAX holds every key). */
void pb_incident_key(const pb_incident_ref *r, char *out, size_t cap);

/* 1 if s is a store identity: exactly PB_STORE_ID_LEN lower-case hex digits. */
bool pb_store_id_ok(const char *s);

#endif
