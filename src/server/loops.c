/* loops.c — the service as `workers` event loops, one a thread (see
 * server.h for the API, srv_int.h for what the loops share).
 *
 * Each loop has its own listening socket on the same address: the first
 * binds without SO_REUSEPORT to learn that nobody else holds the address
 * (and which port an ephemeral :0 got), then it and the others are bound
 * with SO_REUSEPORT and the kernel spreads new connections over them.  A
 * connection stays on the loop that accepted it.
 *
 * With one loop per CPU (the default `workers`, or as many as the CPUs
 * this process may use) and `pin_loops` on, loop i stays on the i-th of
 * those CPUs, as nginx's `worker_cpu_affinity auto` keeps its workers: left
 * to the scheduler, the loops, threads of one process woken by the same
 * peers, were often stacked on one CPU while the other ran other work
 * (docs/benchmarks.md, "pinned loops").  Threads started later by a loop
 * (libcurl's resolver) inherit its CPU; the store writer and the embedded
 * responder, started before, keep the whole set.
 *
 * Limits are per service: each loop gets its share (max_concurrent,
 * max_queue, max_connections, max_reply_bytes divided by the number of
 * loops, rounded up), in each reading of the rules (rules.c), so a reload
 * shares out new limits the same way.  Signals reach the primary, which
 * drains itself and wakes each peer (an eventfd) to drain too; srv_run
 * returns when every loop has drained (or its drain_s ran out). */
#include "server/srv_int.h"
#include "common/listen.h"
#include "logging/logging.h"
#include "server/proxy.h"

#include <errno.h>
#include <netdb.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOOPS_MAX 64

static int64_t share(int64_t v, size_t n)
{
	return v <= 0 ? v : (v + (int64_t)n - 1) / (int64_t)n;
}

void srv_limits_share(srvcfg_limits *l, size_t nloops)
{
	l->max_concurrent = share(l->max_concurrent, nloops);
	l->max_queue = share(l->max_queue, nloops);
	l->max_connections = share(l->max_connections, nloops);
	l->max_reply_bytes = share(l->max_reply_bytes, nloops);
	l->max_connections = (int64_t)conn_limit_for(l, nloops);
}

/* The CPUs this process may run on (its affinity, which a cpuset or
 * taskset narrows), in *set; how many, 0 if unknown. */
static size_t cpus_allowed(cpu_set_t *set)
{
	CPU_ZERO(set);
	return sched_getaffinity(0, sizeof *set, set) == 0 ? (size_t)CPU_COUNT(set) : 0;
}

static size_t loops_wanted(const srvcfg *cfg)
{
	cpu_set_t set;
	long n = cfg->workers;
	if (n <= 0) {
		n = (long)cpus_allowed(&set);
		if (n <= 0)
			n = sysconf(_SC_NPROCESSORS_ONLN);
	}
	return n < 1 ? 1 : n > LOOPS_MAX ? LOOPS_MAX : (size_t)n;
}

/* ---- signals and drain ---- */

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct srv *s = arg;
	(void)what;
	srv_drain(s, (int)sig);
	for (size_t i = 0; i + 1 < s->nloops; i++) {
		uint64_t one = 1;
		if (write(s->peers[i]->wake_fd, &one, sizeof one) < 0) {
			/* an eventfd write fails only on overflow: already woken */
		}
	}
}

/* SIGHUP: files read again (the guard's rules: `policy`, `rule`, the
 * proxy's roles, `contain`, the limits; the proxy's TLS files and CRLs). */
static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	rules_reload(arg, "SIGHUP");
	proxy_reload(arg);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	uint64_t n;
	(void)what;
	if (read(fd, &n, sizeof n) < 0) {
		/* spurious: nothing to read */
	}
	srv_drain(s, 0);
}

/* ---- listening sockets ---- */

static int bound_socket(const struct sockaddr *sa, socklen_t len, int reuseport)
{
	int one = 1;
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) ||
	    bind(fd, sa, len) != 0 || listen(fd, 4096) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

