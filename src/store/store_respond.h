/*
 * store_respond.h — store operations added for the responder (respond
 * area), on top of store.h.
 *
 * store_claim_id: claim incident id for owner, exactly like store_claim
 * (state -> containing, lease owner and expiry, one history row, one
 * transaction) but for a chosen incident.  Claimable: "open", or
 * "containing" whose lease expired or is already held by owner (a
 * restarted responder with the same owner id resumes at once).
 * SG_ERR_NOTFOUND unknown id; SG_ERR_BUSY held by another live lease;
 * SG_ERR_STATE any other state.
 */
#ifndef SSRFGUARD_STORE_RESPOND_H
#define SSRFGUARD_STORE_RESPOND_H

#include "store/store.h"

sg_err store_claim_id(store *s, int64_t id, const char *owner, int64_t lease_ms);

#endif
