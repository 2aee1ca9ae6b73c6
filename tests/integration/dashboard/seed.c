/* seed.c — `dashboard-seed STORE`: record hostile attempts (markup, quotes,
 * control bytes, invalid UTF-8, CRLF) as two incidents, and journal steps
 * whose AWS calls, evidence and forensic examination (findings, YARA
 * matches, persistence places) are hostile too, and one step of each
 * other state a step ends in (off, skipped), for test_dashboard.py and
 * test_browser.py.
 *
 * `dashboard-seed STORE MANY`: MANY more incidents, each of its own hostile
 * source (markup, a quote, a CRLF, invalid UTF-8) and destination, written
 * straight to the store in batches (seconds for thousands, where as many
 * blocked requests through serve would take minutes): the paged list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

/* Journal steps of the first incident, as a responder would write them. */
static const struct {
	const char *name, *to, *data;
} steps[] = {
	{"isolate", "off", "{}"},   /* turned off (skip = isolate): the playbook ends partial */
	{"asg", "skipped", "{}"},   /* nothing to do: no Auto Scaling group */
	{"snapshot", "done",
	 "{\"created\":{\"snapshot:vol-<img src=x onerror=alert(5)>\":"
	 "\"snap-</script><script>alert(6)</script>\"},"
	 "\"calls\":[{\"at\":1796400000000,\"ms\":3,\"api\":\"ec2:CreateSnapshot\","
	 "\"target\":\"vol-\\\"><svg onload=alert(7)>\",\"request_id\":\"req-\\u0001\\r\\nX-Evil: 1\","
	 "\"change\":\"<b>snapshot</b>\",\"error\":\"<img src=x onerror=alert(8)>\"}]}"},
	{"capture", "done",
	 "{\"capture\":{\"command_id\":\"cmd-<i>1</i>\","
	 "\"stdout_object\":\"s3://evidence/<script>alert(9)</script>\","
	 "\"stdout_sha256\":\"5698fe1c1c77bda507c312ea094a28ddf174c8954213264a89d39efef8b4e352\","
	 "\"stdout_bytes\":46,\"stderr_truncated\":true,\"stderr_shown_sha256\":\"e3b0c442\"},"
	 "\"calls\":[{\"at\":1796400001000,\"ms\":2,\"api\":\"ssm:SendCommand\","
	 "\"target\":\"i-0123456789abcdef0\",\"request_id\":\"r-2\",\"repeats\":3}]}"},
	{"forensics", "done",
	 "{\"created\":{\"volume:snap-1\":\"vol-<u>2</u>\",\"attached:vol-<u>2</u>\":\"/dev/sdh\\r\\n\"},"
	 "\"forensics\":{\"command_id\":\"c-1\",\"ssm_status\":\"Success\",\"examination\":"
	 "{\"status\":\"ok\",\"findings\":2,\"report\":\"/cases/<script>alert(10)</script>\","
	 "\"report_sha256\":\"ffee\",\"evidence\":[{\"label\":\"vol-<b>x</b>\",\"status\":\"complete\","
	 "\"device_sha256\":\"aabb\",\"findings\":2,\"findings_omitted\":1,\"top_findings\":"
	 "[{\"class\":\"added\",\"path\":\"/var/www/<script>alert(11)</script>.php\","
	 "\"interest\":\"webshell\",\"detail\":\"\\u001b[31m\"}],"
	 "\"persistence\":[{\"kind\":\"cron\",\"path\":\"/etc/cron.d/<img src=x onerror=alert(12)>\","
	 "\"baseline\":\"added\"}],\"yara\":{\"scope\":\"all\",\"status\":\"complete\","
	 "\"scanned\":10,\"matched\":1,\"matches\":[{\"path\":\"/var/www/<?php eval($_POST['x']); ?>\","
	 "\"class\":\"added\",\"rules\":[\"webshell_<script>alert(13)</script>\"]}],"
	 "\"matches_omitted\":2}}]}}}"},
};