sg_err srv_listen_fds(const char *what, const char *spec, size_t n, int *fds, char *err,
                      size_t errlen)
{
	sg_listen l;
	char why[160];
	if (sg_listen_parse(spec, SG_LISTEN_PORT0, &l, why, sizeof why) != SG_OK) {
		snprintf(err, errlen, "%s %s", what, why);
		return SG_ERR_PARSE;
	}
	struct addrinfo hints = {.ai_flags = AI_PASSIVE, .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(l.host, l.port, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "%s %s: %s", what, spec, gai_strerror(rc));
		return SG_ERR_NETWORK;
	}
	struct sockaddr_storage ss;
	socklen_t len = (socklen_t)ai->ai_addrlen;
	memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	for (size_t i = 0; i < n; i++)
		fds[i] = -1;
	/* The probe: a plain bind fails if anyone holds the address. */
	int probe = bound_socket((struct sockaddr *)&ss, len, 0);
	if (probe < 0)
		goto fail;
	if (n == 1) {
		fds[0] = probe;
		return SG_OK;
	}
	socklen_t sl = len;
	getsockname(probe, (struct sockaddr *)&ss, &sl); /* the port a :0 got */
	close(probe);
	for (size_t i = 0; i < n; i++)
		if ((fds[i] = bound_socket((struct sockaddr *)&ss, len, 1)) < 0)
			goto fail;
	return SG_OK;
fail:
	snprintf(err, errlen, "%s %s: cannot bind: %s", what, spec, strerror(errno));
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return SG_ERR_NETWORK;
}

/* ---- the service ---- */

static sg_err peer_events(struct srv *p)
{
	p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->wake_fd < 0)
		return SG_ERR_IO;
	p->wake_ev = event_new(p->base, p->wake_fd, EV_READ | EV_PERSIST, on_wake, p);
	return p->wake_ev && event_add(p->wake_ev, NULL) == 0 ? SG_OK : SG_ERR_NOMEM;
}

sg_err srv_new(const srvcfg *cfg, const srv_identity *id, srv **out, char *err, size_t errlen)
{
	size_t n = loops_wanted(cfg);
	*out = NULL;
	struct srv_log *log = log_open(cfg);
	if (!log) {
		snprintf(err, errlen, "log %s: %s", cfg->log, strerror(errno));
		return SG_ERR_IO;
	}
	struct srv *s = NULL;
	sg_err e = srv_loop_new(cfg, id, log, NULL, 0, n, &s, err, errlen);
	if (e != SG_OK) {
		log_close(log);
		return e;
	}
	s->sig_term = evsignal_new(s->base, SIGTERM, on_signal, s);
	s->sig_int = evsignal_new(s->base, SIGINT, on_signal, s);
	s->sig_hup = evsignal_new(s->base, SIGHUP, on_hup, s);
	s->peers = n > 1 ? calloc(n - 1, sizeof *s->peers) : NULL;
	if (!s->sig_term || !s->sig_int || !s->sig_hup || (n > 1 && !s->peers) ||
	    event_add(s->sig_term, NULL) || event_add(s->sig_int, NULL) ||
	    event_add(s->sig_hup, NULL)) {
		e = SG_ERR_NOMEM;
		goto fail;
	}
	for (size_t i = 1; i < n; i++) {
		struct srv *p = NULL;
		if ((e = srv_loop_new(cfg, id, log, s, i, n, &p, err, errlen)) != SG_OK)
			goto fail;
		s->peers[i - 1] = p;
		if ((e = peer_events(p)) != SG_OK)
			goto fail;
	}
	if ((e = proxy_init(s, err, errlen)) != SG_OK) /* on every loop */
		goto fail;
	if ((e = incident_start(s)) != SG_OK) {
		snprintf(err, errlen, "cannot start the store writer");
		goto fail;
	}
	*out = s;
	return SG_OK;
fail:
	if (!err[0])
		snprintf(err, errlen, "%s", sg_strerror(e));
	srv_free(s);
	return e;
}

