/* incident.c — blocked requests: group commit to the store, then the 403.
 *
 * The loop thread never touches the disk for an incident.  Blocked requests
 * wait in a pending list; a writer thread with its own store handle takes
 * the whole list as one batch, commits it in one transaction
 * (store_record_many: one fsync), and hands it back through an eventfd; only
 * then does the loop answer each request.  While the writer is in fsync the
 * next batch accumulates, so the batch grows with the load and throughput
 * does not depend on fsync latency, while every answer still leaves after
 * its incident is durable.
 *
 * With several loops there is still one writer (the primary's thread and
 * store handle, the hub): it takes every loop's pending batch into one
 * transaction and hands each loop its own back through the loop's eventfd,
 * so loops never contend for the store's lock.  Each loop's todo, done and
 * busy are guarded by the hub's mutex. */
#include "server/srv_int.h"
#include "store/settler.h"

#include <errno.h>
#include <event2/buffer.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MAX 1024

struct writer {
	struct writer *hub;      /* the primary's (itself for the primary) */
	pthread_t th;            /* hub only: the thread, mutex, cv, store */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int efd;                 /* writer -> loop: a batch is done */
	struct event *done_ev;
	store *st;               /* the writer's own handle */
	job *todo;               /* handed to the writer (loop -> writer) */
	size_t ntodo;
	job *done;               /* committed (writer -> loop) */
	sg_err done_err;
	int busy;                /* a batch is with the writer */
	int quit;
	int started;
	int inited;              /* hub: mu and cv initialised */
	store_settler settler;   /* hub: what the store left unsettled (store/settler.h) */
	char spool[4096];        /* hub: its spool file */
	sg_err last_err;         /* hub: its last commit, whichever loop's batch */
};

/* Whether j's attempt asks for containment: `contain` of the rules' reading
 * it was judged under (reloaded with them). */
static int contains(const job *j)
{
	unsigned c = (unsigned)j->bv.category;
	uint32_t mask = j->rules ? j->rules->contain_mask : j->s->cfg->contain_mask;
	return c < SG_CAT__COUNT && ((mask >> c) & 1u);
}

/* ---- writer thread ---- */

static struct srv *loop_at(struct srv *p, size_t i)
{
	return i ? p->peers[i - 1] : p;
}

/* Take every loop's pending batch (hub->mu held): n jobs in all. */
static size_t take_all(struct srv *p, job **batches, size_t *counts)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nloops; i++) {
		struct writer *w = loop_at(p, i)->writer;
		batches[i] = w ? w->todo : NULL;
		counts[i] = w ? w->ntodo : 0;
		n += counts[i];
		if (w) {
			w->todo = NULL;
			w->ntodo = 0;
		}
	}
	return n;
}

/* The settler's log lines and outcomes (store/settler.h): counted, and the
 * embedded responder woken for a recorded containment attempt.  The writer
 * thread, with the hub's store handle. */
static void settle_log(void *ctx, const char *level, const char *event, const char *msg)
{
	log_line_from_any_thread(ctx, level, event, msg);
}

static void settled_one(void *ctx, const store_settled *r)
{
	struct srv *p = ctx;
	bool in = r->how == STORE_SETTLED_RECORDED || r->how == STORE_SETTLED_RERECORDED;
	SRV_COUNT(p->m.settled[r->how], 1);
	if (in && r->opened)
		SRV_COUNT(p->m.incidents_opened, 1);
	if (in && r->contain && p->resp_started && p->resp.notify)
		p->resp.notify(p->resp.ctx, r->incident_id);
}

static void settle_kept(struct srv *p, struct writer *hub)
{
	store_settler_tick(&hub->settler);
	__atomic_store_n(&p->m.unsettled_kept, store_unsettled(hub->st), __ATOMIC_RELAXED);
}

