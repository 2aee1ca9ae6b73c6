/*
 * storetest.h — fixtures of the DynamoDB store tests (run under
 * with_emulator.py): a store on a table of its own, and a batch of
 * metadata attempts as serve records them.  Header-only; include after
 * test.h.
 */
#ifndef SG_TEST_AWS_STORETEST_H
#define SG_TEST_AWS_STORETEST_H

#include <stdio.h>
#include <unistd.h>

#include "store/store.h"

/* A store on a new table, "ssrfguard-NAME-PID-N" (N counts the calls). */
static inline store *fresh_store(const char *name)
{
	static int nth;
	char table[64], err[512];
	snprintf(table, sizeof table, "ssrfguard-%s-%d-%d", name, (int)getpid(), nth++);
	store_opts o = {.state_table = table};
	store *s = NULL;
	CHECKF(store_open(NULL, &o, &s, err, sizeof err) == SG_OK, "%s", err);
	return s;
}

/* n attempts on the metadata service from client, at_ms one apart. */
static inline void metadata_batch(store_attempt_in *a, size_t n, const char *client)
{
	for (size_t i = 0; i < n; i++)
		a[i] = (store_attempt_in){
			.client = client, .request = "GET /go?url=x HTTP/1.1",
			.url = "http://169.254.169.254/", .dest = "169.254.169.254:80",
			.category = "metadata", .rule = "metadata:aws-imds", .reason = "r",
			.instance_id = "i-1", .region = "us-east-1", .contain = 1,
			.at_ms = 1700000000000 + (int64_t)i,
		};
}

#endif
