/*
 * yara_sweep RULES_DIR TREE... — the false-positive test of the shipped
 * ruleset: every regular file under each TREE (not following symlinks,
 * not crossing mounts) scanned through yscan (the examination's own
 * loader, externals and limits: the first 32 MiB, 10 s per file).  Prints
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

#define CAP (32u << 20)

static yscan *y;
static uint8_t *buf;
static unsigned long files, hits, unreadable, timeouts;

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
	size_t got = 0;
	ssize_t n;
	while (got < CAP && (n = read(fd, buf + got, CAP - got)) > 0)
		got += (size_t)n;
	close(fd);
	int timed_out = 0;
	char err[256];
	json_t *m = yscan_mem(y, buf, got, path, strlen(path), &timed_out, err, sizeof err);
	if (!m) {
		fprintf(stderr, "%s: %s\n", path, err);
		return 1;
	}
	files++;
	timeouts += (unsigned long)timed_out;
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
	buf = malloc(CAP);
	for (int i = 2; buf && i < argc; i++)
		if (nftw(argv[i], visit, 64, FTW_PHYS | FTW_MOUNT)) {
			fprintf(stderr, "%s: walk failed\n", argv[i]);
			return 2;
		}
	printf("%zu rules, %lu files scanned, %lu unreadable, %lu timed out, %lu matches\n",
	       yscan_rule_count(y), files, unreadable, timeouts, hits);
	yscan_free(y);
	free(buf);
	return hits ? 1 : 0;
}