static void *writer_main(void *arg)
{
	struct srv *p = arg; /* the primary */
	struct writer *hub = p->writer;
	size_t cap = p->nloops * BATCH_MAX;
	store_attempt_in *in = malloc(cap * sizeof *in);
	store_record_out *out = malloc(cap * sizeof *out);
	job **batches = calloc(p->nloops, sizeof *batches);
	size_t *counts = calloc(p->nloops, sizeof *counts);

	hub->settler = (store_settler){.st = hub->st, .who = "serve", .log = settle_log,
	                               .settled = settled_one, .ctx = p};
	store_settler_init(&hub->settler);
	pthread_mutex_lock(&hub->mu);
	for (;;) {
		/* attempts left unsettled: looked at again each second, between
		 * batches or while idle */
		if (store_unsettled(hub->st)) {
			pthread_mutex_unlock(&hub->mu);
			settle_kept(p, hub);
			pthread_mutex_lock(&hub->mu);
		}
		size_t n = batches && counts ? take_all(p, batches, counts) : 0;
		if (!n) {
			if (hub->quit)
				break;
			if (!store_unsettled(hub->st)) {
				pthread_cond_wait(&hub->cv, &hub->mu);
				continue;
			}
			struct timespec at;
			clock_gettime(CLOCK_REALTIME, &at);
			at.tv_sec += 1;
			pthread_cond_timedwait(&hub->cv, &hub->mu, &at);
			continue;
		}
		pthread_mutex_unlock(&hub->mu);

		sg_err e = SG_ERR_NOMEM;
		if (in && out) {
			size_t k = 0;
			for (size_t b = 0; b < p->nloops; b++)
				for (job *j = batches[b]; j; j = j->next, k++) {
					const sg_verdict *v = &j->bv;
					in[k] = (store_attempt_in){
						.client = j->client,
						.request = j->request ? j->request : "",
						.headers = j->headers ? j->headers : "{}", .url = j->url ? j->url : "",
						.dest = j->dest, .category = sg_category_name(v->category),
						.rule = v->rule, .reason = v->reason, .hop = j->hop,
						.addrs = j->d.addrs_len ? j->d.addrs : "[]",
						.instance_id = p->id->instance_id, .region = p->id->region,
						.az = p->id->az, .contain = contains(j),
					};
				}
			/* on error, out[k] is still filled for each attempt that was
			 * recorded (DynamoDB: the chunks before the one that failed)
			 * and zero for the others */
			e = store_record_many(hub->st, in, n, out);
			__atomic_store_n(&p->m.unsettled_kept, (uint64_t)store_unsettled(hub->st),
			                 __ATOMIC_RELAXED);
			k = 0;
			for (size_t b = 0; b < p->nloops; b++)
				for (job *j = batches[b]; j; j = j->next, k++)
					j->rec = out[k];
		}

		pthread_mutex_lock(&hub->mu);
		hub->last_err = e;
		for (size_t b = 0; b < p->nloops; b++) {
			if (!batches[b])
				continue;
			struct writer *w = loop_at(p, b)->writer;
			w->done = batches[b];
			w->done_err = e;
			uint64_t one = 1;
			while (write(w->efd, &one, sizeof one) < 0 && errno == EINTR)
				;
		}
	}
	pthread_mutex_unlock(&hub->mu);
	/* an orderly stop: settled within the drain time if answers come; what
	 * is still unsettled stays in the spool (or is logged with its evidence) */
	store_settler_stop(&hub->settler, srv_lim(p)->drain_s * 1000);
	settle_kept(p, hub);
	free(in);
	free(out);
	free(batches);
	free(counts);
	return NULL;
}

/* ---- loop side ---- */

static void log_decision(job *j, int contain)
{
	char mem[4096];
	tbuf b;
	const sg_verdict *v = &j->bv;
	tb_init(&b, mem, sizeof mem);
	static const char *const containment[] = {"none", "queued", "unavailable"};
	tb_fmt(&b, "{\"event\":\"decision\",\"action\":\"block\",\"incident\":%lld,",
	       (long long)(j->rec.unsettled ? j->rec.maybe_incident_id : j->rec.incident_id));
	if (j->rec.unsettled) /* the store never answered: in that incident, or nowhere */
		tb_str(&b, "\"unsettled\":1,\"recorded\":\"unknown (at most once)\",");
	tb_fmt(&b, "\"opened\":%d,\"aggregated\":%d,\"contain\":%d,\"containment\":\"%s\","
	           "\"hop\":%d,\"category\":\"%s\",\"rule\":",
	       j->rec.opened, j->rec.aggregated, contain != TEXT_CONTAIN_NONE,
	       containment[contain], j->hop, sg_category_name(v->category));
	tb_json(&b, v->rule, strlen(v->rule), 96);
	tb_str(&b, ",\"reason\":");
	tb_json(&b, v->reason, strlen(v->reason), 192);
	tb_str(&b, ",\"host\":");
	tb_json(&b, v->host, strlen(v->host), 256);
	tb_fmt(&b, ",\"port\":%u,\"addrs\":%s,\"client\":", (unsigned)v->port,
	       j->d.addrs_len ? j->d.addrs : "[]");
	tb_json(&b, j->client, strlen(j->client), 64);
	if (j->role) {
		tb_str(&b, ",\"role\":");
		tb_json(&b, j->role, strlen(j->role), 64);
	}
	tb_str(&b, ",\"url\":");
	tb_json(&b, j->url ? j->url : "", j->url ? strlen(j->url) : 0, 1024);
	tb_str(&b, "}\n");
	log_line(j->s, contain == TEXT_CONTAIN_UNAVAILABLE ? "error" : "warning", b.p, b.len);
}

