/* progress.c — a line a second on stderr (see progress.h). */
#include "forensics/progress.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"

struct progress {
	progress_counters *c;
	int tty;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	double t0;           /* sg_mono_s() at the start */
};

static uint64_t get(_Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static void show(progress *p)
{
	double s = sg_mono_s() - p->t0;
	uint64_t dd = get(&p->c->device_done), dt = get(&p->c->device_total);
	uint64_t bh = get(&p->c->bytes_hashed);
	char acq[96] = "";
	if (dt) {
		double rate = s > 0 ? (double)dd / s : 0;
		double eta = rate > 0 && dt > dd ? (double)(dt - dd) / rate : 0;
		snprintf(acq, sizeof acq, "acquired %.1f/%.1f GB %.2f GB/s ETA %d:%02d | ",
		         (double)dd / 1e9, (double)dt / 1e9, rate / 1e9, (int)eta / 60, (int)eta % 60);
	}
	fprintf(stderr, "%sforensics: %s%llu entries, %llu files hashed (%.2f GB, %.2f GB/s)%s",
	        p->tty ? "\r" : "", acq, (unsigned long long)get(&p->c->entries),
	        (unsigned long long)get(&p->c->files_hashed), (double)bh / 1e9,
	        s > 0 ? (double)bh / s / 1e9 : 0.0, p->tty ? "\033[K" : "\n");
	fflush(stderr);
}

static void *run(void *arg)
{
	progress *p = arg;
	unsigned every = p->tty ? 1 : 10, tick = 0;
	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&p->cv, &p->mu, &until);
		if (!p->stop && ++tick % every == 0) {
			pthread_mutex_unlock(&p->mu);
			show(p);
			pthread_mutex_lock(&p->mu);
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

sg_err progress_start(progress_counters *c, int mode, progress **out)
{
	*out = NULL;
	int tty = isatty(STDERR_FILENO);
	if (mode == 0 || (mode < 0 && !tty))
		return SG_OK;
	progress *p = calloc(1, sizeof *p);
	if (!p)
		return SG_ERR_NOMEM;
	p->c = c;
	p->tty = tty;
	p->t0 = sg_mono_s();
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->th, NULL, run, p) != 0) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		free(p);
		return SG_ERR_NOMEM;
	}
	*out = p;
	return SG_OK;
}

void progress_stop(progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL);
	show(p);
	if (p->tty)
		fputc('\n', stderr);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}
