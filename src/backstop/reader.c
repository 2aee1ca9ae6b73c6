/* reader.c — NFLOG reports into the incident store (see reader.h). */
#include "backstop/reader.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "backstop/nflog.h"
#include "backstop/owner.h"
#include "backstop/rules.h"
#include "logging/logging.h"
#include "common/clock.h"
#include "common/escape.h"
#include "common/jsonload.h"
#include "store/settler.h"
#include "store/store.h"

#define SEEN_SLOTS 128

struct seen {
	int pid;
	uint32_t uid;
	sg_ip dst;
	uint16_t dport;
	int64_t at_ms;     /* when the last attempt was recorded; 0 = free */
	uint64_t repeats;  /* coalesced since then */
};

struct bs_reader {
	bs_reader_opts o;
	int fd;
	uint32_t seq;
	uint16_t group;
	store *st;
	sg_policy *policy;
	pthread_t th;
	int started;
	atomic_int quit;
	pthread_mutex_t mu;
	bs_reader_stats stats;
	struct seen seen[SEEN_SLOTS];
	store_settler settler; /* what the store left unsettled (store/settler.h) */
	char spool[4096];      /* its spool file */
};

/* A stop waits this long for the store to settle what it left unanswered. */
#define STOP_SETTLE_MS 5000

static void count(bs_reader *r, uint64_t *field)
{
	pthread_mutex_lock(&r->mu);
	(*field)++;
	pthread_mutex_unlock(&r->mu);
}

/* ---- netlink ---- */

static sg_err bind_group(bs_reader *r, char *err, size_t errlen)
{
	unsigned char msg[BS_NFLOG_MSG_MAX], reply[4096];
	size_t n = bs_nflog_bind_msg(msg, sizeof msg, r->group, ++r->seq);
	if (!n || send(r->fd, msg, n, 0) != (ssize_t)n) {
		snprintf(err, errlen, "NFLOG group %u: send: %s", r->group, strerror(errno));
		return SG_ERR_IO;
	}
	ssize_t got = recv(r->fd, reply, sizeof reply, 0);
	bs_nflog_packet p;
	size_t used;
	if (got <= 0 || bs_nflog_parse(reply, (size_t)got, &used, &p) != SG_OK ||
	    p.kind != BS_NFLOG_ERROR) {
		snprintf(err, errlen, "NFLOG group %u: no answer from the kernel", r->group);
		return SG_ERR_IO;
	}
	if (p.error) {
		/* The kernel says EPERM both without CAP_NET_ADMIN and when another
		 * socket holds the group: /proc tells which. */
		int held = bs_group_bound(r->group);
		snprintf(err, errlen, "NFLOG group %u: %s%s", r->group,
		         held ? "another reader (`backstop watch` or `serve --backstop on`) holds it"
		              : strerror(-p.error),
		         !held && p.error == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
		return held ? SG_ERR_BUSY : SG_ERR_IO;
	}
	return SG_OK;
}

static sg_err open_group(bs_reader *r, char *err, size_t errlen)
{
	r->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (r->fd < 0) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		return SG_ERR_IO;
	}
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	if (bind(r->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		snprintf(err, errlen, "netlink bind: %s", strerror(errno));
		return SG_ERR_IO;
	}
	int one = 1, rcvbuf = 1 << 20;
	setsockopt(r->fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);
	setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	struct timeval tv = {1, 0};
	setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	sg_err e = bind_group(r, err, errlen);
	tv = (struct timeval){0, 200000}; /* from now on: wake to check quit */
	setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return e;
}

int bs_group_bound(unsigned group)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_log", "r");
	char line[256];
	int bound = 0;
	while (f && fgets(line, sizeof line, f))
		bound |= bs_nflog_line_binds(line, group);
	if (f)
		fclose(f);
	return bound;
}

/* ---- coalescing ---- */

/* 1 if this attempt is to be recorded (*repeats: coalesced before it). */
static int fresh(bs_reader *r, const bs_nflog_packet *p, int pid, uint64_t *repeats)
{
	int64_t now = sg_wall_ms();
	struct seen *slot = NULL, *oldest = &r->seen[0];
	for (size_t i = 0; i < SEEN_SLOTS; i++) {
		struct seen *s = &r->seen[i];
		if (s->at_ms && s->pid == pid && s->uid == p->uid && s->dport == p->dport &&
		    s->dst.v6 == p->dst.v6 && !memcmp(s->dst.b, p->dst.b, 16)) {
			slot = s;
			break;
		}
		if (s->at_ms < oldest->at_ms)
			oldest = s;
	}
	if (slot && now - slot->at_ms < BS_COALESCE_MS) {
		slot->repeats++;
		return 0;
	}
	*repeats = slot ? slot->repeats : 0;
	if (!slot)
		slot = oldest;
	*slot = (struct seen){pid, p->uid, p->dst, p->dport, now, 0};
	return 1;
}

