/* hpool.c — hashing threads (see hpool.h). */
#include "forensics/hpool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forensics/dfeed.h"
#include "forensics/sha256x2.h"

/* Small enough that a chunk read is still in L2 when it is hashed: reading
 * in 1 MiB pieces cost a sixth more CPU. */
#define HP_CHUNK (128u << 10)
#define HP_MAX_WORKERS 64

struct hpool {
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_space, cv_fed;
	hp_job *head, *tail; /* pending batches */
	hp_job *done;
	hp_job *stage, *stage_tail; /* the batch being filled (submitter only) */
	size_t stage_n;
	uint64_t stage_bytes;
	size_t pending, max_pending;
	int stop;
	unsigned nworkers;
	pthread_t th[HP_MAX_WORKERS];
	uint64_t bytes;
	uint8_t *inline_buf;
	progress_counters *pc;
	dfeed *feed;
	size_t claimed; /* jobs the feed holds */
};

void hp_job_free(hp_job *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j->runs);
	free(j);
}

static int read_full(int fd, uint8_t *buf, size_t len, uint64_t off, int use_off, size_t *got)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = use_off ? pread(fd, buf + done, len - done, (off_t)(off + done))
		                    : read(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	*got = done;
	return 0;
}

static const uint8_t zeros[64 << 10]; /* holes and sparse runs */

/*
 * A lane is one file being hashed: its SHA-256 state and where its next
 * bytes come from.  A worker drives two lanes so that sha2x_update2 can
 * interleave two files on one core.
 */
typedef struct lane {
	hp_job *j;          /* NULL: idle */
	sha2x_lane sha;
	uint8_t *buf;       /* HP_CHUNK bytes, this lane's own */
	const uint8_t *p;   /* the current chunk's unhashed bytes */
	size_t n;
	uint64_t pos;       /* bytes of the file produced so far */
	size_t run;         /* runs: the one being read */
	uint64_t run_done;  /* runs: bytes of it produced */
	int eof;            /* fd: the last read came up short */
} lane;

/* The file's next chunk into l->p/l->n: 1, or 0 at its end, or -1 with
 * j->note set. */
static int next_chunk(lane *l)
{
	hp_job *j = l->j;
	size_t got = 0;
	if (j->fd >= 0) {
		if (l->eof)
			return 0;
		if (read_full(j->fd, l->buf, HP_CHUNK, 0, 0, &got) != 0) {
			j->note = "read error";
			return -1;
		}
		l->eof = got < HP_CHUNK;
		l->p = l->buf, l->n = got;
		l->pos += got;
		return got ? 1 : 0;
	}
	while (l->pos < j->size) {
		/* zeros up to the next run (or to the end) */
		uint64_t next = l->run < j->nruns ? j->runs[l->run].file_off : j->size;
		if (next > j->size)
			next = j->size;
		if (l->pos < next && l->run_done == 0) {
			size_t n = next - l->pos < sizeof zeros ? (size_t)(next - l->pos) : sizeof zeros;
			l->p = zeros, l->n = n;
			l->pos += n;
			return 1;
		}
		if (l->run == j->nruns)
			break;
		const hp_run *r = &j->runs[l->run];
		if (l->run_done == 0 && r->file_off < l->pos) {
			j->note = "unreadable";
			return -1; /* overlapping runs: refuse rather than guess */
		}
		uint64_t len = r->len < j->size - r->file_off ? r->len : j->size - r->file_off;
		if (l->run_done >= len) {
			l->run++;
			l->run_done = 0;
			continue;
		}
		size_t n = len - l->run_done < HP_CHUNK ? (size_t)(len - l->run_done) : HP_CHUNK;
		if (r->sparse) {
			n = n < sizeof zeros ? n : sizeof zeros;
			l->p = zeros;
		} else if (read_full(j->dev_fd, l->buf, n, r->dev_off + l->run_done, 1, &got) != 0 ||
		           got != n) {
			j->note = "read error";
			return -1;
		} else {
			l->p = l->buf;
		}
		l->n = n;
		l->run_done += n;
		l->pos += n;
		return 1;
	}
	return 0;
}

/* Begin hashing job on an idle lane; 0, or -1 when the job already ended
 * (failed) and needs only lane_end. */
static int lane_start(lane *l, hp_job *j)
{
	uint8_t *buf = l->buf;
	memset(l, 0, sizeof *l);
	l->buf = buf;
	l->j = j;
	j->ok = 0;
	if (sha2x_init(&l->sha) != SG_OK) {
		j->note = "unreadable";
		return -1;
	}
	return 0;
}

