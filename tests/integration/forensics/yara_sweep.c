/*
 * yara_sweep RULES_DIR TREE... — the false-positive test of the shipped
 * ruleset: every regular file under each TREE (not following symlinks,
 * not crossing mounts) scanned through yscan (the examination's own
 * loader, externals and windows: whole files, 10 s per file).  Prints
 * each match as "PATH<TAB>namespace.rule" and a summary line; exits 0 when
 * there are none, 1 when there are, 2 on an error.
 */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forensics/yscan.h"

static yscan *y;
static unsigned long files, hits, unreadable, timeouts;

static int read_fd(void *ctx, uint64_t off, uint8_t *buf, size_t len, const char **why)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(*(int *)ctx, buf + got, len - got, (off_t)(off + got));
		if (n <= 0) {
			*why = "read error";
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

static int visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		unreadable++;
		return 0;
	}
	char err[256];
	yscan_input in = {path, strlen(path), (uint64_t)st->st_size, UINT64_MAX, read_fd, &fd};
	yscan_result res;
	json_t *m = yscan_scan(y, &in, &res, err, sizeof err);
	close(fd);
	if (!m) {
		fprintf(stderr, "%s: %s\n", path, err);
		return 1;
	}
	files++;
	timeouts += (unsigned long)res.timed_out;
	unreadable += res.unreadable != NULL;
	size_t i;
	json_t *r;
	json_array_foreach(m, i, r) {
		printf("%s\t%s.%s\n", path, json_string_value(json_object_get(r, "namespace")),
		       json_string_value(json_object_get(r, "rule")));
		hits++;
	}
	json_decref(m);
	return 0;
}

int main(int argc, char **argv)
{
	char err[1024] = "";
	if (argc < 3) {
		fprintf(stderr, "usage: yara_sweep RULES_DIR TREE...\n");
		return 2;
	}
	const char *paths[1] = {argv[1]};
	if (yscan_load(paths, 1, 10, &y, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	for (int i = 2; i < argc; i++)
		if (nftw(argv[i], visit, 64, FTW_PHYS | FTW_MOUNT)) {
			fprintf(stderr, "%s: walk failed\n", argv[i]);
			return 2;
		}
	printf("%zu rules, %lu files scanned, %lu unreadable, %lu timed out, %lu matches\n",
	       yscan_rule_count(y), files, unreadable, timeouts, hits);
	yscan_free(y);
	return hits ? 1 : 0;
}