sg_err srv_check_config(const srvcfg *cfg, char *err, size_t errlen)
{
	sg_err e = rules_check(cfg, err, errlen);
	return e != SG_OK ? e : proxy_check_config(cfg, err, errlen);
}

void srv_log(srv *s, const char *level, const char *event, const char *message)
{
	log_line_from_any_thread(s, level, event, message);
}

static void responder_log(void *ctx, const char *level, const char *event, const char *message)
{
	log_line_from_any_thread(ctx, level, event, message);
}

void srv_set_responder(srv *s, const srv_responder *r)
{
	if (!s || !r)
		return;
	s->resp = *r;
	for (size_t i = 0; i + 1 < s->nloops; i++)
		s->peers[i]->resp = *r; /* they only notify */
}

static void *peer_main(void *arg)
{
	struct srv *p = arg;
	event_base_dispatch(p->base);
	return NULL;
}

static void log_listening(struct srv *s)
{
	char line[900];
	tbuf b;
	tb_init(&b, line, sizeof line);
	tb_str(&b, "{\"event\":\"listening\",\"version\":\"" SSRFGUARD_VERSION "\",\"listen\":");
	tb_json(&b, s->cfg->listen, strlen(s->cfg->listen), 128);
	tb_str(&b, ",\"store\":");
	tb_json(&b, s->cfg->store, strlen(s->cfg->store), 256);
	tb_str(&b, ",\"instance_id\":");
	tb_json(&b, s->id->instance_id, strlen(s->id->instance_id), 64);
	tb_str(&b, ",\"region\":");
	tb_json(&b, s->id->region, strlen(s->id->region), 32);
	tb_str(&b, ",\"az\":");
	tb_json(&b, s->id->az, strlen(s->id->az), 32);
	conn_stats_t cs;
	conn_stats(s, &cs);
	tb_fmt(&b, ",\"identity\":\"%s\",\"loops\":%zu,\"max_connections\":%zu,\"pid\":%d}\n",
	       s->id->source, s->nloops, cs.limit * s->nloops, (int)getpid());
	log_line(s, "info", b.p, b.len);
}

static void log_error(struct srv *s, const char *what)
{
	char line[700];
	tbuf b;
	tb_init(&b, line, sizeof line);
	tb_str(&b, "{\"event\":\"error\",\"message\":");
	tb_json(&b, what, strlen(what), 600);
	tb_str(&b, "}\n");
	log_line(s, "error", b.p, b.len);
	log_flush(s);
}

/* ---- one loop per CPU ---- */

/* Keep thread th on the index-th CPU of set: 0, or an errno. */
static int pin_thread(pthread_t th, const cpu_set_t *set, size_t index, int *cpu)
{
	size_t seen = 0;
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, set) || seen++ != index)
			continue;
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(c, &one);
		*cpu = c;
		return pthread_setaffinity_np(th, sizeof one, &one);
	}
	return EINVAL;
}

/* With one loop per allowed CPU, each loop on its own (loop 0 is the
 * calling thread, after its peers started).  Says which in one log line,
 * or why not. */
static void pin_loops(struct srv *s)
{
	cpu_set_t set;
	if (!s->cfg->pin_loops || s->nloops < 2 || cpus_allowed(&set) != s->nloops)
		return;
	char cpus[LOOPS_MAX * 5] = "";
	size_t at = 0;
	int e = 0;
	for (size_t i = 0; i < s->nloops && !e; i++) {
		struct srv *l = i ? s->peers[i - 1] : s;
		int cpu = -1;
		if (i && !l->started)
			continue;
		e = pin_thread(i ? l->th : pthread_self(), &set, i, &cpu);
		if (!e)
			at += (size_t)snprintf(cpus + at, sizeof cpus - at, "%s%d", at ? "," : "", cpu);
	}
	char line[600];
	tbuf b;
	tb_init(&b, line, sizeof line);
	if (e) {
		tb_str(&b, "{\"event\":\"loops_not_pinned\",\"message\":");
		tb_json(&b, strerror(e), strlen(strerror(e)), 200);
		tb_str(&b, "}\n");
	} else {
		tb_fmt(&b, "{\"event\":\"loops_pinned\",\"loops\":%zu,\"cpus\":\"%s\"}\n",
		       s->nloops, cpus);
	}
	log_line(s, e ? "warning" : "info", b.p, b.len);
}

