/*
 * replay.c — run a libFuzzer target over its kept corpus without libFuzzer.
 *
 * `NAME-replay DIR|FILE...` feeds every regular file to
 * LLVMFuzzerTestOneInput once.  Built with the normal and the sanitizer
 * builds, so every find that joined the corpus is re-checked by every test
 * run.  Exits 1 if a path cannot be read, holds no input at all, or holds
 * an input over REPLAY_MAX_INPUT (16 MiB: refused, never replayed cut).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_INPUT (16u << 20)

static int replay_file(const char *path, size_t *count)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	uint8_t *buf = malloc(REPLAY_MAX_INPUT);
	if (!buf) {
		fclose(f);
		return -1;
	}
	size_t n = fread(buf, 1, REPLAY_MAX_INPUT, f);
	int bad = ferror(f), more = !bad && n == REPLAY_MAX_INPUT && fgetc(f) != EOF;
	fclose(f);
	if (bad || more) {
		if (bad)
			fprintf(stderr, "replay: %s: read error\n", path);
		else /* never replay a cut input as if it were the kept one */
			fprintf(stderr, "replay: %s: larger than %u MiB, the most an input may be: "
			        "minimize it before keeping it\n", path, REPLAY_MAX_INPUT >> 20);
		free(buf);
		return -1;
	}
	/* Hand the target an exact-size copy so ASan sees reads past the end. */
	uint8_t *exact = malloc(n ? n : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	(*count)++;
	return 0;
}

static int replay_path(const char *path, size_t *count)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path, count);

	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		if (name[0] != '.') {
			char child[4096];
			int len = snprintf(child, sizeof child, "%s/%s", path, name);
			if (len < 0 || (size_t)len >= sizeof child || replay_path(child, count) != 0)
				rc = -1;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int rc = 0;
	for (int i = 1; i < argc; i++)
		if (replay_path(argv[i], &count) != 0)
			rc = 1;
	printf("replayed %zu inputs\n", count);
	if (count == 0) {
		fprintf(stderr, "replay: no inputs found\n");
		return 1;
	}
	return rc;
}
