/* owner.c — the socket's owner from sock_diag and /proc (see owner.h). */
#include "backstop/owner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

/* One exact sock_diag request: SOCK_DIAG_BY_FAMILY returns the socket's
 * inode (0: none), SOCK_DESTROY returns 1 when the kernel acked it. */
static uint64_t diag(uint16_t type, int family, uint8_t proto, const uint8_t src[16],
                     uint16_t sport, const uint8_t dst[16], uint16_t dport)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return 0;
	struct timeval tv = {0, 200000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req = {
		.h = {.nlmsg_len = sizeof req, .nlmsg_type = type,
		      .nlmsg_flags = (uint16_t)(NLM_F_REQUEST | (type == SOCK_DESTROY ? NLM_F_ACK : 0))},
		.r = {.sdiag_family = (uint8_t)family, .sdiag_protocol = proto,
		      .idiag_states = ~0u,
		      .id = {.idiag_sport = htons(sport), .idiag_dport = htons(dport),
		             .idiag_cookie = {INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE}}},
	};
	memcpy(req.r.id.idiag_src, src, family == AF_INET ? 4 : 16);
	memcpy(req.r.id.idiag_dst, dst, family == AF_INET ? 4 : 16);
	uint64_t result = 0;
	char reply[1024];
	if (send(fd, &req, sizeof req, 0) == (ssize_t)sizeof req) {
		ssize_t n = recv(fd, reply, sizeof reply, 0);
		result = n > 0 ? bs_diag_reply(reply, (size_t)n, type) : 0;
	}
	close(fd);
	return result;
}

static void mapped(uint8_t out[16], const uint8_t v4[4])
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, v4, 4);
}

/* The request of type for the packet's socket: TCP looks up (local,
 * remote); UDP's lookup is the receive path's, (remote, local): both
 * orders are tried, neither can find a wrong socket; an IPv4 packet may
 * come from a dual-stack IPv6 socket (IPv4-mapped). */
static uint64_t for_socket(uint16_t type, const bs_nflog_packet *p)
{
	if (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP)
		return 0;
	const uint8_t *s = p->src.b, *d = p->dst.b;
	uint64_t r;
	for (int swap = 0; swap < 2; swap++) {
		const uint8_t *a = swap ? d : s, *b = swap ? s : d;
		uint16_t ap = swap ? p->dport : p->sport, bp = swap ? p->sport : p->dport;
		if (p->src.v6) {
			if ((r = diag(type, AF_INET6, p->proto, a, ap, b, bp)))
				return r;
			continue;
		}
		if ((r = diag(type, AF_INET, p->proto, a, ap, b, bp)))
			return r;
		uint8_t ma[16], mb[16];
		mapped(ma, a);
		mapped(mb, b);
		if ((r = diag(type, AF_INET6, p->proto, ma, ap, mb, bp)))
			return r;
	}
	return 0;
}

int bs_owner_abort(const bs_nflog_packet *p)
{
	return p->proto == IPPROTO_TCP && for_socket(SOCK_DESTROY, p) != 0;
}

static int holds_socket(int pid, const char *want)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", pid);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	int found = 0;
	struct dirent *e;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char link[64], target[64];
		snprintf(link, sizeof link, "/proc/%d/fd/%.16s", pid, e->d_name);
		ssize_t n = readlink(link, target, sizeof target - 1);
		if (n > 0) {
			target[n] = '\0';
			found = !strcmp(target, want);
		}
	}
	closedir(d);
	return found;
}

static int socket_pid(uint64_t inode, int has_uid, uint32_t uid)
{
	char want[48];
	snprintf(want, sizeof want, "socket:[%llu]", (unsigned long long)inode);
	DIR *proc = opendir("/proc");
	if (!proc)
		return 0;
	int pid = 0;
	struct dirent *e;
	while (!pid && (e = readdir(proc))) {
		char *end = NULL;
		long n = strtol(e->d_name, &end, 10);
		if (end == e->d_name || *end || n <= 0 || n > 1 << 22)
			continue;
		struct stat st;
		char dir[32];
		snprintf(dir, sizeof dir, "/proc/%ld", n);
		if (has_uid && (stat(dir, &st) != 0 || st.st_uid != uid))
			continue;
		if (holds_socket((int)n, want))
			pid = (int)n;
	}
	closedir(proc);
	return pid;
}

/* Up to cap-1 bytes of a /proc file (decoded in lib/backstop/procinfo.h),
 * NUL-terminated; the length read. */
static size_t slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	if (fd >= 0) {
		ssize_t n;
		while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0)
			len += (size_t)n;
		close(fd);
	}
	buf[len] = '\0';
	return len;
}

static void describe(int pid, bs_owner *o)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/exe", pid);
	ssize_t n = readlink(path, o->exe, sizeof o->exe - 1);
	o->exe[n > 0 ? n : 0] = '\0';

	snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
	size_t len = slurp(path, o->cmdline, sizeof o->cmdline);
	bs_proc_cmdline(o->cmdline, len, sizeof o->cmdline);

	char cg[2048];
	snprintf(path, sizeof path, "/proc/%d/cgroup", pid);
	bs_proc_cgroup(cg, slurp(path, cg, sizeof cg), o->cgroup, sizeof o->cgroup);
	bs_owner_unit(o->cgroup, o->unit, sizeof o->unit);
}

void bs_owner_find(const bs_nflog_packet *p, bs_owner *out)
{
	memset(out, 0, sizeof *out);
	out->inode = for_socket(SOCK_DIAG_BY_FAMILY, p);
	if (!out->inode)
		return;
	out->pid = socket_pid(out->inode, p->has_uid, p->uid);
	if (!out->pid && p->has_uid) /* a process /proc shows as root's (not dumpable) */
		out->pid = socket_pid(out->inode, 0, 0);
	if (out->pid)
		describe(out->pid, out);
}
