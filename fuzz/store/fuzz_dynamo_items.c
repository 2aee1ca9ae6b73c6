/* fuzz_dynamo_items.c — items of the shared DynamoDB table (docs/fleet.md,
 * "Shared state") read into incidents, attempts, steps and history rows:
 * any other writer of the table controls them.  Input: one item in the
 * API's AttributeValue form, decoded as every kind. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ddb.h"
#include "store/dynamo_int.h"

static void must_str(const char *s)
{
	if (!s)
		abort(); /* "" when absent, never NULL */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *it = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(it)) {
		json_decref(it);
		return 0;
	}
	store_incident inc;
	memset(&inc, 0, sizeof inc);
	if (dd_fill_incident(it, &inc) == SG_OK) {
		must_str(inc.state_reason);
		must_str(inc.instance_id);
		must_str(inc.lease_owner);
		if ((int)inc.state < 0 || inc.state > STORE_STATE__COUNT)
			abort();
		store_incident_free(&inc);
	}
	store_attempt a;
	memset(&a, 0, sizeof a);
	if (dd_fill_attempt(it, &a) == SG_OK) {
		must_str(a.url);
		must_str(a.headers);
		store_attempt_clear(&a);
	}
	store_step st;
	memset(&st, 0, sizeof st);
	sg_err rc = dd_fill_step(it, &st);
	if (rc == SG_OK) {
		const char *sk = aws_ddb_str(it, "sk");
		if (strncmp(sk, "step#", 5) || strcmp(st.name, sk + 5))
			abort();
		must_str(st.status);
		must_str(st.data);
		store_step_free(&st);
	} else if (rc != SG_ERR_PROTOCOL && rc != SG_ERR_NOMEM) {
		abort();
	}
	store_history h;
	memset(&h, 0, sizeof h);
	if (dd_fill_history(it, 6, &h) == SG_OK) {
		if (h.id != 7)
			abort();
		must_str(h.reason);
		store_history_clear(&h);
	}
	json_decref(it);
	return 0;
}
