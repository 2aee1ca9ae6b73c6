/* incident.c — blocked requests: group commit to the store, then the 403.
 *
 * Every blocked request of one loop turn waits in a batch; the commit event
 * (activated by the first of them, so it runs after the turn's other
 * callbacks) records the whole batch in one transaction and only then
 * answers each request.  So the answer never leaves before its incident is
 * durable, and under load the fsync is shared. */
#include "server/srv_int.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_MAX 256

void incident_block(job *j, const sg_verdict *v)
{
	struct srv *s = j->s;
	if (v != &j->bv)
		j->bv = *v;
	j->blocked = 1;
	/* From here on the URL is evidence: keep it as printable UTF-8. */
	if (j->url) {
		size_t n = strlen(j->url), cap = (n > SRV_URL_MAX ? SRV_URL_MAX : n) * 4 + 1;
		char *c = malloc(cap);
		if (c) {
			text_clean(c, cap, j->url, n > SRV_URL_MAX ? SRV_URL_MAX : n);
			free(j->url);
			j->url = c;
		}
	}
	if ((unsigned)j->bv.category < SG_CAT__COUNT)
		s->m.blocked[j->bv.category]++;
	j->next = NULL;
	if (s->c_tail)
		s->c_tail->next = j;
	else
		s->c_head = j;
	s->c_tail = j;
	if (s->c_count++ == 0)
		event_active(s->commit_ev, 0, 0);
}

static int contains(const struct srv *s, sg_category c)
{
	return (unsigned)c < SG_CAT__COUNT && ((s->cfg->contain_mask >> c) & 1u);
}

static void log_decision(job *j, int contain)
{
	char mem[4096];
	tbuf b;
	const sg_verdict *v = &j->bv;
	tb_init(&b, mem, sizeof mem);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	tb_fmt(&b, "{\"ts\":%lld.%03ld,\"event\":\"decision\",\"action\":\"block\",\"incident\":%lld,"
	           "\"opened\":%d,\"contain\":%d,\"hop\":%d,\"category\":\"%s\",\"rule\":",
	       (long long)now.tv_sec, now.tv_nsec / 1000000, (long long)j->rec.incident_id,
	       j->rec.opened, contain, j->hop, sg_category_name(v->category));
	tb_json(&b, v->rule, strlen(v->rule), 96);
	tb_str(&b, ",\"reason\":");
	tb_json(&b, v->reason, strlen(v->reason), 192);
	tb_str(&b, ",\"host\":");
	tb_json(&b, v->host, strlen(v->host), 256);
	tb_fmt(&b, ",\"port\":%u,\"addrs\":%s,\"client\":", (unsigned)v->port,
	       j->addrs_len ? j->addrs : "[]");
	tb_json(&b, j->client, strlen(j->client), 64);
	tb_str(&b, ",\"url\":");
	tb_json(&b, j->url ? j->url : "", j->url ? strlen(j->url) : 0, 1024);
	tb_str(&b, "}\n");
	log_line(j->s, b.p, b.len);
}

static void answer(job *j, int contain)
{
	char mem[4096];
	tbuf b;
	tb_init(&b, mem, sizeof mem);
	text_block_body(&b, j->html, j->rec.incident_id, sg_category_name(j->bv.category),
	                j->bv.rule, contain);
	struct evbuffer *body = evbuffer_new();
	if (body)
		evbuffer_add(body, b.p, b.len);
	srv_reply(j, 403, j->html ? "text/html; charset=utf-8" : "application/json", body, "block");
	if (body)
		evbuffer_free(body);
}

void incident_commit(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	store_attempt_in in[BATCH_MAX];
	store_record_out out[BATCH_MAX];
	job *batch[BATCH_MAX];
	size_t n = 0;
	(void)fd;
	(void)what;

	while (s->c_head && n < BATCH_MAX) {
		job *j = s->c_head;
		s->c_head = j->next;
		j->next = NULL;
		const sg_verdict *v = &j->bv;
		const char *h = v->host[0] ? v->host : v->addr;
		if (strchr(h, ':'))
			snprintf(j->dest, sizeof j->dest, "[%s]:%u", h, (unsigned)v->port);
		else
			snprintf(j->dest, sizeof j->dest, "%s:%u", h, (unsigned)v->port);
		if (j->addrs_len == 0 && v->addr[0]) {
			snprintf(j->addrs, sizeof j->addrs, "[\"%s\"]", v->addr);
			j->addrs_len = strlen(j->addrs);
		}
		in[n] = (store_attempt_in){
			.client = j->client, .request = j->request, .headers = j->headers,
			.url = j->url ? j->url : "", .dest = j->dest, .category = sg_category_name(v->category),
			.rule = v->rule, .reason = v->reason, .hop = j->hop,
			.addrs = j->addrs_len ? j->addrs : "[]", .instance_id = s->id->instance_id,
			.region = s->id->region, .az = s->id->az,
			.contain = contains(s, v->category),
		};
		batch[n++] = j;
	}
	if (!s->c_head)
		s->c_tail = NULL;
	s->c_count -= n;
	if (s->c_head) /* more than one batch this turn: continue next turn */
		event_active(s->commit_ev, 0, 0);

	sg_err e = store_record_many(s->st, in, n, out);
	if (e == SG_OK) {
		s->m.commits++;
	} else {
		s->m.commit_errors++;
		char line[512];
		tbuf b;
		tb_init(&b, line, sizeof line);
		tb_fmt(&b, "{\"event\":\"error\",\"what\":\"store\",\"error\":\"%s\",\"detail\":",
		       sg_strerror(e));
		const char *m = store_errmsg(s->st);
		tb_json(&b, m, strlen(m), 200);
		tb_fmt(&b, ",\"lost_attempts\":%zu}\n", n);
		log_line(s, b.p, b.len);
	}
	for (size_t i = 0; i < n; i++) {
		job *j = batch[i];
		int contain = in[i].contain;
		if (e == SG_OK) {
			j->rec = out[i];
			if (out[i].opened)
				s->m.incidents_opened++;
			log_decision(j, contain);
			answer(j, contain);
			if (contain && (out[i].opened || out[i].escalated) && s->resp_started &&
			    s->resp.notify)
				s->resp.notify(s->resp.ctx, out[i].incident_id);
		} else {
			/* Still blocked, never fetched; the client learns the record failed. */
			srv_reply_error(j, 503, "request blocked, but the incident could not be "
			                        "recorded; try again");
		}
		srv_job_free(j);
	}
	srv_check_drained(s);
}
