/*
 * deliver.h — the detector side of the off-box split: send every incident
 * that asks for containment from the local store to a remote responder
 * (`ssrfguard respond --deliver-to URL` beside `serve` on the web host,
 * which then needs no AWS permissions at all).  Prefix: respond_deliver_.
 *
 * Each "open" incident is POSTed (HTTPS, the responder's certificate
 * verified against ca_bundle) to URL with the sign.h headers, naming the
 * incident's instance as the sender: key_file is then this host's own key
 * (`respond --derive-key INSTANCE` on the responder), or the one shared
 * key of a responder run with `--listen-keys shared`.  The result
 * is kept in the incident's journal as step "deliver": "done" with the
 * responder's incident id once acknowledged (2xx), else "retry" with the
 * error and the time of the next try (exponential backoff, 1 s doubling
 * to max_backoff_ms).  Undelivered incidents survive restarts in the store
 * and are retried until acknowledged; an acknowledged one is never sent
 * again.
 *
 * With an SQS queue URL (aws/sqs.h) instead, each incident is the body of
 * one SendMessage (unsigned: the queue policy says who may send), its
 * acknowledgement SQS's message id; on a FIFO queue the message group is
 * the instance and the deduplication id "DETECTOR-N", so SQS itself drops
 * a resend within five minutes, and on a standard queue the responder's
 * join key (detector:NAME/N) makes a duplicate join the same incident.
 */
#ifndef SSRFGUARD_RESPOND_DELIVER_H
#define SSRFGUARD_RESPOND_DELIVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssrfguard/error.h"

/* A key file of the HTTPS channel (raw bytes, trailing newlines dropped,
 * at least RSIG_KEY_MIN, at most RESPOND_KEY_MAX read): SG_ERR_IO when it
 * cannot be opened, SG_ERR_INVAL when short; msg says which file. */
#define RESPOND_KEY_MAX 1024
sg_err respond_key_read(const char *path, uint8_t key[RESPOND_KEY_MAX], size_t *len, char *msg,
                        size_t msglen);

typedef struct respond_deliver_config {
	const char *store_path;
	const struct respond_config *rcfg; /* NULL, or the store as it names it (its
	                                      state table: respond_store_open) */
	const char *url;          /* https://responder:8443/v1/incidents */
	const char *key_file;     /* this host's HMAC key (HTTPS only) */
	const char *ca_bundle;    /* CA for the responder's certificate (NULL: system) */
	const char *detector;     /* our name (NULL: hostname) */
	unsigned poll_ms;         /* 0: 1000 */
	unsigned max_backoff_ms;  /* 0: 60000 */
	const char *region;       /* SQS: the AWS client's (NULL: its default chain) */
	const char *profile;
	const char *endpoint_url;
	/* each delivery and retry, one line (NULL: "deliver: ..." on stderr) */
	void (*log)(void *ctx, const char *level, const char *message);
	void *log_ctx;
} respond_deliver_config;

/* Until *stop; with once, return after one pass (tests).  Returns SG_OK,
 * or the first setup error (store, key). */
sg_err respond_deliver_loop(const respond_deliver_config *cfg, atomic_int *stop, bool once,
                            char *msg, size_t msglen);

#endif
