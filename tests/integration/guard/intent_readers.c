/*
 * intent_readers.c — prints what each intent reader (lib/guard/intent.h)
 * reads, for intent_test.py to hold against the WHATWG test data and
 * against python3 itself.
 *
 *   intent_readers < HEXLINES
 *
 * Input: one URL a line, hex-encoded (so any byte, NUL and newline
 * included, can be a test vector).  Output: one line per URL,
 *   whatwg=KIND:VALUE <TAB> urllib.parse=KIND:VALUE <TAB>
 *   urllib.request=KIND:VALUE <TAB> numbers=ADDR,ADDR
 * where KIND is ip, name or none, and numbers reads urllib.parse's host.
 */
#include "common/hex.h"
#include "guard/intent.h"

static void show(const char *label, const sg_reading *r, int have)
{
	printf("%s=", label);
	if (!have) {
		fputs("none:", stdout);
		return;
	}
	sg_reading copy = *r;
	sg_reading_format(&copy);
	printf("%s:%s", copy.is_ip ? "ip" : "name", copy.host);
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		if (n && line[n - 1] == '\n')
			n--;
		size_t len = (size_t)n / 2;
		unsigned char *url = malloc(len + 1);
		if (!url || sg_hex_decode(line, (size_t)n, url, len) != SG_OK) {
			fprintf(stderr, "intent_readers: bad hex line\n");
			return 2;
		}
		sg_reading w, u[2] = {{0}};
		size_t nu = 0;
		int hw = sg_read_whatwg((const char *)url, len, &w);
		if (hw < 0 || sg_read_urllib((const char *)url, len, u, &nu) < 0) {
			fprintf(stderr, "intent_readers: out of memory\n");
			return 2;
		}
		const sg_reading *parse = NULL, *request = NULL;
		for (size_t k = 0; k < nu; k++) {
			if (!strcmp(u[k].reader, "urllib.parse"))
				parse = &u[k];
			else
				request = &u[k];
		}
		show("whatwg", &w, hw == 1);
		fputc('\t', stdout);
		show("urllib.parse", parse, parse != NULL);
		fputc('\t', stdout);
		show("urllib.request", request, request != NULL);
		fputs("\tnumbers=", stdout);
		if (parse) {
			sg_ip ip[2];
			const char *what[2];
			size_t k = sg_read_numbers(parse->text, parse->text_len, ip, what);
			for (size_t i = 0; i < k; i++) {
				char buf[64];
				sg_ip_format(&ip[i], buf, sizeof buf);
				printf("%s%s", i ? "," : "", buf);
			}
		}
		fputc('\n', stdout);
		free(url);
	}
	free(line);
	return 0;
}
