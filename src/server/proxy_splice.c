/* proxy_splice.c — CONNECT tunnels relayed by the kernel: each direction
 * splice(2)s from its source socket into a pipe and from the pipe into the
 * other socket, so the bytes never cross into user space.  A half-close is
 * passed on (shutdown(SHUT_WR) once the pipe is drained), the tunnel ends
 * when both directions have; any error ends it at once.  The connection's
 * bufferevents stay disabled meanwhile and still own (and close) the
 * sockets.  See proxy.h. */
#include "server/proxy_int.h"

#include <errno.h>
#include <event2/buffer.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SPLICE_CHUNK (1 << 20)
#define SPLICE_ROUNDS 16 /* then yield to the loop: level-triggered, it comes back */

struct sdir {
	struct ptunnel *t;
	int src, dst;
	int pipe[2];
	size_t inpipe;
	int eof, shut;
	struct event *rd, *wr;
	uint64_t *count;
};

struct ptunnel {
	pconn *pc;
	struct sdir d[2]; /* 0: client -> upstream, 1: upstream -> client */
};

static void finish(struct ptunnel *t, int failed)
{
	pconn *pc = t->pc;
	if (!failed) {
		pc->state = PS_CLOSING; /* logged here, once */
		pc_log(pc, 200, pc->report ? PX_DEC_REPORT : PX_DEC_ALLOW);
	}
	pc_free(pc); /* frees t */
}

/* Move what can move; 1 when this direction is finished, -1 on error. */
static int pump(struct sdir *d)
{
	for (int round = 0; round < SPLICE_ROUNDS; round++) {
		if (d->inpipe) {
			ssize_t n = splice(d->pipe[0], NULL, d->dst, NULL, d->inpipe,
			                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				d->inpipe -= (size_t)n;
				*d->count += (uint64_t)n;
				continue;
			}
			if (n < 0 && errno == EAGAIN) { /* the destination is full */
				event_del(d->rd);
				event_add(d->wr, NULL);
				return 0;
			}
			return -1;
		}
		event_del(d->wr);
		if (d->eof) {
			if (!d->shut)
				shutdown(d->dst, SHUT_WR);
			d->shut = 1;
			event_del(d->rd);
			return 1;
		}
		ssize_t n = splice(d->src, NULL, d->pipe[1], NULL, SPLICE_CHUNK,
		                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			d->inpipe += (size_t)n;
		} else if (n == 0) {
			d->eof = 1;
		} else if (errno == EAGAIN) {
			event_add(d->rd, NULL);
			return 0;
		} else {
			return -1;
		}
	}
	event_add(d->inpipe ? d->wr : d->rd, NULL);
	return 0;
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
	struct sdir *d = arg;
	struct ptunnel *t = d->t;
	(void)fd;
	(void)what;
	t->pc->last_ms = sg_mono_coarse_ms();
	int r = pump(d);
	if (r < 0)
		finish(t, 1);
	else if (r > 0 && t->d[0].shut && t->d[1].shut)
		finish(t, 0);
}

void pt_free(struct ptunnel *t)
{
	if (!t)
		return;
	for (int i = 0; i < 2; i++) {
		struct sdir *d = &t->d[i];
		if (d->rd)
			event_free(d->rd);
		if (d->wr)
			event_free(d->wr);
		for (int k = 0; k < 2; k++)
			if (d->pipe[k] >= 0)
				close(d->pipe[k]);
	}
	free(t);
}

int pt_start(pconn *pc)
{
	struct event_base *base = pc->px->s->base;
	int fds[2] = {bufferevent_getfd(pc->cli), bufferevent_getfd(pc->up)};
	struct ptunnel *t = calloc(1, sizeof *t);
	if (!t || fds[0] < 0 || fds[1] < 0) {
		free(t);
		return -1;
	}
	t->pc = pc;
	for (int i = 0; i < 2; i++) {
		struct sdir *d = &t->d[i];
		d->t = t;
		d->src = fds[i];
		d->dst = fds[1 - i];
		d->count = i == 0 ? &pc->up_bytes : &pc->down_bytes;
		d->pipe[0] = d->pipe[1] = -1;
		if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC) != 0)
			goto fail;
		fcntl(d->pipe[1], F_SETPIPE_SZ, SPLICE_CHUNK); /* best effort */
		d->rd = event_new(base, d->src, EV_READ | EV_PERSIST, on_io, d);
		d->wr = event_new(base, d->dst, EV_WRITE | EV_PERSIST, on_io, d);
		if (!d->rd || !d->wr)
			goto fail;
	}
	bufferevent_disable(pc->cli, EV_READ | EV_WRITE);
	bufferevent_disable(pc->up, EV_READ | EV_WRITE);
	pc->sp = t;
	event_add(t->d[0].rd, NULL);
	event_add(t->d[1].rd, NULL);
	return 0;
fail:
	pt_free(t);
	return -1;
}