static void answer(job *j, int contain)
{
	char mem[4096];
	tbuf b;
	tb_init(&b, mem, sizeof mem);
	text_refusal r = {.incident = j->rec.incident_id,
	                  .category = sg_category_name(j->bv.category),
	                  .rule = j->bv.rule,
	                  .contain = contain};
	text_block_body(&b, j->html, &r);
	struct evbuffer *body = evbuffer_new();
	if (body)
		evbuffer_add(body, b.p, b.len);
	srv_reply(j, 403, j->html ? "text/html; charset=utf-8" : "application/json", body, "block");
	if (body)
		evbuffer_free(body);
}

/* Give the writer everything pending (at most BATCH_MAX), if it is idle. */
static void kick(struct srv *s)
{
	struct writer *w = s->writer;
	if (w->busy || !s->c_head)
		return;
	job *head = s->c_head, *tail = head;
	size_t n = 1;
	while (tail->next && n < BATCH_MAX) {
		tail = tail->next;
		n++;
	}
	s->c_head = tail->next;
	if (!s->c_head)
		s->c_tail = NULL;
	tail->next = NULL;
	w->busy = 1;
	pthread_mutex_lock(&w->hub->mu);
	w->todo = head;
	w->ntodo = n;
	pthread_cond_signal(&w->hub->cv);
	pthread_mutex_unlock(&w->hub->mu);
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	struct writer *w = s->writer;
	uint64_t cnt;
	(void)what;
	while (read(fd, &cnt, sizeof cnt) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&w->hub->mu);
	job *batch = w->done;
	sg_err e = w->done_err;
	w->done = NULL;
	pthread_mutex_unlock(&w->hub->mu);
	if (!batch)
		return;
	w->busy = 0;
	kick(s); /* the next batch commits while this one is answered */

	size_t n = 0;
	if (e == SG_OK) {
		SRV_COUNT(s->m.commits, 1);
	} else {
		SRV_COUNT(s->m.commit_errors, 1);
		char line[512];
		tbuf b;
		tb_init(&b, line, sizeof line);
		size_t landed = 0, unsettled = 0, all = 0;
		for (job *j = batch; j; j = j->next, all++) {
			landed += j->rec.incident_id != 0;
			unsettled += j->rec.unsettled != 0;
		}
		SRV_COUNT(s->m.unsettled, unsettled);
		/* unsettled: no answer said whether they were recorded */
		tb_fmt(&b, "{\"event\":\"error\",\"what\":\"store\",\"error\":\"%s\","
		           "\"recorded\":%zu,\"unsettled\":%zu,\"not_recorded\":%zu}\n",
		       sg_strerror(e), landed, unsettled, all - landed - unsettled);
		log_line(s, "error", b.p, b.len);
	}
	for (job *j = batch, *next; j; j = next) {
		next = j->next;
		j->next = NULL;
		n++;
		int contain = contains(j);
		if (contain && s->resp_started && s->resp.status &&
		    s->resp.status(s->resp.ctx, NULL, 0) == SRV_RESPONDER_FAILING)
			contain = TEXT_CONTAIN_UNAVAILABLE;
		/* recorded: the whole batch, or this attempt's part of it */
		if (e == SG_OK || j->rec.incident_id) {
			if (j->rec.opened)
				SRV_COUNT(s->m.incidents_opened, 1);
			if (j->rec.aggregated)
				SRV_COUNT(s->m.aggregated, 1);
			log_decision(j, contain);
			if (j->committed)
				j->committed(j, contain, SG_OK);
			else
				answer(j, contain);
			if (contain && (j->rec.opened || j->rec.escalated) && s->resp_started &&
			    s->resp.notify)
				s->resp.notify(s->resp.ctx, j->rec.incident_id);
		} else {
			if (j->rec.unsettled && j->rec.maybe_incident_id) {
				log_decision(j, contain); /* where it may be */
				if (contain && s->resp_started && s->resp.notify) /* look now */
					s->resp.notify(s->resp.ctx, j->rec.maybe_incident_id);
			}
			/* Still blocked, never fetched; the client learns what became of
			 * the record. */
			char why[200];
			if (j->committed)
				j->committed(j, contain, e);
			else
				srv_reply_error(j, 503, srv_unrecorded_why(j, why, sizeof why));
		}
		srv_job_free(j);
	}
	s->c_count -= n;
	srv_check_drained(s);
}

const char *srv_unrecorded_why(const job *j, char *buf, size_t cap)
{
	if (j->rec.unsettled && j->rec.maybe_incident_id)
		snprintf(buf, cap, "request blocked; the store did not answer, so the attempt may "
		         "have been recorded (at most once), in incident %lld: it is not confirmed",
		         (long long)j->rec.maybe_incident_id);
	else if (j->rec.unsettled)
		snprintf(buf, cap, "request blocked; the store did not answer, so the attempt may "
		         "have been recorded (at most once): it is not confirmed");
	else
		snprintf(buf, cap, "request blocked, but the incident could not be recorded; "
		         "try again");
	return buf;
}

