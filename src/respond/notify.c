/* notify.c — webhook and SNS notifications (see notify.h). */
#include "respond/notify.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>

#include "aws/sns.h"
#include "respond/journal.h"
#include "respond/rsp.h"

static size_t discard(char *p, size_t s, size_t n, void *u)
{
	(void)p;
	(void)u;
	return s * n;
}

static sg_err webhook(const char *url, const char *body)
{
	CURL *c = curl_easy_init();
	if (!c)
		return SG_ERR_NOMEM;
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK)
		return SG_ERR_NETWORK;
	return status >= 200 && status < 300 ? SG_OK : SG_ERR_REMOTE;
}

void rsp_notify(rsp_run *x, const char *event, const char *text, json_t *extra)
{
	const respond_config *cfg = x->cfg;
	if (x->dry_run || (!cfg->webhook_url && !cfg->sns_topic_arn))
		return;
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:I}", "event", event, "incident", x->inc, "instance",
	                      x->inst ? x->inst->id : "", "text", text, "at_ms", (json_int_t)rsp_now_ms());
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
		sg_err err = webhook(cfg->webhook_url, body);
		if (err)
			respond_log(x->cfg, "error", "%s: webhook (%s): %s", x->inc, event, sg_strerror(err));
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

