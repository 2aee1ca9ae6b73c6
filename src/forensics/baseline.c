/* baseline.c — read a baseline, parse it beside the acquisition (see baseline.h). */
#include "forensics/baseline.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forensics/manifest.h"

#define BASELINE_MAX ((size_t)4 << 30)

struct baseline {
	const char *path, *strip;
	sg_buf text;
	fx_list *entries;   /* the caller's, filled by the thread */
	baseline_result res;
	sg_err rc;
	char err[512];
	pthread_t th;
	int running;
};

static sg_err read_all(const char *path, sg_buf *text, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "baseline %s: %s", path, strerror(errno));
		return errno == ENOENT ? SG_ERR_NOTFOUND : SG_ERR_IO;
	}
	sg_err rc = SG_OK;
	char chunk[1 << 16];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "baseline %s: %s", path, strerror(errno));
			rc = SG_ERR_IO;
			break;
		}
		if (n == 0)
			break;
		if (text->len + (size_t)n > BASELINE_MAX) {
			snprintf(err, errlen, "baseline %s: too large", path);
			rc = SG_ERR_RANGE;
			break;
		}
		if ((rc = sg_buf_append(text, chunk, (size_t)n))) {
			snprintf(err, errlen, "baseline %s: out of memory", path);
			break;
		}
	}
	close(fd);
	return rc;
}

static void *parse_thread(void *arg)
{
	baseline *b = arg;
	const char *p = b->text.p ? b->text.p : "";
	char perr[256] = "";
	if (fx_hashdeep_detect(p, b->text.len)) {
		b->res.content_only = 1;
		b->res.format = "hashdeep";
		fx_hashdeep_info info;
		b->rc = fx_hashdeep_parse(p, b->text.len, b->strip, b->entries, &info, perr, sizeof perr);
		if (!b->rc && info.skipped)
			snprintf(b->res.warn, sizeof b->res.warn,
			         "baseline %s: %zu unreadable lines skipped (the first is line %zu): the "
			         "files they name are reported as added", b->path, info.skipped,
			         info.first_skipped);
		else if (!b->rc && info.joined)
			snprintf(b->res.warn, sizeof b->res.warn, "baseline %s: %zu records whose file "
			         "name holds a newline were read across two lines", b->path, info.joined);
	} else {
		b->res.format = "manifest";
		b->rc = fx_manifest_parse(p, b->text.len, b->entries, perr, sizeof perr);
	}
	if (b->rc)
		snprintf(b->err, sizeof b->err, "baseline %s: %s", b->path, perr);
	sg_buf_free(&b->text);
	return NULL;
}

sg_err baseline_start(const char *path, const char *strip, fx_list *entries,
                      char hex[FX_SHA256_HEX], baseline **out, char *err, size_t errlen)
{
	baseline *b = calloc(1, sizeof *b);
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return SG_ERR_NOMEM;
	}
	b->path = path;
	b->strip = strip;
	b->entries = entries;
	sg_err rc = read_all(path, &b->text, err, errlen);
	if (rc) {
		baseline_free(b);
		return rc;
	}
	uint8_t md[FX_SHA256_LEN];
	fx_sha256(b->text.p ? b->text.p : "", b->text.len, md);
	sg_hex_encode(md, FX_SHA256_LEN, hex);
	if (pthread_create(&b->th, NULL, parse_thread, b) == 0)
		b->running = 1;
	else
		parse_thread(b); /* no thread to be had: parse here */
	*out = b;
	return SG_OK;
}

sg_err baseline_wait(baseline *b, baseline_result *res, char *err, size_t errlen)
{
	if (b->running)
		pthread_join(b->th, NULL);
	b->running = 0;
	*res = b->res;
	if (b->rc)
		snprintf(err, errlen, "%s", b->err);
	return b->rc;
}

void baseline_free(baseline *b)
{
	if (!b)
		return;
	if (b->running)
		pthread_join(b->th, NULL);
	sg_buf_free(&b->text);
	free(b);
}
