/* proxy_guard.c — the egress proxy's decisions: who is asking (roles), the
 * guard at the connect (stage 1 on the target, every DNS answer judged,
 * the socket address judged again, never this host on the service's own
 * ports), and refusals recorded as incidents before the 403.  See proxy.h. */
#include "server/proxy_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/dns.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"

/* ---- who is asking ---- */

static void set_role(pconn *pc, const px_role *r)
{
	pc->role = r;
	pc->role_ix = (size_t)(r - pc->set->roles.r);
}

/* The request is judged by the newest roles (a reload between two requests
 * of one connection holds from the second on). */
static const px_roles *take_roles(pconn *pc)
{
	rset *now = rules_current(pc->px->s);
	if (pc->set != now) {
		rset_release(pc->set);
		pc->set = rset_hold(now);
	}
	return &pc->set->roles;
}

int pg_role(pconn *pc)
{
	const px_roles *rs = take_roles(pc);
	const px_field *f;
	const px_role *r = NULL;
	int configured = pc->px->s->cfg->proxy_roles[0] != '\0';
	pc->role = NULL;
	if (configured && rs->role_header[0] && (f = px_find(&pc->h, rs->role_header))) {
		char name[PX_ROLE_NAME_MAX];
		if (f->value.n < sizeof name) {
			memcpy(name, f->value.p, f->value.n);
			name[f->value.n] = '\0';
			r = px_roles_find(rs, name);
		}
		if (!r) {
			pc_reply_error(pc, 407, "the role header names no known role");
			return -1;
		}
	} else if (configured && pc->tls && pc->px->s->cfg->proxy_client_ca[0]) {
		char names[8][256];
		const char *v[8];
		size_t n = ptls_peer_names(pc, names, 8);
		for (size_t i = 0; i < n; i++)
			v[i] = names[i];
		if (!(r = px_roles_by_cert(rs, v, n))) {
			pc_reply_error(pc, 407, "the client certificate names no role");
			return -1;
		}
	} else if (configured && (f = px_find(&pc->h, "proxy-authorization"))) {
		char user[129], pw[256];
		int bad = 0;
		if (px_basic_user(f->value, user, sizeof user, pw, sizeof pw) == 0)
			r = px_roles_by_user(rs, user, pw, &bad);
		if (!r) {
			pc_reply_error(pc, 407, bad ? "wrong proxy password"
			                            : "unknown proxy user (Basic user:password)");
			return -1;
		}
	} else if (configured && pc->has_uid) {
		r = px_roles_by_uid(rs, pc->uid);
	}
	if (!r && !(r = px_roles_find(rs, "default"))) {
		pc_reply_error(pc, 407, "this proxy wants a user (Proxy-Authorization) naming a role");
		return -1;
	}
	set_role(pc, r);
	return 0;
}

/* ---- refusals ---- */

/* X-Ssrfguard-Reason: a header value is printable ASCII only, so the
 * reason is escaped as everywhere else, non-ASCII bytes as \xHH too. */
static void reason_header(char *out, size_t cap, const sg_verdict *v, const char *why)
{
	char raw[SG_REASON_MAX + 200];
	snprintf(raw, sizeof raw, "%s: %s", sg_category_name(v->category), why);
	sg_text_clean_ascii(out, cap, raw, strlen(raw));
}

static void on_committed(job *j, int contain, sg_err e)
{
	pconn *pc = j->ctx;
	pc->pending = NULL;
	if (pc->gone) {
		pc_free(pc);
		return;
	}
	if (e != SG_OK) {
		char why[200];
		pc_reply_error(pc, 503, srv_unrecorded_why(j, why, sizeof why));
		return;
	}
	const char *why = pc->acl_why[0] ? pc->acl_why : j->bv.reason;
	char mem[2048], hdr[600], rh[300];
	tbuf b;
	pc->incident = j->rec.incident_id;
	tb_init(&b, mem, sizeof mem);
	/* /go's document (text.h), with what the proxy's clients may know */
	text_refusal r = {.incident = j->rec.incident_id,
	                  .category = sg_category_name(j->bv.category),
	                  .rule = j->bv.rule,
	                  .contain = contain,
	                  .reason = why,
	                  .role = pc->role->name,
	                  .message = pc->set->roles.message};
	text_block_body(&b, 0, &r);
	reason_header(rh, sizeof rh, &j->bv, why);
	snprintf(hdr, sizeof hdr, "X-Ssrfguard-Reason: %s\r\nX-Ssrfguard-Incident: %lld\r\n", rh,
	         (long long)j->rec.incident_id);
	pc_log(pc, 403, PX_DEC_BLOCK);
	pc_reply(pc, 403, "application/json", hdr, b.p, b.len, 0);
}

