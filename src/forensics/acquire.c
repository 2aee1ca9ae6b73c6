/* acquire.c — whole-device and per-window SHA-256 beside the walk (see acquire.h). */
#include "forensics/acquire.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "forensics/dfeed.h"
#include "forensics/sha256x2.h"

#define ACQ_NBUF 6
#define ACQ_CHUNK (8u << 20)

typedef struct acq_ring acq_ring;
struct acq_ring {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint8_t *buf[ACQ_NBUF];
	size_t len[ACQ_NBUF];
	uint64_t off[ACQ_NBUF];
	uint64_t produced;  /* chunks read into the ring */
	uint64_t streamed;  /* ... fed to the whole-device hash */
	uint64_t consumed;  /* ... cut into windows and hashed (= streamed without windows) */
	int refs[ACQ_NBUF]; /* pieces of each slot the file hashers still hold */
	struct slot_token {
		struct acq_ring *r;
		size_t slot;
	} tok[ACQ_NBUF];
	sha2x_lane dev;     /* the whole-device hash */
	dfeed *feed;        /* the file hashers, or NULL */
	progress_counters *pc;
	int done, failed;
	uint64_t window;
	uint64_t windows;
	outf *wout;
	char err[256];
};

static sg_err window_line(acq_ring *r, sg_buf *lines, uint64_t off, size_t len,
                          const uint8_t md[FX_SHA256_LEN])
{
	char hex[FX_SHA256_HEX];
	sg_hex_encode(md, FX_SHA256_LEN, hex);
	r->windows++;
	return sg_buf_printf(lines, "%" PRIu64 " %zu %s\n", off, len, hex);
}

/* The windows of one chunk, two at a time on the two lanes of one core
 * (sha256x2.h: with SHA-NI about 1.8x the bytes of one stream), on a
 * thread of their own. */
static sg_err hash_windows(acq_ring *r, size_t slot, sg_buf *lines)
{
	const uint8_t *base = r->buf[slot];
	size_t len = r->len[slot];
	sg_err e = SG_OK;
	for (size_t o = 0; o < len && !e; o += 2 * r->window) {
		size_t na = len - o < r->window ? len - o : (size_t)r->window;
		size_t nb = len - o - na < r->window ? len - o - na : (size_t)r->window;
		sha2x_lane a, b;
		uint8_t md[2][FX_SHA256_LEN];
		if (sha2x_init(&a) || sha2x_init(&b)) {
			sha2x_free(&a);
			return SG_ERR_NOMEM;
		}
		const uint8_t *pa = base + o, *pb = base + o + na;
		size_t ra = na, rb = nb;
		while (ra && rb)
			sha2x_update2(&a, &pa, &ra, &b, &pb, &rb);
		sha2x_update(&a, pa, ra);
		sha2x_update(&b, pb, rb);
		sha2x_final(&a, md[0]);
		sha2x_final(&b, md[1]);
		e = window_line(r, lines, r->off[slot] + o, na, md[0]);
		if (!e && nb)
			e = window_line(r, lines, r->off[slot] + o + na, nb, md[1]);
	}
	return e;
}

static sg_err put_lines(acq_ring *r, sg_buf *lines, char *werr, size_t werrlen)
{
	return r->wout && lines->len ? outf_write(r->wout, lines->p, lines->len, werr, werrlen)
	                             : SG_OK;
}

/* The whole-device hash: one stream that cannot be split, so it gets a
 * core of its own and hashes nothing else — reading is another thread's
 * work, and the thread asks for a higher priority than the walk's threads
 * (nice -5; refused without CAP_SYS_NICE, and then it shares equally).
 * Without windows it also marks each chunk consumed. */
static void *stream_thread(void *arg)
{
	acq_ring *r = arg;
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), -5) != 0)
		(void)0;
	for (;;) {
		pthread_mutex_lock(&r->mu);
		while (r->streamed == r->produced && !r->done && !r->failed)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->streamed == r->produced || r->failed) {
			pthread_mutex_unlock(&r->mu);
			break;
		}
		size_t slot = r->streamed % ACQ_NBUF;
		pthread_mutex_unlock(&r->mu);
		sha2x_update(&r->dev, r->buf[slot], r->len[slot]);
		PROGRESS_ADD(r->pc, device_done, r->len[slot]);
		pthread_mutex_lock(&r->mu);
		r->streamed++;
		if (!r->window)
			r->consumed++;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
	return NULL;
}

static void *window_thread(void *arg)
{
	acq_ring *r = arg;
	sg_buf lines = {0};
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

		sg_buf_reset(&lines);
		sg_err e = hash_windows(r, slot, &lines);
		char werr[256] = "";
		if (!e)
			e = put_lines(r, &lines, werr, sizeof werr);

		pthread_mutex_lock(&r->mu);
		if (e) {
			r->failed = 1;
			snprintf(r->err, sizeof r->err, "%s", werr[0] ? werr : sg_strerror(e));
		}
		r->consumed++;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
	sg_buf_free(&lines);
	return NULL;
}

struct acq_job {
	const evid *ev;
	uint64_t window;
	outf *wout;
	progress_counters *pc;
	dfeed *feed;
	acq_result res;
	sg_err rc;
	char err[512];
	pthread_t th;
};

static sg_err acq_run(const acq_job *j, acq_result *res, char *err, size_t errlen);

static void *acq_thread(void *arg)
{
	acq_job *j = arg;
	j->rc = acq_run(j, &j->res, j->err, sizeof j->err);
	return NULL;
}