enum { BATCH = 500, SOURCE_MAX = 96 };

/* MANY incidents of hostile sources, BATCH to a transaction. */
static int seed_many(store *st, long many)
{
	static store_attempt_in a[BATCH];
	static char src[BATCH][SOURCE_MAX], dest[BATCH][SOURCE_MAX];
	for (long done = 0; done < many;) {
		size_t n = many - done < BATCH ? (size_t)(many - done) : BATCH;
		for (size_t i = 0; i < n; i++) {
			long k = done + (long)i;
			snprintf(src[i], SOURCE_MAX, "198.51.%ld.%ld<img src=x onerror=alert(%ld)>\"\r\n\xff",
			         k / 250, k % 250, k);
			snprintf(dest[i], SOURCE_MAX, "169.254.169.254:80</td><script>alert(%ld)</script>", k);
			a[i] = (store_attempt_in){.client = src[i], .request = "GET /go HTTP/1.1",
			                          .url = "http://169.254.169.254/", .dest = dest[i],
			                          .category = "metadata", .rule = "metadata",
			                          .reason = "<b>seeded</b>", .instance_id = "i-0123456789abcdef0",
			                          .region = "us-east-1", .contain = (int)(k % 2)};
		}
		if (store_record_many(st, a, n, NULL) != SG_OK) {
			fprintf(stderr, "dashboard-seed: after %ld: %s\n", done, store_errmsg(st));
			return 1;
		}
		done += (long)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char err[256] = "bad MANY";
	store *st = NULL;
	long many = argc == 3 ? strtol(argv[2], NULL, 10) : 0;
	if (argc < 2 || argc > 3 || (argc == 3 && (many < 1 || many > 1000000)) ||
	    store_open(argv[1], NULL, &st, err, sizeof err) != SG_OK) {
		fprintf(stderr, "usage: dashboard-seed STORE [MANY] (%s)\n", argc >= 2 ? err : "");
		return 2;
	}
	if (many) {
		int rc = seed_many(st, many);
		store_close(st);
		return rc;
	}
	const store_attempt_in hostile[] = {
		{.client = "203.0.113.10",
		 .request = "GET /go?u=<script>alert(1)</script> HTTP/1.1",
		 .headers = "{\"user-agent\":\"\\\"><img src=x onerror=alert(2)>\"}",
		 .url = "http://169.254.169.254/<script>alert(3)</script>\"'\x01\x1b[31m\xff\xfe\xc0\xaf",
		 .dest = "169.254.169.254:80\r\nSet-Cookie: pwned=1", .category = "metadata",
		 .rule = "metadata", .reason = "</script><script>alert(4)</script>",
		 .instance_id = "i-0123456789abcdef0", .region = "us-east-1", .contain = 1},
		{.client = "203.0.113.11", .request = "GET / HTTP/1.1", .url = "http://[fd00:ec2::254]/",
		 .dest = "[fd00:ec2::254]:80", .category = "metadata", .rule = "metadata",
		 .reason = "plain", .instance_id = "i-0123456789abcdef0", .region = "us-east-1"},
	};
	store_record_out out = {0};
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
		if (store_record(st, &hostile[i], i ? NULL : &out) != SG_OK) {
			fprintf(stderr, "dashboard-seed: %s\n", store_errmsg(st));
			store_close(st);
			return 1;
		}
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		store_change c = {.incident_id = out.incident_id, .step = steps[i].name,
		                  .to = steps[i].to, .reason = "seeded",
		                  .actor = "dashboard-seed", .data = steps[i].data};
		if (store_transition(st, &c) != SG_OK) {
			fprintf(stderr, "dashboard-seed: %s: %s\n", steps[i].name, store_errmsg(st));
			store_close(st);
			return 1;
		}
	}
	store_close(st);
	return 0;
}
