/* dnslook.c — the service's own look at a whole DNS answer (see dnsmsg.h):
 * one UDP query, on the loop, to the first nameserver the resolver (evdns)
 * uses, for a name whose evdns answer came back at its cap.  The result goes
 * to dest_look_done(); a dest has at most one look at a time. */
#include "server/srv_int.h"
#include "server/dnsmsg.h"

#include <errno.h>
#include <event2/dns.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

struct dnslook {
	dest *d;
	int fd;
	struct event *ev;
	uint16_t id, qtype;
	uint8_t buf[DNSMSG_PAYLOAD];
};

static void finish(struct dnslook *l, const dnsmsg_reply *r, sg_err e)
{
	dest *d = l->d;
	d->look = NULL;
	event_free(l->ev);
	close(l->fd);
	free(l);
	dest_look_done(d, r, e);
}

static void on_reply(evutil_socket_t fd, short what, void *arg)
{
	struct dnslook *l = arg;
	if (what & EV_TIMEOUT) {
		finish(l, NULL, SG_ERR_TIMEOUT);
		return;
	}
	ssize_t n = recv(fd, l->buf, sizeof l->buf, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	dnsmsg_reply *r = n > 0 ? malloc(sizeof *r) : NULL;
	if (!r) {
		finish(l, NULL, n > 0 ? SG_ERR_NOMEM : SG_ERR_NETWORK);
		return;
	}
	sg_err e = dnsmsg_reply_parse(l->buf, (size_t)n, l->id, l->qtype, r);
	if (e == SG_ERR_PARSE)
		return; /* not our reply (a stray or forged datagram): keep waiting */
	finish(l, r, e);
	free(r);
}

sg_err dnslook_start(dest *d, const char *host, uint16_t qtype, int64_t timeout_ms)
{
	struct srv *s = d->s;
	struct sockaddr_storage ns;
	int nslen = evdns_base_get_nameserver_addr(s->dns, 0, (struct sockaddr *)&ns, sizeof ns);
	if (nslen <= 0 || (size_t)nslen > sizeof ns)
		return SG_ERR_NOTFOUND; /* no nameserver: /etc/hosts only */
	struct dnslook *l = calloc(1, sizeof *l);
	if (!l)
		return SG_ERR_NOMEM;
	l->d = d;
	l->qtype = qtype;
	if (getrandom(&l->id, sizeof l->id, 0) != (ssize_t)sizeof l->id)
		l->id = (uint16_t)(uintptr_t)l;
	size_t qlen = dnsmsg_query(l->buf, sizeof l->buf, l->id, host, qtype);
	l->fd = socket(ns.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (!qlen || l->fd < 0 || connect(l->fd, (struct sockaddr *)&ns, (socklen_t)nslen) != 0 ||
	    send(l->fd, l->buf, qlen, 0) != (ssize_t)qlen ||
	    !(l->ev = event_new(s->base, l->fd, EV_READ | EV_PERSIST, on_reply, l))) {
		if (l->fd >= 0)
			close(l->fd);
		free(l);
		return qlen ? SG_ERR_NETWORK : SG_ERR_PARSE;
	}
	struct timeval tv = {(time_t)(timeout_ms / 1000), (suseconds_t)((timeout_ms % 1000) * 1000)};
	event_add(l->ev, &tv);
	d->look = l;
	return SG_OK;
}

void dnslook_cancel(dest *d)
{
	struct dnslook *l = d->look;
	if (!l)
		return;
	d->look = NULL;
	event_free(l->ev);
	close(l->fd);
	free(l);
}