/* Record the attempt (opening or joining the source's incident); the 403
 * leaves from on_committed, after the commit. */
static void refuse(pconn *pc, const sg_verdict *v)
{
	struct srv *s = pc->px->s;
	job *j = srv_job_new(s);
	char line[SRV_URL_MAX + 64];
	if (!j) {
		pc_reply_error(pc, 503, "out of memory");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	j->s = s;
	memcpy(j->client, pc->client, sizeof j->client);
	int n = snprintf(line, sizeof line, "%.*s %.*s HTTP/1.%d", (int)pc->h.method.n,
	                 pc->h.method.p, (int)(pc->h.target.n < SRV_URL_MAX ? pc->h.target.n
	                                                                    : SRV_URL_MAX),
	                 pc->h.target.p, pc->h.minor);
	j->request = srv_clean_dup(line, (size_t)n, 4096);
	j->headers = srv_headers_json(pc->role->name, &pc->h);
	/* raw, as /go's: incident_block cleans it once, as evidence */
	j->url = strndup(pc->h.target.p,
	                 pc->h.target.n < SRV_URL_MAX ? pc->h.target.n : SRV_URL_MAX);
	j->raw_url = NULL;
	j->role = pc->role->name;
	j->rules = rset_hold(pc->set); /* its reading's `contain` */
	j->committed = on_committed;
	j->ctx = pc;
	if (pc->d.addrs_len) {
		memcpy(j->d.addrs, pc->d.addrs, sizeof j->d.addrs);
		j->d.addrs_len = pc->d.addrs_len;
	}
	if (!j->request || !j->headers || !j->url) {
		srv_job_free(j);
		pc_reply_error(pc, 503, "out of memory");
		return;
	}
	pc->pending = j;
	pc->state = PS_COMMIT;
	pc_drop_upstream(pc);
	incident_block(j, v);
}

/* A refusal by the role's lists or ports: a verdict of category denied. */
static void refuse_policy(pconn *pc, const char *rule)
{
	sg_verdict d = pc->v;
	d.action = SG_BLOCK;
	d.category = SG_CAT_DENIED;
	snprintf(d.rule, sizeof d.rule, "%s", rule);
	snprintf(d.reason, sizeof d.reason, "%s", pc->acl_why);
	refuse(pc, &d);
}

/* ---- the destination (dest.h) ---- */

/* 1 if pc's kept upstream was judged for this request's destination under
 * the same role and reading of the rules (its address is checked later). */
static int own_kept_fits(const pconn *pc)
{
	return pc->up && pc->up_reusable && !pc->is_connect && pc->up_port == pc->v.port &&
	       pc->up_role_ix == pc->role_ix && pc->up_gen == pc->set->gen &&
	       !strcmp(pc->up_host, pc->v.host);
}

/* Send the request on a kept connection to an address of this hop's fresh
 * judged set: the client's own, else one pooled by any client.  0 if none. */
static int reuse_kept(pconn *pc)
{
	pin_sa addr;
	if (own_kept_fits(pc) && pin_set_has(&pc->d.judged, &pc->up_addr.sa, sizeof pc->up_addr)) {
		pc_start_upstream(pc); /* the same judged destination, still open */
		return 1;
	}
	pool_put(pc);
	struct bufferevent *kept = pc->is_connect ? NULL
	                         : pool_take(pc->px, pc->v.host, pc->v.port, pc->role_ix,
	                                     pc->set->gen, &pc->d.judged, &addr);
	if (!kept)
		return 0;
	pc_adopt_upstream(pc, kept, &addr); /* another client's connection */
	pc_start_upstream(pc);
	return 1;
}

static void on_dest(dest *d, dest_outcome o, const sg_verdict *v, int code, const char *msg)
{
	pconn *pc = d->owner;
	if (o == DEST_FAIL) {
		pc_reply_error(pc, code, msg);
	} else if (o == DEST_BLOCK) {
		refuse(pc, v);
	} else if (!reuse_kept(pc)) {
		pc->next_addr = 0;
		pg_connect_next(pc);
	}
}

/* ---- the connect ---- */

void pg_connect_next(pconn *pc)
{
	while (pc->next_addr < pc->d.judged.n) {
		pin_sa a = pc->d.judged.a[pc->next_addr++];
		socklen_t len;
		if (a.sa.sa_family == AF_INET) {
			a.in4.sin_port = htons(pc->v.port);
			len = sizeof a.in4;
		} else {
			a.in6.sin6_port = htons(pc->v.port);
			len = sizeof a.in6;
		}
		sg_verdict av;
		dest_judge_addr(&pc->d, &a.sa, len, &av);
		if (av.action != SG_ALLOW) {
			refuse(pc, &av);
			return;
		}
		if (pc_dial(pc, &a.sa, len) == 0)
			return;
	}
	pc_reply_error(pc, 502, "cannot connect to the upstream");
}

void pg_route(pconn *pc, px_span host, unsigned port, const char *url, size_t ulen)
{
	struct proxy *px = pc->px;
	(void)host;
	const sg_policy *pol = pc->set->pol[pc->role_ix];
	sg_check_url(pol, url, ulen, &pc->v); /* error: blocks */
	if (pc->v.action == SG_BLOCK && pc->v.category == SG_CAT_MALFORMED) {
		char msg[SG_REASON_MAX + 32];
		snprintf(msg, sizeof msg, "unparsable target: %s", pc->v.reason);
		pc_reply_error(pc, 400, msg);
		return;
	}
	if (pc->is_connect && port != pc->v.port) { /* cannot happen: one authority */
		pc_reply_error(pc, 400, "CONNECT target port mismatch");
		return;
	}
	if (pc->v.action == SG_BLOCK) {
		refuse(pc, &pc->v);
		return;
	}
	if (pc->is_connect && !px_role_port_ok(pc->role, pc->v.port)) {
		char rule[SG_RULE_MAX];
		snprintf(pc->acl_why, sizeof pc->acl_why, "role %s may not CONNECT to port %u",
		         pc->role->name, (unsigned)pc->v.port);
		snprintf(rule, sizeof rule, "role:%s:ports", pc->role->name);
		refuse_policy(pc, rule);
		return;
	}
	char why[sizeof pc->acl_why];
	px_acl acl = px_roles_judge(&pc->set->roles, pc->role, pc->v.host, pc->v.port, why,
	                            sizeof why);
	if (acl == PX_ACL_DENY) {
		char rule[SG_RULE_MAX];
		memcpy(pc->acl_why, why, sizeof why);
		snprintf(rule, sizeof rule, "role:%s", pc->role->name);
		refuse_policy(pc, rule);
		return;
	}
	if (acl == PX_ACL_REPORT) {
		pc->report = 1;
		memcpy(pc->acl_why, why, sizeof why);
	}
	if (!own_kept_fits(pc))
		pool_put(pc); /* for other clients, while this one resolves */
	/* Resolved and judged every time (dns_cache_s keeps judged answers): a
	 * kept connection serves only an address of this judgement (reuse_kept). */
	pc->d.s = px->s;
	pc->d.pol = pol;
	pc->d.hop = &pc->v;
	pc->d.client = pc->client;
	pc->d.done = on_dest;
	pc->d.owner = pc;
	pc->state = PS_RESOLVE;
	dest_start(&pc->d, pc->set->lim.connect_timeout_ms); /* its request's reading's */
}