/* The job is over (rc 0: hashed to its end); its result goes to done. */
static void lane_end(lane *l, int rc, hpool *p, hp_job **done)
{
	hp_job *j = l->j;
	if (rc == 0) {
		sha2x_final(&l->sha, j->sha256);
		j->ok = 1;
		j->bytes = l->pos;
		PROGRESS_ADD(p->pc, files_hashed, 1);
		PROGRESS_ADD(p->pc, bytes_hashed, l->pos);
	} else {
		sha2x_free(&l->sha);
	}
	if (j->fd >= 0) {
		close(j->fd);
		j->fd = -1;
	}
	if (p->nworkers)
		pthread_mutex_lock(&p->mu);
	p->bytes += rc == 0 ? l->pos : 0;
	if (p->nworkers)
		pthread_mutex_unlock(&p->mu);
	j->next = *done;
	*done = j;
	l->j = NULL;
	l->n = 0;
}

/* The next batch of jobs, or NULL: when block, waits for one unless the
 * pool is stopping. */
static hp_job *take_batch(hpool *p, int block)
{
	pthread_mutex_lock(&p->mu);
	while (block && !p->head && !p->stop)
		pthread_cond_wait(&p->cv_work, &p->mu);
	hp_job *j = p->head;
	if (j) {
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		p->pending--;
		pthread_cond_signal(&p->cv_space);
	}
	pthread_mutex_unlock(&p->mu);
	return j;
}

static void *worker(void *arg)
{
	hpool *p = arg;
	lane L[2];
	memset(L, 0, sizeof L);
	L[0].buf = malloc(HP_CHUNK);
	L[1].buf = malloc(HP_CHUNK);
	hp_job *todo = NULL, *done = NULL;
	for (;;) {
		for (int i = 0; i < 2; i++) {
			while (!L[i].j) {
				if (!todo)
					todo = take_batch(p, !L[!i].j);
				if (!todo)
					break;
				hp_job *j = todo;
				todo = j->bnext;
				j->bnext = NULL;
				if (!L[i].buf) {
					L[i].j = j;
					j->note = "unreadable";
					lane_end(&L[i], -1, p, &done);
				} else if (lane_start(&L[i], j) != 0) {
					lane_end(&L[i], -1, p, &done);
				}
			}
		}
		if (!L[0].j && !L[1].j)
			break; /* stopping, and nothing left */
		int ended = 0;
		for (int i = 0; i < 2; i++) {
			if (L[i].j && !L[i].n) {
				int rc = next_chunk(&L[i]);
				if (rc <= 0) {
					lane_end(&L[i], rc, p, &done);
					ended = 1;
				}
			}
		}
		if (ended)
			continue; /* refill the idle lane first */
		if (L[0].j && L[1].j) {
			sha2x_update2(&L[0].sha, &L[0].p, &L[0].n, &L[1].sha, &L[1].p, &L[1].n);
		} else {
			lane *l = L[0].j ? &L[0] : &L[1];
			sha2x_update(&l->sha, l->p, l->n);
			l->n = 0;
		}
	}
	pthread_mutex_lock(&p->mu);
	while (done) {
		hp_job *j = done;
		done = j->next;
		j->next = p->done;
		p->done = j;
	}
	pthread_mutex_unlock(&p->mu);
	free(L[0].buf);
	free(L[1].buf);
	return NULL;
}

/* 0 workers: one lane, in the caller's thread. */
static void hash_inline(hpool *p, hp_job *j)
{
	lane l;
	memset(&l, 0, sizeof l);
	l.buf = p->inline_buf;
	int rc = lane_start(&l, j);
	while (rc == 0) {
		rc = next_chunk(&l);
		if (rc <= 0)
			break;
		sha2x_update(&l.sha, l.p, l.n);
		rc = 0;
	}
	lane_end(&l, rc < 0 ? -1 : 0, p, &p->done);
}

sg_err hpool_new(unsigned workers, size_t max_pending, progress_counters *pc, dfeed *feed,
                 hpool **out)
{
	*out = NULL;
	if (workers > HP_MAX_WORKERS)
		workers = HP_MAX_WORKERS;
	hpool *p = calloc(1, sizeof *p);
	if (!p)
		return SG_ERR_NOMEM;
	p->pc = pc;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv_work, NULL);
	pthread_cond_init(&p->cv_space, NULL);
	pthread_cond_init(&p->cv_fed, NULL);
	p->max_pending = max_pending ? max_pending : 1;
	if (!workers) {
		p->inline_buf = malloc(HP_CHUNK);
		if (!p->inline_buf) {
			free(p);
			return SG_ERR_NOMEM;
		}
	}
	for (unsigned i = 0; i < workers; i++) {
		if (pthread_create(&p->th[i], NULL, worker, p) != 0)
			break;
		p->nworkers++;
	}
	if (workers && !p->nworkers) {
		free(p);
		return SG_ERR_NOMEM;
	}
	p->feed = p->nworkers ? feed : NULL;
	*out = p;
	return SG_OK;
}

