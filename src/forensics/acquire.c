/* acquire.c — whole-device and per-window SHA-256 on two threads (see acquire.h). */
#include "forensics/acquire.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#define ACQ_NBUF 4
#define ACQ_CHUNK (8u << 20)

typedef struct acq_ring {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint8_t *buf[ACQ_NBUF];
	size_t len[ACQ_NBUF];
	uint64_t off[ACQ_NBUF];
	uint64_t produced, consumed;
	int done, failed;
	uint64_t window;
	uint64_t windows;
	outf *wout;
	char err[256];
} acq_ring;

static void *window_thread(void *arg)
{
	acq_ring *r = arg;
	fx_buf lines = {0};
	for (;;) {
		pthread_mutex_lock(&r->mu);
		while (r->consumed == r->produced && !r->done && !r->failed)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->consumed == r->produced || r->failed) {
			pthread_mutex_unlock(&r->mu);
			break;
		}
		size_t slot = r->consumed % ACQ_NBUF;
		pthread_mutex_unlock(&r->mu);

		fx_buf_reset(&lines);
		sg_err e = SG_OK;
		for (size_t o = 0; o < r->len[slot] && !e; o += r->window) {
			size_t n = r->len[slot] - o < r->window ? r->len[slot] - o : (size_t)r->window;
			uint8_t md[FX_SHA256_LEN];
			char hex[FX_SHA256_HEX];
			fx_sha256(r->buf[slot] + o, n, md);
			sg_hex_encode(md, FX_SHA256_LEN, hex);
			e = fx_buf_printf(&lines, "%" PRIu64 " %zu %s\n", r->off[slot] + o, n, hex);
			r->windows++;
		}
		char werr[256] = "";
		if (!e && r->wout && lines.len)
			e = outf_write(r->wout, lines.p, lines.len, werr, sizeof werr);

		pthread_mutex_lock(&r->mu);
		if (e) {
			r->failed = 1;
			snprintf(r->err, sizeof r->err, "%s", werr[0] ? werr : sg_strerror(e));
		}
		r->consumed++;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
	fx_buf_free(&lines);
	return NULL;
}

sg_err acq_hash(const evid *ev, uint64_t window, outf *wout, acq_result *res, char *err,
                size_t errlen)
{
	acq_ring r;
	memset(&r, 0, sizeof r);
	memset(res, 0, sizeof *res);
	if (window == 0 || window > ACQ_CHUNK || ACQ_CHUNK % window) {
		snprintf(err, errlen, "window size must divide %u", ACQ_CHUNK);
		return SG_ERR_INVAL;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	r.window = window;
	r.wout = wout;
	sg_err rc = SG_OK;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int started = 0;
	pthread_t th;
	for (int i = 0; i < ACQ_NBUF; i++) {
		r.buf[i] = malloc(ACQ_CHUNK);
		if (!r.buf[i])
			rc = SG_ERR_NOMEM;
	}
	if (!md || rc || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		snprintf(err, errlen, "out of memory");
		rc = SG_ERR_NOMEM;
		goto done;
	}
	if (pthread_create(&th, NULL, window_thread, &r) != 0) {
		snprintf(err, errlen, "cannot start the hashing thread");
		rc = SG_ERR_NOMEM;
		goto done;
	}
	started = 1;
	for (uint64_t off = 0; off < ev->size;) {
		pthread_mutex_lock(&r.mu);
		while (r.produced - r.consumed == ACQ_NBUF && !r.failed)
			pthread_cond_wait(&r.cv, &r.mu);
		int failed = r.failed;
		size_t slot = r.produced % ACQ_NBUF;
		pthread_mutex_unlock(&r.mu);
		if (failed)
			break;
		size_t n = ev->size - off < ACQ_CHUNK ? (size_t)(ev->size - off) : ACQ_CHUNK;
		rc = evid_pread(ev, off, r.buf[slot], n, err, errlen);
		if (rc)
			break;
		EVP_DigestUpdate(md, r.buf[slot], n);
		r.len[slot] = n;
		r.off[slot] = off;
		off += n;
		pthread_mutex_lock(&r.mu);
		r.produced++;
		pthread_cond_broadcast(&r.cv);
		pthread_mutex_unlock(&r.mu);
	}
	pthread_mutex_lock(&r.mu);
	r.done = 1;
	if (rc)
		r.failed = 1;
	pthread_cond_broadcast(&r.cv);
	pthread_mutex_unlock(&r.mu);
	pthread_join(th, NULL);
	started = 0;
	if (!rc && r.failed) {
		snprintf(err, errlen, "%s", r.err);
		rc = SG_ERR_IO;
	}
	if (!rc) {
		unsigned l = 0;
		EVP_DigestFinal_ex(md, res->sha256, &l);
		res->windows = r.windows;
		res->bytes = ev->size;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		res->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	}
done:
	if (started)
		pthread_join(th, NULL);
	for (int i = 0; i < ACQ_NBUF; i++)
		free(r.buf[i]);
	EVP_MD_CTX_free(md);
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	return rc;
}
