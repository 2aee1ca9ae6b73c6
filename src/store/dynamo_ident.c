/* dynamo_ident.c — the store's identity on DynamoDB (store.h): the item
 * pk "meta", sk "identity" {store_id, first_keyed}, written once, by the
 * first read-write opener (docs/fleet.md, "Shared state"). */
#include "store/dynamo_int.h"

#include <stdio.h>
#include <string.h>

/* One try at writing it: the identity item exactly when there is none, and
 * only while the counter still is at `next` (an incident opened meanwhile
 * would fall on the wrong side of first_keyed).  SG_ERR_STATE: another
 * opener or an incident came first: read again. */
static sg_err put_identity(dd_store *s, bool counted, int64_t next, const char id[STORE_ID_LEN + 1])
{
	dd_tx t = {0};
	int failed;
	json_t *item = json_pack("{s:{s:s},s:{s:s},s:o,s:o,s:o}", "pk", "S", "meta", "sk", "S",
	                         "identity", "store_id", dd_s(id), "first_keyed", dd_n(next + 1),
	                         "created_ms", dd_n(sg_wall_ms()));
	dd_tx_add(&t, "Put", item, NULL, "attribute_not_exists(pk)", NULL, NULL);
	dd_tx_add(&t, "ConditionCheck", dd_key("meta", "counter"), NULL,
	          counted ? "next_id = :n" : "attribute_not_exists(pk)", NULL,
	          counted ? json_pack("{s:o}", ":n", dd_n(next)) : NULL);
	return dd_tx_run(s, &t, &failed);
}

sg_err dd_identity(dd_store *s, bool readonly, char *err, size_t errlen)
{
	s->base.first_keyed = INT64_MAX;
	sg_err rc = SG_OK;
	for (int round = 0; round < DD_ROUNDS; round++) {
		json_t *it = NULL;
		rc = dd_get_item(s, "meta", "identity", &it);
		if (!rc) {
			const char *id = aws_ddb_str(it, "store_id");
			int64_t first = aws_ddb_num(it, "first_keyed");
			bool ok = id && strlen(id) == STORE_ID_LEN &&
			          strspn(id, "0123456789abcdef") == STORE_ID_LEN && first > 0;
			if (ok) {
				memcpy(s->base.identity, id, STORE_ID_LEN + 1);
				s->base.first_keyed = first;
			}
			json_decref(it);
			if (ok)
				return SG_OK;
			snprintf(err, errlen, "DynamoDB table %s: the item meta/identity is malformed "
			         "(store_id: 16 lower-case hex digits, first_keyed > 0)", s->table);
			return SG_ERR_CORRUPT;
		}
		if (rc != SG_ERR_NOTFOUND)
			goto fail;
		if (readonly) /* written by the first read-write opener */
			return SG_OK;
		json_t *ctr = NULL;
		rc = dd_get_item(s, "meta", "counter", &ctr);
		bool counted = rc == SG_OK;
		int64_t next = counted ? aws_ddb_num(ctr, "next_id") : 0;
		json_decref(ctr);
		if (rc && rc != SG_ERR_NOTFOUND)
			goto fail;
		char id[STORE_ID_LEN + 1];
		if ((rc = store_new_identity(id)))
			goto fail;
		rc = put_identity(s, counted, next, id);
		if (rc == SG_ERR_STATE || rc == SG_ERR_BUSY)
			continue; /* read what the winner wrote, or try at the new count */
		if (rc)
			goto fail;
		memcpy(s->base.identity, id, sizeof id);
		s->base.first_keyed = next + 1;
		return SG_OK;
	}
	snprintf(err, errlen, "DynamoDB table %s: the store's identity: lost %d races in a row",
	         s->table, DD_ROUNDS);
	return SG_ERR_BUSY;
fail:
	snprintf(err, errlen, "DynamoDB table %s: the store's identity (meta/identity): %s",
	         s->table, store_errmsg(&s->base));
	return rc;
}
