/*
 * retry.h — the SDKs' "standard" retry mode, as pure arithmetic.
 *
 * Attempt i (1-based) that failed retryably waits
 *     min(cap, base * 2^(i-1)) * r,  r uniform in [0,1)   (full jitter)
 * and a retry quota (500 tokens; a retry costs 5, a timeout/connection
 * retry 10; a success refunds 1, or the cost of the retry that succeeded)
 * stops retry storms when a service is down.  The caller owns the clock and
 * the random numbers, so this module is deterministic under test.
 */
#ifndef SG_AWS_RETRY_H
#define SG_AWS_RETRY_H

#include <stdbool.h>

enum aws_failure {
	AWS_FAIL_NONE = 0,      /* success */
	AWS_FAIL_THROTTLE,      /* throttling code: the request was refused */
	AWS_FAIL_TRANSIENT,     /* 5xx / transient code: may have been processed */
	AWS_FAIL_CONNECT,       /* could not connect: certainly not processed */
	AWS_FAIL_IO,            /* connection dropped / timed out after sending */
	AWS_FAIL_FATAL,         /* a client error: retrying cannot help */
};

struct aws_retry {
	unsigned base_ms;       /* 1000 in the SDKs */
	unsigned cap_ms;        /* 20000 in the SDKs */
	int max_attempts;       /* AWS_MAX_ATTEMPTS, default 3 */
	int quota;              /* starts at 500 */
	int last_cost;          /* cost of the retry in flight */
};

void aws_retry_init(struct aws_retry *r, int max_attempts, unsigned base_ms, unsigned cap_ms);

/*
 * Decide after attempt `attempt` (1-based) failed with `f`.  `idempotent`
 * false means a repeated request could act twice: then only failures that
 * prove the request was not processed (throttling, could not connect) are
 * retried.  Returns true and sets *delay_ms (jitter from `rand01` in
 * [0,1)) to retry; false to give up.
 */
bool aws_retry_next(struct aws_retry *r, int attempt, enum aws_failure f, bool idempotent,
                    double rand01, unsigned *delay_ms);
/* Record a success (refunds the quota). */
void aws_retry_success(struct aws_retry *r);

#endif
