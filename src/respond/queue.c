/* queue.c — the responder's SQS intake (see queue.h). */
#include "respond/queue.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/json.h"
#include "aws/sqs.h"
#include "common/clock.h"
#include "common/escape.h"
#include "respond/listen.h"
#include "store/settler.h"

#define QUEUE_BODY_MAX AWS_SQS_MAX_BODY

struct respond_queue {
	respond_queue_config cfg;
	char url[600];
	store *st;
	struct aws_client *aws;
	pthread_t th;
	bool started;
	atomic_int stop;                /* set by respond_queue_stop, read by the thread and libcurl */
	unsigned long refused_senders;  /* RQ_SENDER since start (the queue thread's own) */
	bool no_redrive;                /* no RedrivePolicy seen at start: refusals back off */
	store_settler settler;          /* what the store left unsettled (store/settler.h) */
	char spool[4096];               /* its spool file */
};

/* A stop waits this long for the store to settle what it left unanswered. */
#define STOP_SETTLE_MS 10000

/* Hidden after a refusal on a queue without a redrive policy: 60 s on the
 * first receive, doubling with each receive to 15 minutes. */
#define REFUSED_BACKOFF_S     60
#define REFUSED_BACKOFF_MAX_S 900

/* Is the body an EventBridge envelope (it has "detail-type")? */
static bool is_event(const char *body, size_t len)
{
	json_t *j = NULL;
	struct aws_json_limits lim = {.max_bytes = QUEUE_BODY_MAX, .max_depth = 32};
	if (aws_json_parse(body, len, &lim, &j))
		return false;
	bool yes = json_is_object(j) && json_object_get(j, "detail-type");
	json_decref(j);
	return yes;
}

