/* dfeed.c — file hashes from the acquisition's own buffers (see dfeed.h). */
#include "forensics/dfeed.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "forensics/sha256x2.h"

#define DFEED_MAX_HASHERS 64

/* A claimed file: where the stream will bring its next bytes. */
typedef struct dfile {
	hp_job *j;
	dfeed_back_fn back;
	void *owner;
	size_t run;        /* its next data run (j->runs index) */
	uint64_t run_done; /* bytes of it handed out */
	uint64_t pos;      /* bytes of the file handed out, holes included */
	uint64_t next_dev; /* device offset of its next byte */
	unsigned hasher;   /* every piece of one file goes to one thread, in order */
	int started, bad;
	sha2x_lane sha;
} dfile;

/* Bytes of one chunk that belong to one file, after zeros bytes of hole. */
typedef struct piece {
	dfile *f;
	uint64_t zeros;
	const uint8_t *p;
	size_t n;
	int last;          /* then zeros up to the file's size, and its digest */
	dfeed_release_fn release;
	void *token;
	struct piece *next;
} piece;

typedef struct hasher {
	dfeed *feed;
	piece *head, *tail;
	pthread_t th;
} hasher;

struct dfeed {
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_idle;
	dfile **heap;      /* waiting files, by next_dev */
	size_t n, cap;
	uint64_t horizon;  /* the stream has handed out every byte before this */
	size_t inflight;   /* pieces queued or being hashed */
	int closed, stop;
	unsigned nhashers, rr;
	hasher h[DFEED_MAX_HASHERS];
	uint64_t files, bytes;
};

static const uint8_t zeros[64 << 10];

/* ---- the waiting files, a min-heap on next_dev ---- */

static void heap_swap(dfeed *f, size_t a, size_t b)
{
	dfile *t = f->heap[a];
	f->heap[a] = f->heap[b];
	f->heap[b] = t;
}

static int heap_push(dfeed *f, dfile *d)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 1024;
		dfile **v = realloc(f->heap, cap * sizeof *v);
		if (!v)
			return -1;
		f->heap = v;
		f->cap = cap;
	}
	size_t i = f->n++;
	f->heap[i] = d;
	while (i && f->heap[(i - 1) / 2]->next_dev > f->heap[i]->next_dev) {
		heap_swap(f, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	return 0;
}

static dfile *heap_pop(dfeed *f)
{
	dfile *top = f->heap[0];
	f->heap[0] = f->heap[--f->n];
	for (size_t i = 0;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < f->n && f->heap[l]->next_dev < f->heap[m]->next_dev)
			m = l;
		if (r < f->n && f->heap[r]->next_dev < f->heap[m]->next_dev)
			m = r;
		if (m == i)
			break;
		heap_swap(f, i, m);
		i = m;
	}
	return top;
}

/* ---- claiming ---- */

/* Bytes of run r that are content: it stops at the file's size. */
static uint64_t run_len(const hp_job *j, const hp_run *r)
{
	if (r->sparse || r->file_off >= j->size)
		return 0;
	return r->len < j->size - r->file_off ? r->len : j->size - r->file_off;
}

/* The first data run at or after i (j->nruns: none). */
static size_t data_run(const hp_job *j, size_t i)
{
	while (i < j->nruns && !run_len(j, &j->runs[i]))
		i++;
	return i;
}

/* Runs in file order without overlap, data in ascending device order, at
 * least one byte of data: the stream can bring every byte in order. */
static int streamable(const hp_job *j)
{
	uint64_t file_end = 0, dev_end = 0;
	int data = 0;
	for (size_t i = 0; i < j->nruns; i++) {
		const hp_run *r = &j->runs[i];
		if (r->file_off < file_end)
			return 0;
		if (r->len > UINT64_MAX - r->file_off || r->len > UINT64_MAX - r->dev_off)
			return 0;
		file_end = r->file_off + r->len;
		uint64_t n = run_len(j, r);
		if (!n)
			continue;
		if (r->dev_off < dev_end)
			return 0;
		dev_end = r->dev_off + n;
		data = 1;
	}
	return data;
}

