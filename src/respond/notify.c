/* notify.c — webhook and SNS notifications (see notify.h). */
#include "respond/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/http.h"
#include "aws/sns.h"
#include "respond/journal.h"
#include "respond/rsp.h"

/* POST the body to the webhook on the one HTTP path (aws/http.h: the peer
 * verified against --ca-bundle or the system's CAs, no proxy, no
 * redirect, the reply capped); why says what failed. */
static sg_err webhook(const respond_config *cfg, const char *body, char *why, size_t whylen)
{
	static const struct aws_kv json = {"Content-Type", "application/json"};
	struct aws_http_req req = {.method = "POST", .url = cfg->webhook_url, .headers = &json,
	                           .nheaders = 1, .body = body, .body_len = strlen(body),
	                           .connect_timeout_ms = 2000, .timeout_ms = 5000,
	                           .ca_bundle = cfg->ca_bundle, .max_reply = 64 << 10,
	                           .fresh_connection = 1, .no_proxy = 1};
	struct aws_http_resp resp;
	sg_err err = aws_http_once(&req, &resp, why, whylen);
	if (!err && (resp.status < 200 || resp.status > 299)) {
		snprintf(why, whylen, "HTTP %ld", resp.status);
		err = SG_ERR_REMOTE;
	}
	aws_http_resp_free(&resp);
	return err;
}

void rsp_notify(rsp_run *x, const char *event, const char *text, json_t *extra)
{
	const respond_config *cfg = x->cfg;
	if (x->dry_run || (!cfg->webhook_url && !cfg->sns_topic_arn))
		return;
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:I}", "event", event, "incident", x->inc, "instance",
	                      x->inst ? x->inst->id : "", "text", text, "at_ms", (json_int_t)sg_wall_ms());
	if (j && extra)
		json_object_update_missing(j, extra);
	char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!body) { /* never silently: the operator learns what was not sent */
		respond_log(cfg, "error", "%s: %s notification not sent: its body could not be built "
		            "(text not UTF-8, or out of memory)", x->inc, event);
		return;
	}
	if (cfg->webhook_url) {
		char why[300];
		if (webhook(cfg, body, why, sizeof why))
			respond_log(x->cfg, "error", "%s: webhook (%s): %s", x->inc, event, why);
	}
	if (cfg->sns_topic_arn && x->aws) {
		char subject[100];
		snprintf(subject, sizeof subject, "ssrfguard %s: %s", x->inc, event);
		struct aws_error e;
		/* not the step's call: a failure notice is sent after the step
		 * has ended, and must not reopen its journal */
		rsp_journal_detach(x);
		if (aws_sns_publish(x->aws, cfg->sns_topic_arn, subject, body, 0, NULL, &e))
			respond_log(x->cfg, "error", "%s: SNS publish: %s %s", x->inc, e.code, e.message);
		rsp_journal_attach(x);
	}
	free(body);
}