void incident_block(job *j, const sg_verdict *v)
{
	struct srv *s = j->s;
	if (v != &j->bv)
		j->bv = *v;
	j->blocked = 1;
	srv_job_evidence(j);
	/* From here on the URL is evidence: keep it as printable UTF-8. */
	if (j->url) {
		size_t n = strlen(j->url), cap = (n > SRV_URL_MAX ? SRV_URL_MAX : n) * 4 + 1;
		char *c = malloc(cap);
		if (c) {
			sg_text_clean(c, cap, j->url, n > SRV_URL_MAX ? SRV_URL_MAX : n);
			free(j->url);
			j->url = c;
		}
	}
	const sg_verdict *bv = &j->bv;
	const char *h = bv->host[0] ? bv->host : bv->addr;
	if (strchr(h, ':'))
		snprintf(j->dest, sizeof j->dest, "[%s]:%u", h, (unsigned)bv->port);
	else
		snprintf(j->dest, sizeof j->dest, "%s:%u", h, (unsigned)bv->port);
	if (j->d.addrs_len == 0 && bv->addr[0]) {
		snprintf(j->d.addrs, sizeof j->d.addrs, "[\"%s\"]", bv->addr);
		j->d.addrs_len = strlen(j->d.addrs);
	}
	if ((unsigned)bv->category < SG_CAT__COUNT)
		SRV_COUNT(s->m.blocked[bv->category], 1);
	j->next = NULL;
	if (s->c_tail)
		s->c_tail->next = j;
	else
		s->c_head = j;
	s->c_tail = j;
	s->c_count++;
	/* Kick at the end of this loop turn, so the turn's blocks share a batch. */
	if (!s->writer->busy)
		event_active(s->commit_ev, 0, 0);
}

void incident_commit(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	kick(arg);
}

sg_err incident_init(struct srv *s, char *err, size_t errlen)
{
	struct writer *w = calloc(1, sizeof *w);
	char msg[512];
	if (!w)
		return SG_ERR_NOMEM;
	s->writer = w;
	w->efd = -1;
	w->hub = s->primary->writer;
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd < 0)
		return SG_ERR_IO;
	w->done_ev = event_new(s->base, w->efd, EV_READ | EV_PERSIST, on_done, s);
	if (!w->done_ev || event_add(w->done_ev, NULL) != 0)
		return SG_ERR_NOMEM;
	if (w->hub != w)
		return SG_OK; /* a peer: the primary's writer commits for it */
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->inited = 1;
	store_opts so = srvcfg_store_opts(s->cfg);
	store_spool_path(s->cfg->store, "serve", w->spool, sizeof w->spool);
	so.spool = w->spool;
	sg_err e = store_open(s->cfg->store, &so, &w->st, msg, sizeof msg);
	if (e != SG_OK) {
		snprintf(err, errlen, "store: %s", msg);
		return e;
	}
	return SG_OK;
}

void incident_last_commit(struct srv *s, char *why, size_t cap)
{
	struct writer *hub = s->writer ? s->writer->hub : NULL;
	sg_err e = SG_OK;
	if (hub && hub->inited) {
		pthread_mutex_lock(&hub->mu);
		e = hub->last_err;
		pthread_mutex_unlock(&hub->mu);
	}
	if (e)
		snprintf(why, cap, "the last commit failed: %s", sg_strerror(e));
	else if (cap)
		why[0] = '\0';
}

sg_err incident_start(struct srv *s)
{
	struct writer *w = s->writer;
	if (pthread_create(&w->th, NULL, writer_main, s) != 0)
		return SG_ERR_NOMEM;
	w->started = 1;
	return SG_OK;
}

void incident_stop(struct srv *s)
{
	struct writer *w = s->writer;
	if (!w || !w->started)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	w->started = 0;
}

void incident_cleanup(struct srv *s)
{
	struct writer *w = s->writer;
	if (!w)
		return;
	incident_stop(s);
	/* A batch committed but never answered (drain timeout): free it. */
	for (job *j = w->done, *n; j; j = n) {
		n = j->next;
		srv_job_free(j);
	}
	for (job *j = w->todo, *n; j; j = n) {
		n = j->next;
		srv_job_free(j);
	}
	if (w->done_ev)
		event_free(w->done_ev);
	if (w->efd >= 0)
		close(w->efd);
	store_close(w->st);
	if (w->inited) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
	}
	free(w);
	s->writer = NULL;
}