int dfeed_claim(dfeed *f, hp_job *j, dfeed_back_fn back, void *owner)
{
	if (j->fd >= 0 || !j->nruns || !streamable(j))
		return 0;
	dfile *d = calloc(1, sizeof *d);
	if (!d)
		return 0;
	d->j = j;
	d->back = back;
	d->owner = owner;
	d->run = data_run(j, 0);
	d->next_dev = j->runs[d->run].dev_off;
	pthread_mutex_lock(&f->mu);
	int ok = !f->closed && f->n < DFEED_MAX_WAITING && d->next_dev >= f->horizon;
	if (ok) {
		d->hasher = f->rr++ % f->nhashers;
		ok = heap_push(f, d) == 0;
	}
	pthread_mutex_unlock(&f->mu);
	if (!ok)
		free(d);
	return ok;
}

/* ---- handing out a chunk ---- */

/* The piece of d in [off, off+len): d->next_dev lies in it. */
static piece *cut(dfile *d, uint64_t off, const uint8_t *buf, size_t len)
{
	piece *pc = calloc(1, sizeof *pc);
	if (!pc)
		return NULL;
	const hp_job *j = d->j;
	const hp_run *r = &j->runs[d->run];
	uint64_t left = run_len(j, r) - d->run_done, room = off + len - d->next_dev;
	uint64_t start = r->file_off + d->run_done;
	pc->f = d;
	pc->zeros = start - d->pos;
	pc->p = buf + (d->next_dev - off);
	pc->n = (size_t)(left < room ? left : room);
	d->pos = start + pc->n;
	d->run_done += pc->n;
	if (d->run_done == run_len(j, r)) {
		d->run = data_run(j, d->run + 1);
		d->run_done = 0;
	}
	pc->last = d->run == j->nruns;
	if (!pc->last)
		d->next_dev = j->runs[d->run].dev_off + d->run_done;
	return pc;
}

static void enqueue(dfeed *f, piece *pc)
{
	hasher *h = &f->h[pc->f->hasher];
	if (h->tail)
		h->tail->next = pc;
	else
		h->head = pc;
	h->tail = pc;
	f->inflight++;
}

size_t dfeed_chunk(dfeed *f, uint64_t off, const uint8_t *buf, size_t len,
                   dfeed_release_fn release, void *token)
{
	size_t pieces = 0;
	pthread_mutex_lock(&f->mu);
	while (f->n && f->heap[0]->next_dev < off + len) {
		dfile *d = f->heap[0];
		if (d->next_dev < off)
			break; /* cannot happen: claims lie ahead, runs ascend */
		heap_pop(f);
		piece *pc = cut(d, off, buf, len);
		if (!pc) { /* out of memory: it waits for dfeed_end, to be read again */
			(void)heap_push(f, d); /* cannot fail: one was just taken */
			break;
		}
		pc->release = release;
		pc->token = token;
		enqueue(f, pc);
		pieces++;
		if (!pc->last)
			(void)heap_push(f, d); /* cannot fail: it was just taken */
	}
	f->horizon = off + len;
	if (pieces)
		pthread_cond_broadcast(&f->cv_work);
	pthread_mutex_unlock(&f->mu);
	return pieces;
}

/* ---- hashing ---- */

static void feed_zeros(sha2x_lane *l, uint64_t n)
{
	while (n) {
		size_t k = n < sizeof zeros ? (size_t)n : sizeof zeros;
		sha2x_update(l, zeros, k);
		n -= k;
	}
}

/* The file's state before its piece's bytes: started, holes fed. */
static void piece_begin(piece *pc)
{
	dfile *d = pc->f;
	if (!d->started) {
		d->started = 1;
		if (sha2x_init(&d->sha) != SG_OK)
			d->bad = 1;
	}
	if (!d->bad)
		feed_zeros(&d->sha, pc->zeros);
}

/* After its bytes: the file's end, when this was its last piece. */
static void piece_end(dfeed *f, piece *pc)
{
	dfile *d = pc->f;
	if (pc->last) {
		hp_job *j = d->j;
		if (d->bad) {
			sha2x_free(&d->sha);
			j->ok = 0;
			j->note = "unreadable";
		} else {
			feed_zeros(&d->sha, j->size - d->pos);
			sha2x_final(&d->sha, j->sha256);
			j->ok = 1;
			j->fed = 1;
			j->bytes = j->size;
			pthread_mutex_lock(&f->mu);
			f->files++;
			f->bytes += j->size;
			pthread_mutex_unlock(&f->mu);
		}
		d->back(d->owner, j, 1);
		free(d);
	}
	pc->release(pc->token);
	free(pc);
}