sg_err srv_run(srv *s)
{
	char err[512];
	int fds[LOOPS_MAX];
	sg_err e;
	signal(SIGPIPE, SIG_IGN);
	if (s->resp.start) {
		srv_responder_env env = {
			.store_path = s->cfg->store, .store_sync_normal = s->cfg->store_sync_normal,
			.lease_ms = s->cfg->lease_ms, .identity = s->id, .cfg = s->cfg,
			.log = responder_log, .log_ctx = s,
		};
		if ((e = s->resp.start(s->resp.ctx, &env)) != SG_OK) {
			snprintf(err, sizeof err, "embedded responder failed to start: %s",
			         sg_strerror(e));
			log_error(s, err);
			return e;
		}
		s->resp_started = 1;
		for (size_t i = 0; i + 1 < s->nloops; i++)
			s->peers[i]->resp_started = 1;
	}
	if ((e = srv_listen_fds("listen", s->cfg->listen, s->nloops, fds, err, sizeof err)) !=
	    SG_OK) {
		log_error(s, err);
		if (strcmp(s->cfg->log, "-") != 0) /* else the log line was it */
			logging_write(STDERR_FILENO, "error", "listen", err, NULL);
		goto out;
	}
	for (size_t i = 0; i < s->nloops; i++) {
		struct srv *l = i ? s->peers[i - 1] : s;
		if (srv_listen_on(l, fds[i]) != SG_OK) {
			close(fds[i]);
			e = SG_ERR_NETWORK;
		}
	}
	if (e != SG_OK) {
		log_error(s, "cannot serve on the listening sockets");
		goto out;
	}
	log_listening(s);
	for (size_t i = 0; i + 1 < s->nloops; i++) {
		struct srv *p = s->peers[i];
		if (pthread_create(&p->th, NULL, peer_main, p) == 0)
			p->started = 1;
		else
			srv_drain(p, 0); /* its share of the connections is refused */
	}
	pin_loops(s);
	event_base_dispatch(s->base);
	for (size_t i = 0; i + 1 < s->nloops; i++) /* drained by on_signal */
		if (s->peers[i]->started) {
			pthread_join(s->peers[i]->th, NULL);
			s->peers[i]->started = 0;
		}
	{
		const char msg[] = "{\"event\":\"stopped\"}\n";
		log_line(s, "info", msg, sizeof msg - 1);
		log_flush(s);
	}
out:
	if (s->resp_started && s->resp.stop)
		s->resp.stop(s->resp.ctx);
	s->resp_started = 0;
	return e;
}

void srv_free(srv *s)
{
	if (!s)
		return;
	if (s->resp_started && s->resp.stop)
		s->resp.stop(s->resp.ctx);
	s->resp_started = 0;
	incident_stop(s); /* it serves every loop's writer */
	struct srv_log *log = s->log;
	for (size_t i = 0; s->peers && i + 1 < s->nloops; i++) {
		struct srv *p = s->peers[i]; /* joined by srv_run */
		if (!p)
			continue;
		if (p->wake_ev)
			event_free(p->wake_ev);
		if (p->wake_fd > 0)
			close(p->wake_fd);
		srv_loop_free(p);
	}
	free(s->peers);
	if (s->sig_term)
		event_free(s->sig_term);
	if (s->sig_int)
		event_free(s->sig_int);
	if (s->sig_hup)
		event_free(s->sig_hup);
	srv_loop_free(s);
	log_close(log);
}