/* ---- recording ---- */

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	default: return "ip";
	}
}

static void endpoint_text(const sg_ip *ip, uint16_t port, char *out, size_t cap)
{
	char a[SG_ADDR_MAX];
	sg_ip_format(ip, a, sizeof a);
	snprintf(out, cap, ip->v6 ? "[%s]:%u" : "%s:%u", a, (unsigned)port);
}

/* The guard's verdict on the destination, as the guard itself would give it. */
static void judge(bs_reader *r, const bs_nflog_packet *p, sg_verdict *v)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	if (p->dst.v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p->dport);
		memcpy(&s6->sin6_addr, p->dst.b, 16);
		len = sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(p->dport);
		memcpy(&s4->sin_addr, p->dst.b, 4);
		len = sizeof *s4;
	}
	sg_check_addr(r->policy, (struct sockaddr *)&ss, len, NULL, v);
	int egress = !strcmp(p->prefix, BS_PREFIX_EGRESS);
	if (egress || v->action == SG_ALLOW) {
		v->category = SG_CAT_DENIED;
		snprintf(v->rule, sizeof v->rule, "%s",
		         egress ? "backstop:egress-proxy-only" : "backstop:deny");
		snprintf(v->reason, sizeof v->reason, "%s",
		         egress ? "only the proxy and DNS may be reached" : "refused by the backstop");
	}
}

/* The process's own texts (an attacker may choose them: argv, file names)
 * as printable UTF-8, \xHH for anything else (sg_text_clean). */
static char *evidence(const bs_nflog_packet *p, const bs_owner *o, uint64_t repeats)
{
	char exe[sizeof o->exe * 4], cmd[sizeof o->cmdline * 4], cg[sizeof o->cgroup * 4],
	     unit[sizeof o->unit * 4];
	sg_text_clean(exe, sizeof exe, o->exe, strlen(o->exe));
	sg_text_clean(cmd, sizeof cmd, o->cmdline, strlen(o->cmdline));
	sg_text_clean(cg, sizeof cg, o->cgroup, strlen(o->cgroup));
	sg_text_clean(unit, sizeof unit, o->unit, strlen(o->unit));
	json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:I}",
	                      "source", "backstop", "protocol", proto_name(p->proto),
	                      "uid", (json_int_t)(p->has_uid ? (json_int_t)p->uid : -1),
	                      "gid", (json_int_t)(p->has_uid ? (json_int_t)p->gid : -1),
	                      "pid", (json_int_t)o->pid, "exe", exe, "cmdline", cmd,
	                      "cgroup", cg, "unit", unit, "repeats", (json_int_t)repeats);
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(j);
	return s;
}

static int contains(const srvcfg *c, sg_category cat)
{
	return (unsigned)cat < SG_CAT__COUNT && ((c->contain_mask >> cat) & 1u);
}

static void log_attempt(bs_reader *r, const store_attempt_in *a, const store_record_out *out,
                        sg_err e)
{
	if (!r->o.log)
		return;
	json_t *evidence = NULL; /* built by this reader just before: never near the cap */
	sg_json_load_bounded(a->headers, strlen(a->headers), 1u << 20, 0, "evidence", &evidence,
	                     NULL, 0);
	json_t *j = json_pack("{s:s, s:I, s:b, s:s, s:s, s:s, s:s, s:o?}", "result",
	                      e == SG_OK ? "recorded" : sg_strerror(e), "incident",
	                      (json_int_t)(e == SG_OK ? out->incident_id : 0), "opened",
	                      e == SG_OK && out->opened, "client", a->client, "dest", a->dest,
	                      "category", a->category, "rule", a->rule, "evidence",
	                      evidence);
	fflush(r->o.log);
	logging_write(fileno(r->o.log), e == SG_OK ? "info" : "error", "backstop", NULL, j);
	json_decref(j);
}

