/*
 * curl_parse.c — the anchor of bench/guard/bench_check.sh: libcurl's URL
 * parser alone over a file, one URL a line on stdin, as a whole process.
 *
 *   build/bench/guard/curl_parse < urls.txt
 *
 * For each line: curl_url(), curl_url_set(URL), curl_url_get(HOST), free —
 * the least any tool that parses like the fetcher must do.  Prints how many
 * lines parsed and how many libcurl refused; nothing per line.
 */
#include <curl/curl.h>

#include "ssrfguard/guard.h"

int main(void)
{
	char *line = NULL;
	size_t cap = 0, ok = 0, bad = 0;
	ssize_t n;
	unsigned sink = 0;

	while ((n = getline(&line, &cap, stdin)) >= 0) {
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		CURLU *h = curl_url();
		char *host = NULL;
		if (!h) {
			fprintf(stderr, "curl_parse: out of memory\n");
			return 2;
		}
		if (curl_url_set(h, CURLUPART_URL, line, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
		    curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
			sink += (unsigned char)host[0];
			ok++;
		} else {
			bad++;
		}
		curl_free(host);
		curl_url_cleanup(h);
	}
	free(line);
	printf("curl_parse: %zu parsed, %zu refused (%u)\n", ok, bad, sink & 1);
	return 0;
}
