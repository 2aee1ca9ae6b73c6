/* seed.c — `dashboard-seed STORE`: record hostile attempts (markup, quotes,
 * control bytes, invalid UTF-8, CRLF) as two incidents, for test_dashboard.py. */
#include <stdio.h>

#include "store/store.h"

int main(int argc, char **argv)
{
	char err[256];
	store *st = NULL;
	if (argc != 2 || store_open(argv[1], NULL, &st, err, sizeof err) != SG_OK) {
		fprintf(stderr, "usage: dashboard-seed STORE (%s)\n", argc == 2 ? err : "");
		return 2;
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
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
		if (store_record(st, &hostile[i], NULL) != SG_OK) {
			fprintf(stderr, "dashboard-seed: %s\n", store_errmsg(st));
			store_close(st);
			return 1;
		}
	store_close(st);
	return 0;
}