sg_err acq_start(const evid *ev, uint64_t window, outf *wout, progress_counters *pc,
                 dfeed *feed, acq_job **out, char *err, size_t errlen)
{
	acq_job *j = calloc(1, sizeof *j);
	if (!j) {
		snprintf(err, errlen, "out of memory");
		return SG_ERR_NOMEM;
	}
	*j = (acq_job){.ev = ev, .window = window, .wout = wout, .pc = pc, .feed = feed};
	PROGRESS_ADD(pc, device_total, ev->size);
	if (pthread_create(&j->th, NULL, acq_thread, j) != 0) {
		if (feed)
			dfeed_end(feed);
		free(j);
		snprintf(err, errlen, "cannot start the acquisition thread");
		return SG_ERR_NOMEM;
	}
	*out = j;
	return SG_OK;
}

sg_err acq_finish(acq_job *j, acq_result *res, char *err, size_t errlen)
{
	pthread_join(j->th, NULL);
	sg_err rc = j->rc;
	*res = j->res;
	if (rc)
		snprintf(err, errlen, "%s", j->err);
	free(j);
	return rc;
}

/* Stop the hashing threads early (a thread could not be started). */
static void ring_fail(acq_ring *r)
{
	pthread_mutex_lock(&r->mu);
	r->failed = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* A file hasher is done with a piece of a slot. */
static void slot_release(void *token)
{
	struct slot_token *t = token;
	acq_ring *r = t->r;
	pthread_mutex_lock(&r->mu);
	if (--r->refs[t->slot] == 0)
		pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* The slot of the next chunk still holds one the hashes need. */
static int slot_busy(const acq_ring *r)
{
	if (r->produced < ACQ_NBUF)
		return 0;
	uint64_t last = r->produced - ACQ_NBUF; /* the chunk that was there */
	return r->streamed <= last || r->consumed <= last || r->refs[r->produced % ACQ_NBUF];
}

/* This thread reads and hands each chunk to the file hashers; a slot is
 * free again once every hash is done with it. */
static sg_err read_device(acq_ring *r, const evid *ev, char *err, size_t errlen)
{
	sg_err rc = SG_OK;
	for (uint64_t off = 0; off < ev->size;) {
		pthread_mutex_lock(&r->mu);
		while (slot_busy(r) && !r->failed)
			pthread_cond_wait(&r->cv, &r->mu);
		int failed = r->failed;
		size_t slot = r->produced % ACQ_NBUF;
		pthread_mutex_unlock(&r->mu);
		if (failed)
			break;
		size_t n = ev->size - off < ACQ_CHUNK ? (size_t)(ev->size - off) : ACQ_CHUNK;
		rc = evid_pread(ev, off, r->buf[slot], n, err, errlen);
		if (rc)
			break;
		r->len[slot] = n;
		r->off[slot] = off;
		size_t pieces = r->feed ? dfeed_chunk(r->feed, off, r->buf[slot], n, slot_release,
		                                      &r->tok[slot]) : 0;
		off += n;
		pthread_mutex_lock(&r->mu);
		r->refs[slot] += (int)pieces; /* may have gone below 0 already */
		r->produced++;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
	pthread_mutex_lock(&r->mu);
	r->done = 1;
	if (rc)
		r->failed = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return rc;
}

/* Read and hash the device; the feed's pieces are all hashed (or the
 * files given back) before the buffers go. */
static sg_err acq_run(const acq_job *j, acq_result *res, char *err, size_t errlen)
{
	const evid *ev = j->ev;
	acq_ring r;
	memset(&r, 0, sizeof r);
	memset(res, 0, sizeof *res);
	if (j->window > ACQ_CHUNK || (j->window && ACQ_CHUNK % j->window)) {
		if (j->feed)
			dfeed_end(j->feed);
		snprintf(err, errlen, "window size must divide %u", ACQ_CHUNK);
		return SG_ERR_INVAL;
	}
	double t0 = sg_mono_s();
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	r.window = j->window;
	r.wout = j->wout;
	r.pc = j->pc;
	r.feed = j->feed;
	for (size_t i = 0; i < ACQ_NBUF; i++)
		r.tok[i] = (struct slot_token){&r, i};
	sg_err rc = sha2x_init(&r.dev);
	for (int i = 0; i < ACQ_NBUF && !rc; i++)
		if (!(r.buf[i] = malloc(ACQ_CHUNK)))
			rc = SG_ERR_NOMEM;
	if (rc) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	pthread_t wth, sth;
	int have_w = 0, started = 0;
	if (!r.window || (have_w = pthread_create(&wth, NULL, window_thread, &r) == 0))
		started = pthread_create(&sth, NULL, stream_thread, &r) == 0;
	if (started) {
		rc = read_device(&r, ev, err, errlen);
		pthread_join(sth, NULL);
	} else {
		ring_fail(&r);
		snprintf(err, errlen, "cannot start the hashing thread");
		rc = SG_ERR_NOMEM;
	}
	if (have_w)
		pthread_join(wth, NULL);
	if (!rc && r.failed) {
		snprintf(err, errlen, "%s", r.err);
		rc = SG_ERR_IO;
	}
	if (!rc) {
		sha2x_final(&r.dev, res->sha256);
		res->windows = r.windows;
		res->bytes = ev->size;
		res->engine = sha2x_accelerated() ? "sha-ni" : "openssl";
		res->seconds = sg_mono_s() - t0;
	}
done:
	if (r.feed)
		dfeed_end(r.feed); /* before the buffers go: it waits for their pieces */
	for (int i = 0; i < ACQ_NBUF; i++)
		free(r.buf[i]);
	sha2x_free(&r.dev);
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	return rc;
}
