/*
 * test_yscan.c — YARA over whole files in overlapping windows (yscan.h):
 * a match across two windows, one in their overlap counted once, the
 * file's own filesize and offsets, a condition reading a far window again,
 * the --yara-max-file cut, a window that cannot be read, an empty file,
 * a string matched more often than libyara counts; and the line a rule's
 * compile error is reported at (yscan_error_line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forensics/yscan.h"
#include "test.h"

#define BIG (40u << 20)

static uint8_t big[BIG];
static yscan *y;

static const char RULES[] =
    "rule marker { strings: $m = \"HELLO-WINDOWS\" condition: #m == 1 }\n"
    "rule size { condition: filesize == 41943040 }\n"
    "rule far { condition: uint32(40000000) == 0x44434241 }\n"
    "rule empty { condition: filesize == 0 }\n"
    "rule zeros { strings: $z = { 00 00 00 00 } condition: #z > 10 }\n";

typedef struct reader {
	const uint8_t *p;
	uint64_t fail_lo, fail_hi; /* a window starting in [lo, hi) cannot be read */
	int reads;
} reader;

static int read_buf(void *ctx, uint64_t off, uint8_t *buf, size_t len, const char **why)
{
	reader *r = ctx;
	r->reads++;
	if (off >= r->fail_lo && off < r->fail_hi) {
		*why = "bad sector";
		return -1;
	}
	memcpy(buf, r->p + off, len);
	return 0;
}

/* Is rule `name` among the matches m? Its first string's offsets, if any, into off[]. */
static int has(const json_t *m, const char *name, json_int_t *off, size_t *noff)
{
	size_t i, k;
	const json_t *r, *s;
	json_array_foreach(m, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "rule")), name))
			continue;
		if (noff) {
			*noff = 0;
			json_array_foreach(json_object_get(r, "strings"), k, s)
				if (*noff < 8)
					off[(*noff)++] = json_integer_value(json_object_get(s, "offset"));
		}
		return 1;
	}
	return 0;
}

static json_t *scan(reader *r, uint64_t size, uint64_t limit, yscan_result *res)
{
	char err[256] = "";
	yscan_input in = {"/x/file.bin", 11, size, limit, read_buf, r};
	json_t *m = yscan_scan(y, &in, res, err, sizeof err);
	CHECKF(m != NULL, "%s", err);
	return m;
}

static void plant(uint64_t at)
{
	memset(big, ' ', BIG);
	memcpy(big + at, "HELLO-WINDOWS", 13);
	memcpy(big + 40000000, "ABCD", 4);
}

TEST(test_across_two_windows)
{
	plant(YSCAN_WINDOW - 6); /* the first window ends inside it */
	reader r = {big, 0, 0, 0};
	yscan_result res;
	json_t *m = scan(&r, BIG, UINT64_MAX, &res);
	json_int_t off[8];
	size_t n = 0;
	CHECK(has(m, "marker", off, &n));
	CHECK_INT(n, 1);
	CHECK_INT(off[0], YSCAN_WINDOW - 6);
	CHECK(has(m, "size", NULL, NULL));     /* filesize is the file's, not a window's */
	CHECK(has(m, "far", NULL, NULL));      /* the condition read a far window again */
	CHECK(yscan_whole(&res));
	CHECK_INT(res.scanned, BIG);
	json_decref(m);
}

TEST(test_in_the_overlap_counted_once)
{
	plant(YSCAN_WINDOW - YSCAN_OVERLAP / 2); /* in both the first and the second window */
	reader r = {big, 0, 0, 0};
	yscan_result res;
	json_t *m = scan(&r, BIG, UINT64_MAX, &res);
	json_int_t off[8];
	size_t n = 0;
	CHECK(has(m, "marker", off, &n)); /* #m == 1 */
	CHECK_INT(n, 1);
	CHECK_INT(off[0], YSCAN_WINDOW - YSCAN_OVERLAP / 2);
	json_decref(m);
}

TEST(test_cut_at_the_limit)
{
	plant(30u << 20);
	reader r = {big, 0, 0, 0};
	yscan_result res;
	json_t *m = scan(&r, BIG, 16u << 20, &res);
	CHECK(!has(m, "marker", NULL, NULL));
	CHECK(res.cut && !yscan_whole(&res));
	CHECK_INT(res.scanned, 16u << 20);
	json_decref(m);
}

