/*
 * test_atomicfile.c — sg_afile / sg_file_replace (common/atomicfile.h):
 * the target holds exactly the new text, with the asked mode; two writers
 * of one path at once end with one writer's whole text; every failure
 * leaves no temporary file behind and says which path failed.
 */
#include "test.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomicfile.h"

static char dir[] = "/tmp/test-atomicfile-XXXXXX";

/* Entries of dir other than . and .. */
static int entries(void)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *b = malloc(1 << 21);
	*len = b ? fread(b, 1, 1 << 21, f) : 0;
	fclose(f);
	return b;
}

TEST(replaces_whole_with_mode)
{
	char path[256], err[300] = "";
	snprintf(path, sizeof path, "%s/r.json", dir);
	CHECK_INT(sg_file_replace(path, "old", 3, 0640, err, sizeof err), SG_OK);
	CHECK_INT(sg_file_replace(path, "{\"new\":1}", 9, 0640, err, sizeof err), SG_OK);
	size_t n = 0;
	char *b = slurp(path, &n);
	CHECK(b && n == 9 && !memcmp(b, "{\"new\":1}", 9));
	free(b);
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640);
	CHECK_INT(entries(), 1);
	unlink(path);
}

TEST(failures_leave_nothing)
{
	char path[256], err[300] = "";
	/* no such directory */
	snprintf(path, sizeof path, "%s/missing/r.json", dir);
	CHECK_INT(sg_file_replace(path, "x", 1, 0640, err, sizeof err), SG_ERR_IO);
	CHECKF(strstr(err, path) != NULL, "%s", err);
	/* the target is a directory: rename fails, the temporary file goes */
	snprintf(path, sizeof path, "%s/adir", dir);
	CHECK(mkdir(path, 0700) == 0);
	err[0] = '\0';
	CHECK_INT(sg_file_replace(path, "x", 1, 0640, err, sizeof err), SG_ERR_IO);
	CHECKF(strstr(err, "cannot rename") != NULL, "%s", err);
	CHECK_INT(entries(), 1);
	rmdir(path);
	/* abort after writing: nothing left, the old file untouched */
	snprintf(path, sizeof path, "%s/keep", dir);
	CHECK_INT(sg_file_replace(path, "old", 3, 0600, err, sizeof err), SG_OK);
	sg_afile f;
	CHECK_INT(sg_afile_open(&f, path, 0600, err, sizeof err), SG_OK);
	CHECK_INT(sg_afile_write(&f, "new", 3, err, sizeof err), SG_OK);
	CHECK_INT(entries(), 2);
	sg_afile_abort(&f);
	sg_afile_abort(&f); /* twice: a no-op */
	CHECK_INT(sg_afile_write(&f, "x", 1, err, sizeof err), SG_ERR_INVAL);
	CHECK_INT(sg_afile_commit(&f, err, sizeof err), SG_ERR_INVAL);
	CHECK_INT(entries(), 1);
	size_t n = 0;
	char *b = slurp(path, &n);
	CHECK(b && n == 3 && !memcmp(b, "old", 3));
	free(b);
	unlink(path);
}

/* Two writers of one path at once, each a 256 KiB text of its own letter,
 * written in 4 KiB pieces so their writes interleave. */
#define BIG (256u << 10)
struct writer {
	const char *path;
	char letter;
	int failures;
};

static void *write_many(void *arg)
{
	struct writer *w = arg;
	char *text = malloc(BIG), err[300];
	memset(text, w->letter, BIG);
	for (int round = 0; round < 20; round++) {
		sg_afile f;
		sg_err rc = sg_afile_open(&f, w->path, 0640, err, sizeof err);
		for (size_t off = 0; !rc && off < BIG; off += 4096)
			rc = sg_afile_write(&f, text + off, 4096, err, sizeof err);
		if (!rc)
			rc = sg_afile_commit(&f, err, sizeof err);
		w->failures += rc != SG_OK;
	}
	free(text);
	return NULL;
}

TEST(two_writers_end_with_one_whole_file)
{
	char path[256];
	snprintf(path, sizeof path, "%s/INC-1.json", dir);
	struct writer a = {path, 'a', 0}, b = {path, 'b', 0};
	pthread_t ta, tb;
	CHECK(pthread_create(&ta, NULL, write_many, &a) == 0);
	CHECK(pthread_create(&tb, NULL, write_many, &b) == 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	CHECK_INT(a.failures + b.failures, 0);
	size_t n = 0;
	char *got = slurp(path, &n);
	CHECK(got && n == BIG);
	size_t same = 0;
	for (size_t i = 0; got && i < n; i++)
		same += got[i] == got[0];
	CHECKF(same == BIG && got && (got[0] == 'a' || got[0] == 'b'), "mixed file: %zu of %u",
	       same, BIG);
	free(got);
	CHECK_INT(entries(), 1); /* no temporary file left */
	unlink(path);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	replaces_whole_with_mode();
	failures_leave_nothing();
	two_writers_end_with_one_whole_file();
	rmdir(dir);
	printf("%d checks, %d failed\n", test_checks, test_failures);
	return test_failures != 0;
}
