/* exam_when.c — the incident time and what changed around it (see exam_int.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/escape.h"
#include "common/jsonload.h"
#include "forensics/evmanifest.h"
#include "forensics/exam_int.h"
#include "forensics/manifest.h"
#include "forensics/report.h"

const char *exam_iso(int64_t sec, char *buf, size_t len)
{
	fx_time t = {sec, 0, 1};
	char full[48];
	fx_time_iso(&t, full, sizeof full);
	/* whole seconds: "2026-12-04T16:00:00Z" */
	char *dot = strchr(full, '.');
	if (dot)
		snprintf(dot, sizeof full - (size_t)(dot - full), "Z");
	snprintf(buf, len, "%s", full);
	return buf;
}

void exam_when_init(exam_ctx *x)
{
	const exam_opts *o = x->o;
	x->incident_sec = INT64_MIN;
	x->incident_from = NULL;
	if (o->incident_time != INT64_MIN) {
		x->incident_sec = o->incident_time;
		x->incident_from = "--incident-time";
		return;
	}
	for (size_t i = 0; i < o->nsrc; i++) {
		const char *t = fx_evidence_tagged_time(o->src[i].info);
		int64_t sec;
		if (!t)
			continue;
		if (fx_utc_parse(t, &sec)) {
			char shown[65]; /* an EBS tag: anyone who may tag the volume wrote it */
			sg_text_clean(shown, sizeof shown, t, strlen(t));
			say("the evidence's %s \"%s\" is not a UTC time; ignored", FX_INCIDENT_TIME_TAG,
			    shown);
			continue;
		}
		if (x->incident_sec == INT64_MIN || sec < x->incident_sec) {
			x->incident_sec = sec; /* the earliest, if volumes disagree */
			x->incident_from = "the responder's tag " FX_INCIDENT_TIME_TAG;
		}
	}
}

/* The event's entry as the report marks it: its finding, its YARA rules. */
static void mark_event(json_t *o, const src_state *st, size_t idx)
{
	const exam_mark *m = exam_mark_find(&st->marks, idx);
	if (m && m->cls >= 0)
		jset(o, "finding", json_string(fx_class_name((fx_class)m->cls)));
	json_t *rules = NULL; /* the names' text also goes into the entry's manifest line */
	if (m && m->yara)
		sg_json_load_bounded_any(m->yara, strlen(m->yara), FX_LINE_MAX, 0, "yara", &rules,
		                         NULL, 0);
	if (rules)
		jset(o, "yara", rules);
}

void exam_when_source(exam_ctx *x, src_state *st)
{
	const exam_opts *o = x->o;
	if (x->incident_sec == INT64_MIN || !o->window_hours)
		return;
	int64_t from = x->incident_sec - (int64_t)o->window_hours * 3600;
	fx_event *v = NULL;
	size_t n = 0, total = 0;
	/* from the window's start to the snapshot: the intruder was still
	   there between the detection and the containment */
	if (fx_events(&st->cur, "macb", from, INT64_MAX, o->window_max, &v, &n, &total)) {
		say("out of memory for the incident's timeline");
		return;
	}
	char t0[40], t1[40];
	json_t *w = json_pack("{s:s,s:s,s:I,s:I,s:I}", "incident_time",
	                      exam_iso(x->incident_sec, t0, sizeof t0), "from",
	                      exam_iso(from, t1, sizeof t1), "hours_before", (json_int_t)o->window_hours,
	                      "events_in_window", (json_int_t)total, "events_listed", (json_int_t)n);
	json_t *a = json_array();
	size_t marked = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *e = fx_event_json(&st->cur, &v[i]);
		if (!e)
			continue;
		if (v[i].t.sec >= x->incident_sec)
			jset(e, "after_incident", json_true());
		mark_event(e, st, v[i].idx);
		marked += json_object_get(e, "finding") || json_object_get(e, "yara");
		json_array_append_new(a, e);
	}
	free(v);
	jset(w, "events", a);
	jset(st->evj, "incident_window", w);
	say("timeline: %zu change events from %s on (%zu listed, %zu of them findings or YARA "
	    "matches)", total, t1, n, marked);
}