TEST(test_a_window_unreadable)
{
	plant(35u << 20);
	reader r = {big, 1, YSCAN_WINDOW, 0}; /* the second window, [16 MiB - 64 KiB, 32 MiB - 64 KiB) */
	yscan_result res;
	json_t *m = scan(&r, BIG, UINT64_MAX, &res);
	CHECK(has(m, "marker", NULL, NULL)); /* in the third: still found */
	CHECK(res.unreadable && !strcmp(res.unreadable, "bad sector"));
	CHECK(!yscan_whole(&res));
	json_decref(m);
}

TEST(test_empty_and_small)
{
	reader r = {big, 0, 0, 0};
	yscan_result res;
	json_t *m = scan(&r, 0, UINT64_MAX, &res);
	CHECK(has(m, "empty", NULL, NULL));
	CHECK(yscan_whole(&res));
	CHECK_INT(r.reads, 0);
	json_decref(m);
	char err[64];
	m = yscan_mem(y, (const uint8_t *)"xx HELLO-WINDOWS yy", 19, "/a", 2, &res, err, sizeof err);
	CHECK(m && has(m, "marker", NULL, NULL) && yscan_whole(&res) && res.scanned == 19);
	json_decref(m);
}

TEST(test_too_many_matches)
{
	static uint8_t zeros[4u << 20];
	reader r = {zeros, 0, 0, 0};
	yscan_result res;
	json_t *m = scan(&r, sizeof zeros, UINT64_MAX, &res);
	CHECK(res.too_many_matches && !yscan_whole(&res));
	CHECK(has(m, "zeros", NULL, NULL));
	json_decref(m);
}

TEST(test_error_line)
{
	static const struct {
		const char *text, *msg;
		int noticed, want;
	} rows[] = {
	    {"rule a { condition: true }\n\nrule b {\n  strings: $a = \"x\"\n  condition: $a and $nope\n}\n",
	     "undefined string \"$nope\"", 6, 5},
	    {"rule r {\n  strings:\n    $a = \"x\"\n    $b = \"y\"\n  condition:\n    $a\n}\n",
	     "unreferenced string \"$b\"", 7, 4},
	    /* the name is searched within its rule only */
	    {"rule a { strings: $b = \"q\" condition: $b }\nrule r {\n  condition:\n    true\n}\n",
	     "unreferenced string \"$b\"", 5, 5},
	    /* "$ab" is not "$a" */
	    {"rule r {\n  strings: $a = \"x\"\n  condition: $ab\n}\n", "undefined string \"$a\"", 4, 2},
	    {"rule q { condition: true }\n\nrule r {\n  condition:\n    uint32(0) == \"abc\"\n\n}\n",
	     "type mismatch", 7, 5},
	    {"rule r {\n  strings:\n    $a = \"x\"\n  condition:\n    $a and (\n}\n", "syntax error", 6, 6},
	    {"rule r { condition: true }\n", "type mismatch", 9, 9},
	    {"", "undefined string \"$x\"", 1, 1},
	    {"rule r {}", "\"", 1, 1},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		int got = yscan_error_line(rows[i].text, rows[i].noticed, rows[i].msg);
		CHECKF(got == rows[i].want, "row %zu: got %d, want %d", i, got, rows[i].want);
	}
}

int main(void)
{
	char path[] = "/tmp/test_yscan_XXXXXX.yar", err[1024] = "";
	int fd = mkstemps(path, 4);
	if (fd < 0 || write(fd, RULES, sizeof RULES - 1) != (ssize_t)(sizeof RULES - 1)) {
		perror("rules");
		return 1;
	}
	close(fd);
	const char *paths[1] = {path};
	sg_err rc = yscan_load(paths, 1, 60, &y, err, sizeof err);
	unlink(path);
	if (rc) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	void (*tests[])(void) = {test_across_two_windows, test_in_the_overlap_counted_once,
	                         test_cut_at_the_limit, test_a_window_unreadable,
	                         test_empty_and_small, test_too_many_matches, test_error_line};
	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
		tests[i]();
	yscan_free(y);
	printf("%d checks, %d failed\n", test_checks, test_failures);
	return test_failures != 0;
}