/* The first piece of another file than a's, unlinked from h's queue (it
 * is that file's earliest piece), or NULL; the scan is bounded. */
static piece *take_other(hasher *h, const piece *a)
{
	piece *prev = NULL, *p = h->head;
	for (int seen = 0; p && p->f == a->f && seen < 64; seen++)
		prev = p, p = p->next;
	if (!p || p->f == a->f)
		return NULL;
	if (prev)
		prev->next = p->next;
	else
		h->head = p->next;
	if (h->tail == p)
		h->tail = prev;
	return p;
}

/* The next piece of h's queue and, for the second lane of the core, the
 * first queued piece of another file when there is one: a large file
 * that fills whole chunks is hashed beside the next one. */
static int take(dfeed *f, hasher *h, piece **a, piece **b)
{
	pthread_mutex_lock(&f->mu);
	while (!h->head && !f->stop)
		pthread_cond_wait(&f->cv_work, &f->mu);
	*a = h->head, *b = NULL;
	if (*a) {
		h->head = (*a)->next;
		if (!h->head)
			h->tail = NULL;
		*b = take_other(h, *a);
	}
	pthread_mutex_unlock(&f->mu);
	return *a != NULL;
}

static void *hasher_thread(void *arg)
{
	hasher *h = arg;
	dfeed *f = h->feed;
	piece *a, *b;
	while (take(f, h, &a, &b)) {
		piece_begin(a);
		if (b)
			piece_begin(b);
		const uint8_t *pa = a->p, *pb = b ? b->p : NULL;
		size_t na = a->n, nb = b ? b->n : 0;
		if (b && !a->f->bad && !b->f->bad)
			while (na && nb)
				sha2x_update2(&a->f->sha, &pa, &na, &b->f->sha, &pb, &nb);
		if (!a->f->bad)
			sha2x_update(&a->f->sha, pa, na);
		if (b && !b->f->bad)
			sha2x_update(&b->f->sha, pb, nb);
		size_t done = b ? 2 : 1;
		piece_end(f, a);
		if (b)
			piece_end(f, b);
		pthread_mutex_lock(&f->mu);
		f->inflight -= done;
		if (!f->inflight)
			pthread_cond_broadcast(&f->cv_idle);
		pthread_mutex_unlock(&f->mu);
	}
	return NULL;
}

/* ---- life ---- */

sg_err dfeed_new(unsigned hashers, dfeed **out)
{
	*out = NULL;
	if (!hashers)
		hashers = 1;
	if (hashers > DFEED_MAX_HASHERS)
		hashers = DFEED_MAX_HASHERS;
	dfeed *f = calloc(1, sizeof *f);
	if (!f)
		return SG_ERR_NOMEM;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv_work, NULL);
	pthread_cond_init(&f->cv_idle, NULL);
	for (unsigned i = 0; i < hashers; i++) {
		f->h[i].feed = f;
		if (pthread_create(&f->h[i].th, NULL, hasher_thread, &f->h[i]) != 0)
			break;
		f->nhashers++;
	}
	if (!f->nhashers) {
		dfeed_free(f);
		return SG_ERR_NOMEM;
	}
	*out = f;
	return SG_OK;
}

void dfeed_end(dfeed *f)
{
	pthread_mutex_lock(&f->mu);
	f->closed = 1;
	while (f->inflight)
		pthread_cond_wait(&f->cv_idle, &f->mu);
	dfile **left = f->heap;
	size_t n = f->n;
	f->heap = NULL;
	f->n = f->cap = 0;
	pthread_mutex_unlock(&f->mu);
	for (size_t i = 0; i < n; i++) { /* read from the start by the pool */
		dfile *d = left[i];
		if (d->started)
			sha2x_free(&d->sha);
		d->back(d->owner, d->j, 0);
		free(d);
	}
	free(left);
}

void dfeed_counts(dfeed *f, uint64_t *files, uint64_t *bytes)
{
	pthread_mutex_lock(&f->mu);
	*files = f->files;
	*bytes = f->bytes;
	pthread_mutex_unlock(&f->mu);
}

void dfeed_free(dfeed *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = 1;
	pthread_cond_broadcast(&f->cv_work);
	pthread_mutex_unlock(&f->mu);
	for (unsigned i = 0; i < f->nhashers; i++)
		pthread_join(f->h[i].th, NULL);
	free(f->heap);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv_work);
	pthread_cond_destroy(&f->cv_idle);
	free(f);
}
