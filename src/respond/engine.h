/*
 * engine.h — the engine: drives one claimed incident through the playbook
 * (lib/playbook decides the order; the engine persists every step state
 * through the store and retries a failed step with backoff).  Internal to
 * src/respond.
 */
#ifndef SSRFGUARD_RESPOND_ENGINE_H
#define SSRFGUARD_RESPOND_ENGINE_H

#include <stddef.h>

#include "ssrfguard/error.h"

typedef struct rsp_run rsp_run;

/*
 * Run a claimed incident to its end (x has st, aws, r, cfg, id set; the
 * incident is "containing" under x->r->owner).  *outcome gets
 * "contained", "partial", "failed", "observed", "merged" or "stopped".
 * RSP_STOP-like give-back is an SG_OK-or-error return with "stopped".
 */
sg_err rsp_run_claimed(rsp_run *x, char *outcome, size_t outlen);

#endif