/* Appends one batch to the workers' queue and wakes one; p->mu held. */
static void queue_batch_locked(hpool *p, hp_job *batch)
{
	if (p->tail)
		p->tail->next = batch;
	else
		p->head = batch;
	p->tail = batch;
	p->pending++;
	pthread_cond_signal(&p->cv_work);
}

static void flush_stage(hpool *p)
{
	hp_job *j = p->stage;
	if (!j)
		return;
	p->stage = p->stage_tail = NULL;
	p->stage_n = 0;
	p->stage_bytes = 0;
	pthread_mutex_lock(&p->mu);
	while (p->pending >= p->max_pending)
		pthread_cond_wait(&p->cv_space, &p->mu);
	queue_batch_locked(p, j);
	pthread_mutex_unlock(&p->mu);
}

/* The feed is done with a job: hashed, or given back to be read here. */
static void fed_back(void *owner, hp_job *j, int finished)
{
	hpool *p = owner;
	pthread_mutex_lock(&p->mu);
	if (finished) {
		p->bytes += j->ok ? j->bytes : 0;
		j->next = p->done;
		p->done = j;
		if (j->ok) {
			PROGRESS_ADD(p->pc, files_hashed, 1);
			PROGRESS_ADD(p->pc, bytes_hashed, j->bytes);
		}
	} else { /* a batch of one for the workers, who wait while any is claimed */
		j->next = NULL;
		queue_batch_locked(p, j);
	}
	p->claimed--;
	pthread_cond_broadcast(&p->cv_fed);
	pthread_mutex_unlock(&p->mu);
}

/* 1 when the feed took j (it calls fed_back later). */
static int feed_claim(hpool *p, hp_job *j)
{
	if (!p->feed || j->fd >= 0)
		return 0;
	pthread_mutex_lock(&p->mu);
	p->claimed++; /* before: fed_back may run at once */
	pthread_mutex_unlock(&p->mu);
	if (dfeed_claim(p->feed, j, fed_back, p))
		return 1;
	pthread_mutex_lock(&p->mu);
	p->claimed--;
	pthread_mutex_unlock(&p->mu);
	return 0;
}

sg_err hpool_submit(hpool *p, hp_job *j)
{
	j->next = NULL;
	j->bnext = NULL;
	if (!p->nworkers) {
		hash_inline(p, j);
		return SG_OK;
	}
	if (feed_claim(p, j))
		return SG_OK;
	if (p->stage_tail)
		p->stage_tail->bnext = j;
	else
		p->stage = j;
	p->stage_tail = j;
	p->stage_n++;
	p->stage_bytes += j->size;
	if (p->stage_n >= HP_BATCH || p->stage_bytes >= (4u << 20))
		flush_stage(p);
	return SG_OK;
}

uint64_t hpool_bytes(hpool *p)
{
	pthread_mutex_lock(&p->mu);
	uint64_t b = p->bytes;
	pthread_mutex_unlock(&p->mu);
	return b;
}

hp_job *hpool_finish(hpool *p)
{
	if (p->nworkers)
		flush_stage(p);
	pthread_mutex_lock(&p->mu);
	while (p->claimed)
		pthread_cond_wait(&p->cv_fed, &p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cv_work);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nworkers; i++)
		pthread_join(p->th[i], NULL);
	hp_job *done = p->done;
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv_work);
	pthread_cond_destroy(&p->cv_space);
	pthread_cond_destroy(&p->cv_fed);
	free(p->inline_buf);
	free(p);
	return done;
}

hp_run *hp_runs_from_extents(fx_ext4_run *r, size_t k, size_t *n, sg_err *rc)
{
	hp_run *v = malloc((k ? k : 1) * sizeof *v);
	if (!v) {
		free(r);
		*rc = SG_ERR_NOMEM;
		return NULL;
	}
	for (size_t i = 0; i < k; i++)
		v[i] = (hp_run){r[i].file_off, r[i].dev_off, r[i].len, r[i].zero};
	free(r);
	*n = k;
	return v;
}
