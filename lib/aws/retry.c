/* retry.c — standard-mode retry decisions (see retry.h). */
#include "aws/retry.h"

#define QUOTA_START 500
#define COST_RETRY 5
#define COST_TIMEOUT 10

void aws_retry_init(struct aws_retry *r, int max_attempts, unsigned base_ms, unsigned cap_ms)
{
	r->max_attempts = max_attempts > 0 ? max_attempts : 3;
	r->base_ms = base_ms ? base_ms : 1000;
	r->cap_ms = cap_ms ? cap_ms : 20000;
	r->quota = QUOTA_START;
	r->last_cost = 0;
}

bool aws_retry_next(struct aws_retry *r, int attempt, enum aws_failure f, bool idempotent,
                    double rand01, unsigned *delay_ms)
{
	*delay_ms = 0;
	if (f == AWS_FAIL_NONE || f == AWS_FAIL_FATAL)
		return false;
	if (attempt >= r->max_attempts)
		return false;
	/* A request that may have been processed is not re-sent unless it is
	 * safe to do twice. */
	if (!idempotent && (f == AWS_FAIL_TRANSIENT || f == AWS_FAIL_IO))
		return false;
	int cost = (f == AWS_FAIL_IO || f == AWS_FAIL_CONNECT) ? COST_TIMEOUT : COST_RETRY;
	if (r->quota < cost)
		return false;
	r->quota -= cost;
	r->last_cost = cost;
	double ceiling = r->base_ms;
	for (int i = 1; i < attempt && ceiling < r->cap_ms; i++)
		ceiling *= 2;
	if (ceiling > r->cap_ms)
		ceiling = r->cap_ms;
	if (rand01 < 0)
		rand01 = 0;
	if (rand01 >= 1)
		rand01 = 0.999999;
	*delay_ms = (unsigned)(ceiling * rand01);
	return true;
}

void aws_retry_success(struct aws_retry *r)
{
	r->quota += r->last_cost ? r->last_cost : 1;
	if (r->quota > QUOTA_START)
		r->quota = QUOTA_START;
	r->last_cost = 0;
}
