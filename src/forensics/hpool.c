/* hpool.c — hashing threads (see hpool.h). */
#include "forensics/hpool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#define HP_CHUNK (1u << 20)
#define HP_MAX_WORKERS 64

struct hpool {
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_space;
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

static void run_job(hp_job *j, uint8_t *buf, uint64_t *bytes_ctr, pthread_mutex_t *mu)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint64_t total = 0;
	j->ok = 0;
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		j->note = "unreadable";
		goto out;
	}
	if (j->fd >= 0) {
		for (;;) {
			size_t got = 0;
			if (read_full(j->fd, buf, HP_CHUNK, 0, 0, &got) != 0) {
				j->note = "read error";
				goto out;
			}
			if (!got)
				break;
			EVP_DigestUpdate(md, buf, got);
			total += got;
			if (got < HP_CHUNK)
				break;
		}
	} else {
		uint64_t pos = 0;
		for (size_t r = 0; r <= j->nruns && pos < j->size; r++) {
			/* zeros up to the next run (or to the end) */
			uint64_t next = r < j->nruns ? j->runs[r].file_off : j->size;
			if (next > j->size)
				next = j->size;
			if (next > pos)
				memset(buf, 0, next - pos < HP_CHUNK ? (size_t)(next - pos) : HP_CHUNK);
			while (pos < next) {
				size_t n = next - pos < HP_CHUNK ? (size_t)(next - pos) : HP_CHUNK;
				EVP_DigestUpdate(md, buf, n);
				pos += n;
			}
			if (r == j->nruns || pos >= j->size)
				break;
			const hp_run *run = &j->runs[r];
			if (run->file_off < pos) {
				j->note = "unreadable";
				goto out; /* overlapping runs: refuse rather than guess */
			}
			uint64_t len = run->len;
			if (len > j->size - pos)
				len = j->size - pos;
			uint64_t done = 0;
			while (done < len) {
				size_t n = len - done < HP_CHUNK ? (size_t)(len - done) : HP_CHUNK;
				size_t got = n;
				if (run->sparse) {
					memset(buf, 0, n);
				} else if (read_full(j->dev_fd, buf, n, run->dev_off + done, 1, &got) != 0 ||
				           got != n) {
					j->note = "read error";
					goto out;
				}
				EVP_DigestUpdate(md, buf, n);
				done += n;
			}
			pos += len;
			total += len;
		}
		total = pos;
	}
	unsigned l = 0;
	EVP_DigestFinal_ex(md, j->sha256, &l);
	j->ok = 1;
	j->bytes = total;
out:
	EVP_MD_CTX_free(md);
	if (j->fd >= 0) {
		close(j->fd);
		j->fd = -1;
	}
	if (mu)
		pthread_mutex_lock(mu);
	*bytes_ctr += total;
	if (mu)
		pthread_mutex_unlock(mu);
}

static void *worker(void *arg)
{
	hpool *p = arg;
	uint8_t *buf = malloc(HP_CHUNK);
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->head && !p->stop)
			pthread_cond_wait(&p->cv_work, &p->mu);
		hp_job *j = p->head;
		if (!j) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		pthread_mutex_unlock(&p->mu);
		for (hp_job *b = j; b; b = b->bnext) {
			if (buf) {
				run_job(b, buf, &p->bytes, &p->mu);
			} else {
				b->ok = 0;
				b->note = "unreadable";
			}
		}
		pthread_mutex_lock(&p->mu);
		for (hp_job *b = j, *nb; b; b = nb) {
			nb = b->bnext;
			b->bnext = NULL;
			b->next = p->done;
			p->done = b;
		}
		p->pending--;
		pthread_cond_signal(&p->cv_space);
		pthread_mutex_unlock(&p->mu);
	}
	free(buf);
	return NULL;
}

sg_err hpool_new(unsigned workers, size_t max_pending, hpool **out)
{
	*out = NULL;
	if (workers > HP_MAX_WORKERS)
		workers = HP_MAX_WORKERS;
	hpool *p = calloc(1, sizeof *p);
	if (!p)
		return SG_ERR_NOMEM;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv_work, NULL);
	pthread_cond_init(&p->cv_space, NULL);
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
	*out = p;
	return SG_OK;
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
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->pending++;
	pthread_cond_signal(&p->cv_work);
	pthread_mutex_unlock(&p->mu);
}

sg_err hpool_submit(hpool *p, hp_job *j)
{
	j->next = NULL;
	j->bnext = NULL;
	if (!p->nworkers) {
		run_job(j, p->inline_buf, &p->bytes, NULL);
		j->next = p->done;
		p->done = j;
		return SG_OK;
	}
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
	p->stop = 1;
	pthread_cond_broadcast(&p->cv_work);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nworkers; i++)
		pthread_join(p->th[i], NULL);
	hp_job *done = p->done;
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv_work);
	pthread_cond_destroy(&p->cv_space);
	free(p->inline_buf);
	free(p);
	return done;
}