/* The finding's detail, compact, kept with the incident as step "finding". */
static sg_err keep_finding(store *st, int64_t id, const char *body, size_t len)
{
	json_t *j = NULL;
	struct aws_json_limits lim = {.max_bytes = QUEUE_BODY_MAX, .max_depth = 32};
	aws_json_parse(body, len, &lim, &j);
	char *detail = j ? json_dumps(json_object_get(j, "detail"), JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	/* evidence, not a playbook step: kept even while a responder holds the
	 * incident (a finding joining an incident being contained) */
	store_change c = {.incident_id = id, .step = "finding", .to = "kept",
	                  .reason = "GuardDuty finding received", .actor = "queue", .data = detail,
	                  .force = 1};
	sg_err rc = detail ? store_transition(st, &c) : SG_ERR_NOMEM;
	free(detail);
	return rc;
}

/* The session part of a SenderId ("ROLEID:SESSION" -> "SESSION"); NULL for
 * a user's or an AWS service's id, which has none. */
static const char *sender_session(const char *sender)
{
	const char *colon = strchr(sender, ':');
	return colon ? colon + 1 : NULL;
}

/* "WHAT from SENDER refused: WHY", the sender escaped. */
static respond_queue_outcome refuse_sender(const char *what, const char *sender, const char *why,
                                           char *msg, size_t msglen)
{
	char shown[400];
	sg_text_clean(shown, sizeof shown, sender, strlen(sender));
	snprintf(msg, msglen, "%s from %s refused: %s", what, sender[0] ? shown : "(no SenderId)",
	         why);
	return RQ_SENDER;
}

static respond_queue_outcome take_finding(store *st, const pb_gd_config *gd, const char *sender,
                                          const char *body, size_t len, int64_t *id, char *msg,
                                          size_t msglen)
{
	/* EventBridge sends as its service principal, never as a role session:
	 * an event from one is a detector's (a web host's) forgery */
	if (!sender[0] || sender_session(sender))
		return refuse_sender("GuardDuty-shaped event", sender,
		                     "EventBridge sends as its service, not as a role session", msg,
		                     msglen);
	pb_gd_finding f;
	char why[512];
	if (pb_guardduty_parse(body, len, &f, why, sizeof why)) {
		snprintf(msg, msglen, "GuardDuty event refused: %s", why);
		return RQ_REFUSED;
	}
	pb_gd_action act = pb_guardduty_decide(gd, &f);
	if (act == PB_GD_IGNORE) {
		snprintf(msg, msglen, "GuardDuty %s (severity %.1f) on %s: ignored by config", f.type_name,
		         f.severity, f.instance_id);
		return RQ_IGNORED;
	}
	char client[160], request[320], reason[192], join[160];
	snprintf(client, sizeof client, "guardduty:%s", f.finding_id);
	snprintf(join, sizeof join, "instance:%s", f.instance_id);
	snprintf(request, sizeof request, "GuardDuty finding %s%s", f.finding_id,
	         f.sample ? " (sample)" : "");
	snprintf(reason, sizeof reason, "GuardDuty %s, severity %.1f", f.type_name, f.severity);
	store_attempt_in a = {.client = client, .request = request, .url = "", .dest = "",
	                      .category = "guardduty", .rule = f.type_name, .reason = reason,
	                      .instance_id = f.instance_id, .region = f.region, .az = f.az,
	                      .contain = act == PB_GD_CONTAIN,
	                      .join = f.instance_id[0] ? join : NULL};
	store_record_out o;
	if (store_record(st, &a, &o)) {
		snprintf(msg, msglen, "store busy; GuardDuty finding %s left for redelivery", f.finding_id);
		return RQ_RETRY;
	}
	sg_err kept = keep_finding(st, o.incident_id, body, len);
	if (kept) {
		snprintf(msg, msglen, "GuardDuty finding %s: INC-%lld recorded, the finding not kept (%s); "
		         "left for redelivery", f.finding_id, (long long)o.incident_id, sg_strerror(kept));
		return RQ_RETRY;
	}
	*id = o.incident_id;
	snprintf(msg, msglen, "GuardDuty %s (severity %.1f) on %s: INC-%lld (%s, %s)", f.type_name,
	         f.severity, f.instance_id, (long long)o.incident_id, pb_gd_action_name(act),
	         o.opened ? "new" : "joined");
	return RQ_RECORDED;
}

/* The store did not answer: the attempt may be recorded (at most once);
 * the store keeps it (and its spool) and settles it, so the message is
 * done with — a redelivery would record it a second time. */
static respond_queue_outcome kept_unsettled(const char *source, const store_record_out *o,
                                            char *msg, size_t msglen)
{
	snprintf(msg, msglen, "%s: the store did not answer; the attempt may be recorded (at most "
	         "once) in INC-%lld and is kept to be settled (see the \"settled\" lines)", source,
	         (long long)o->maybe_incident_id);
	return RQ_KEPT;
}

static respond_queue_outcome take_delivery(store *st, const char *sender, const char *body,
                                           size_t len, int64_t *id, char *msg, size_t msglen)
{
	respond_delivery d;
	char why[200];
	if (respond_delivery_parse(body, len, &d, why, sizeof why)) {
		snprintf(msg, msglen, "detector incident refused: %s", why);
		return RQ_REFUSED;
	}
	/* a detector reports only its own instance: the one its instance
	 * profile's session is named after */
	const char *session = sender_session(sender);
	if (!session || strcmp(session, d.instance_id)) {
		char what[120];
		snprintf(what, sizeof what, "detector incident about %s", d.instance_id);
		return refuse_sender(what, sender, "a detector reports only its own instance (its "
		                     "instance profile's session)", msg, msglen);
	}
	char source[200], request[200], join[160];
	snprintf(source, sizeof source, "detector:%s/%lld", d.detector, (long long)d.remote_id);
	snprintf(request, sizeof request, "delivered by %s over SQS (its incident %lld)%s", d.detector,
	         (long long)d.remote_id, d.cut ? "; evidence cut to fit" : "");
	snprintf(join, sizeof join, "instance:%s", d.instance_id);
	store_attempt_in a = {.at_ms = d.at_ms, .client = source, .request = request, .url = d.url,
	                      .dest = d.dest, .category = d.category, .rule = d.rule,
	                      .reason = d.reason, .instance_id = d.instance_id, .region = d.region,
	                      .az = d.az, .contain = 1, .join = d.instance_id[0] ? join : NULL};
	store_record_out o;
	if (store_record(st, &a, &o)) {
		if (o.unsettled && o.kept)
			return kept_unsettled(source, &o, msg, msglen);
		snprintf(msg, msglen, "store busy; %s left for redelivery", source);
		return RQ_RETRY;
	}
	*id = o.incident_id;
	snprintf(msg, msglen, "%s on %s: INC-%lld (%s)", source, d.instance_id,
	         (long long)o.incident_id, o.opened ? "new" : "joined");
	return RQ_RECORDED;
}

respond_queue_outcome respond_queue_take(store *st, const pb_gd_config *gd, const char *sender,
                                         const char *body, size_t len, int64_t *incident_id,
                                         char *msg, size_t msglen)
{
	*incident_id = 0;
	if (len > QUEUE_BODY_MAX) {
		snprintf(msg, msglen, "body larger than %u bytes refused", QUEUE_BODY_MAX);
		return RQ_REFUSED;
	}
	if (is_event(body, len))
		return take_finding(st, gd, sender, body, len, incident_id, msg, msglen);
	return take_delivery(st, sender, body, len, incident_id, msg, msglen);
}

/* Hide the messages not yet taken for visibility_s more. */
static void extend(respond_queue *q, struct aws_sqs_message *m, size_t from, size_t n)
{
	for (size_t i = from; i < n; i++) {
		struct aws_error e;
		if (aws_sqs_change_visibility(q->aws, q->url, m[i].receipt_handle, q->cfg.visibility_s, &e))
			respond_log(q->cfg.rcfg, "warning", "queue: message %s: cannot extend visibility: %s %s",
			            m[i].message_id, e.code, e.message);
	}
}

static int refused_backoff_s(unsigned receive_count)
{
	int s = REFUSED_BACKOFF_S;
	for (unsigned i = 1; i < receive_count && s < REFUSED_BACKOFF_MAX_S; i++)
		s *= 2;
	return s < REFUSED_BACKOFF_MAX_S ? s : REFUSED_BACKOFF_MAX_S;
}

static void take_one(respond_queue *q, const struct aws_sqs_message *m)
{
	char msg[768];
	int64_t id = 0;
	respond_queue_outcome out = respond_queue_take(q->st, &q->cfg.guardduty, m->sender_id,
	                                               m->body, strlen(m->body), &id, msg, sizeof msg);
	struct aws_error e;
	if (out == RQ_SENDER)
		respond_log(q->cfg.rcfg, "error",
		            "queue: message %s (receive %u) refused for its sender (%lu so far), left to "
		            "the dead-letter policy: %s", m->message_id, m->receive_count,
		            ++q->refused_senders, msg);
	else if (out == RQ_REFUSED)
		respond_log(q->cfg.rcfg, "error",
		            "queue: message %s (receive %u) refused, left to the dead-letter policy: %s",
		            m->message_id, m->receive_count, msg);
	if (out == RQ_REFUSED || out == RQ_SENDER) {
		/* a refusal is final: visible again now, so that the redrive
		 * policy counts its receives without a visibility timeout each;
		 * without one nothing ever takes it away, so it backs off instead
		 * of coming back at once for the queue's retention */
		if (aws_sqs_change_visibility(q->aws, q->url, m->receipt_handle,
		                              q->no_redrive ? refused_backoff_s(m->receive_count) : 0, &e))
			respond_log(q->cfg.rcfg, "warning", "queue: message %s: %s %s", m->message_id, e.code,
			            e.message);
		return;
	}
	if (out == RQ_RETRY) {
		respond_log(q->cfg.rcfg, "warning", "queue: message %s: %s", m->message_id, msg);
		return;
	}
	respond_log(q->cfg.rcfg, out == RQ_KEPT ? "warning" : "info", "queue: message %s: %s",
	            m->message_id, msg);
	if (aws_sqs_delete(q->aws, q->url, m->receipt_handle, &e))
		respond_log(q->cfg.rcfg, "warning",
		            "queue: message %s recorded but not deleted (%s %s): it will come back "
		            "and join the same incident", m->message_id, e.code, e.message);
}

static void poll_once(respond_queue *q)
{
	struct aws_sqs_message *m = NULL;
	size_t n = 0;
	struct aws_error e;
	int64_t received = sg_mono_ms();
	/* while something is unsettled, short polls: it is looked at each second */
	int wait_s = store_settler_tick(&q->settler) ? 1 : q->cfg.wait_s;
	sg_err rc = aws_sqs_receive(q->aws, q->url, 10, wait_s, q->cfg.visibility_s, &m, &n, &e);
	if (rc && atomic_load(&q->stop))
		return; /* the receive ended by respond_queue_stop: its messages, if any, come back */
	if (rc) {
		respond_log(q->cfg.rcfg, "warning", "queue: receive failed: %s %s %s", sg_strerror(rc), e.code,
		            e.message);
		for (int w = 0; w < 20 && !atomic_load(&q->stop); w++)   /* 2 s before trying again */
			nanosleep(&(struct timespec){0, 100000000}, NULL);
		return;
	}
	int64_t half = (int64_t)q->cfg.visibility_s * 500;
	/* once stopping, the rest come back */
	for (size_t i = 0; i < n && !atomic_load(&q->stop); i++) {
		if (sg_mono_ms() - received > half) {
			extend(q, m, i, n);
			received = sg_mono_ms();
		}
		take_one(q, &m[i]);
	}
	aws_sqs_messages_free(m, n);
}

/* The queue's RedrivePolicy (GetQueueAttributes), read once at start: a
 * queue without one keeps a refused message for its whole retention. */
static void check_redrive(respond_queue *q)
{
	char policy[1024];
	struct aws_error e;
	sg_err rc = aws_sqs_queue_attribute(q->aws, q->url, "RedrivePolicy", policy, sizeof policy, &e);
	q->no_redrive = rc || !policy[0];
	if (rc)
		respond_log(q->cfg.rcfg, "warning",
		            "queue: cannot read the queue's RedrivePolicy (%s %s %s): a refused message is "
		            "hidden for %d s, doubling to %d s, as on a queue without one",
		            sg_strerror(rc), e.code, e.message, REFUSED_BACKOFF_S, REFUSED_BACKOFF_MAX_S);
	else if (!policy[0])
		respond_log(q->cfg.rcfg, "error",
		            "queue: the queue has no RedrivePolicy: a refused message never goes to a "
		            "dead-letter queue and comes back until the queue's retention ends; it is "
		            "hidden for %d s, doubling to %d s, between receives. Give the queue a "
		            "dead-letter queue (docs/fleet.md)", REFUSED_BACKOFF_S, REFUSED_BACKOFF_MAX_S);
}

bool respond_queue_without_redrive(const respond_queue *q)
{
	return q && q->no_redrive;
}

static void settle_log(void *ctx, const char *level, const char *event, const char *msg)
{
	(void)event;
	respond_log(ctx, level, "%s", msg);
}

static void *queue_main(void *arg)
{
	respond_queue *q = arg;
	while (!atomic_load(&q->stop))
		poll_once(q);
	store_settler_stop(&q->settler, STOP_SETTLE_MS);
	return NULL;
}

sg_err respond_queue_start(const respond_queue_config *cfg, respond_queue **out, char *msg,
                           size_t msglen)
{
	*out = NULL;
	if (!cfg->queue_url || !aws_sqs_queue_url_ok(cfg->queue_url)) {
		snprintf(msg, msglen, "--queue: not an SQS queue URL (https://sqs.REGION.amazonaws.com/"
		                      "ACCOUNT/NAME)");
		return SG_ERR_INVAL;
	}
	respond_queue *q = calloc(1, sizeof *q);
	if (!q)
		return SG_ERR_NOMEM;
	q->cfg = *cfg;
	snprintf(q->url, sizeof q->url, "%s", cfg->queue_url);
	q->cfg.queue_url = q->url;
	if (!q->cfg.visibility_s)
		q->cfg.visibility_s = 120;
	if (!q->cfg.wait_s)
		q->cfg.wait_s = AWS_SQS_MAX_WAIT_S;
	const respond_config *r = cfg->rcfg;
	store_spool_path(r->store_path, "respond-queue", q->spool, sizeof q->spool);
	sg_err err = respond_store_open(r, &(store_opts){.spool = q->spool}, &q->st, msg, msglen);
	struct aws_client_opts o = {.region = r->region, .profile = r->profile,
	                            .endpoint_url = r->endpoint_url,
	                            .ca_bundle = r->ca_bundle, .max_attempts = r->aws_max_attempts,
	                            .backoff_base_ms = r->aws_backoff_base_ms,
	                            .timeout_ms = (q->cfg.wait_s + 10) * 1000L,
	                            .cancel = &q->stop};
	struct aws_error e;
	if (!err && (err = aws_client_new(&o, &q->aws, &e)))
		snprintf(msg, msglen, "AWS client: %.100s%s%.300s", e.code, e.code[0] ? ": " : "", e.message);
	if (!err) {
		q->settler = (store_settler){.st = q->st, .who = "respond --queue",
		                             .log = settle_log, .ctx = (void *)r};
		store_settler_init(&q->settler);
		check_redrive(q);
	}
	if (!err && pthread_create(&q->th, NULL, queue_main, q)) {
		snprintf(msg, msglen, "cannot start the queue thread");
		err = SG_ERR_NOMEM;
	}
	if (err) {
		respond_queue_stop(q);
		return err;
	}
	q->started = true;
	*out = q;
	return SG_OK;
}

void respond_queue_stop(respond_queue *q)
{
	if (!q)
		return;
	atomic_store(&q->stop, 1);
	if (q->started)
		pthread_join(q->th, NULL);
	aws_client_free(q->aws);
	store_close(q->st);
	free(q);
}