static void record(bs_reader *r, const bs_nflog_packet *p, const bs_owner *o, uint64_t repeats)
{
	sg_verdict v;
	judge(r, p, &v);
	char client[48], src[64], dst[64], request[192], addrs[64], reason[256], a[SG_ADDR_MAX];
	snprintf(client, sizeof client, "local:uid=%lld", p->has_uid ? (long long)p->uid : -1LL);
	endpoint_text(&p->src, p->sport, src, sizeof src);
	endpoint_text(&p->dst, p->dport, dst, sizeof dst);
	snprintf(request, sizeof request, "%s connect %s -> %s (kernel backstop)",
	         proto_name(p->proto), src, dst);
	sg_ip_format(&p->dst, a, sizeof a);
	snprintf(addrs, sizeof addrs, "[\"%s\"]", a);
	snprintf(reason, sizeof reason, "the kernel backstop refused a connection: %s", v.reason);
	char *headers = evidence(p, o, repeats);
	store_attempt_in in = {
		.client = client, .request = request, .headers = headers ? headers : "{}",
		.url = "", .dest = dst, .category = sg_category_name(v.category), .rule = v.rule,
		.reason = reason, .addrs = addrs, .instance_id = r->o.instance_id,
		.region = r->o.region, .az = r->o.az, .contain = contains(r->o.cfg, v.category),
	};
	store_record_out out = {0};
	sg_err e = store_record(r->st, &in, &out);
	count(r, e == SG_OK ? &r->stats.recorded : &r->stats.store_errors);
	log_attempt(r, &in, &out, e);
	if (e == SG_OK && in.contain && (out.opened || out.escalated) && r->o.notify)
		r->o.notify(r->o.notify_ctx, out.incident_id);
	free(headers);
}

static void handle(bs_reader *r, const bs_nflog_packet *p)
{
	bs_owner o;
	count(r, &r->stats.packets);
	bs_owner_find(p, &o); /* while the rules hold the SYN */
	if (bs_owner_abort(p))
		count(r, &r->stats.aborted);
	if (o.pid)
		count(r, &r->stats.owners_found);
	uint64_t repeats = 0;
	if (!fresh(r, p, o.pid, &repeats)) {
		count(r, &r->stats.coalesced);
		return;
	}
	record(r, p, &o, repeats);
}

static void settle_log(void *ctx, const char *level, const char *event, const char *msg)
{
	bs_reader *r = ctx;
	if (!r->o.log)
		return;
	fflush(r->o.log);
	logging_write(fileno(r->o.log), level, event, msg, NULL);
}

static void *reader_main(void *arg)
{
	bs_reader *r = arg;
	unsigned char buf[65536];
	while (!atomic_load(&r->quit)) {
		store_settler_tick(&r->settler);
		ssize_t n = recv(r->fd, buf, sizeof buf, 0);
		if (n <= 0)
			continue; /* timeout (check quit), EINTR, ENOBUFS: the kernel refuses anyway */
		size_t off = 0;
		while (off < (size_t)n) {
			bs_nflog_packet p;
			size_t used;
			if (bs_nflog_parse(buf + off, (size_t)n - off, &used, &p) != SG_OK) {
				count(r, &r->stats.parse_errors);
				break;
			}
			off += used;
			if (p.kind == BS_NFLOG_PACKET && !strncmp(p.prefix, "ssrfguard:", 10))
				handle(r, &p);
		}
	}
	store_settler_stop(&r->settler, STOP_SETTLE_MS);
	return NULL;
}

sg_err bs_reader_start(const bs_reader_opts *o, bs_reader **out, char *err, size_t errlen)
{
	char msg[512];
	*out = NULL;
	bs_reader *r = calloc(1, sizeof *r);
	if (!r)
		return SG_ERR_NOMEM;
	r->o = *o;
	r->fd = -1;
	r->group = (uint16_t)o->cfg->backstop.group;
	pthread_mutex_init(&r->mu, NULL);
	sg_err e = srvcfg_policy(o->cfg, &r->policy, err, errlen);
	if (e != SG_OK)
		goto fail;
	store_opts so = srvcfg_store_opts(o->cfg);
	store_spool_path(o->cfg->store, "backstop", r->spool, sizeof r->spool);
	so.spool = r->spool;
	if ((e = store_open(o->cfg->store, &so, &r->st, msg, sizeof msg)) != SG_OK) {
		snprintf(err, errlen, "store: %s", msg);
		goto fail;
	}
	r->settler = (store_settler){.st = r->st, .who = "backstop", .log = settle_log, .ctx = r};
	store_settler_init(&r->settler);
	if ((e = open_group(r, err, errlen)) != SG_OK)
		goto fail;
	if (pthread_create(&r->th, NULL, reader_main, r) != 0) {
		e = SG_ERR_NOMEM;
		goto fail;
	}
	r->started = 1;
	*out = r;
	return SG_OK;
fail:
	bs_reader_stop(r);
	return e;
}

void bs_reader_stats_get(bs_reader *r, bs_reader_stats *out)
{
	pthread_mutex_lock(&r->mu);
	*out = r->stats;
	pthread_mutex_unlock(&r->mu);
}

void bs_reader_stop(bs_reader *r)
{
	if (!r)
		return;
	if (r->started) {
		atomic_store(&r->quit, 1);
		pthread_join(r->th, NULL);
	}
	if (r->fd >= 0)
		close(r->fd); /* unbinds the group */
	store_close(r->st);
	sg_policy_free(r->policy);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
