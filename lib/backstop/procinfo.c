/* procinfo.c — see procinfo.h. */
#include "backstop/procinfo.h"

#include <errno.h>
#include <limits.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t bs_diag_reply(const void *reply, size_t n, uint16_t type)
{
	struct nlmsghdr h;
	if (n < NLMSG_HDRLEN)
		return 0;
	memcpy(&h, reply, sizeof h);
	if (h.nlmsg_len > n || h.nlmsg_len < NLMSG_HDRLEN)
		return 0;
	const unsigned char *body = (const unsigned char *)reply + NLMSG_HDRLEN;
	size_t left = h.nlmsg_len - NLMSG_HDRLEN;
	if (type == SOCK_DESTROY) {
		int error;
		if (h.nlmsg_type != NLMSG_ERROR || left < sizeof error)
			return 0;
		memcpy(&error, body, sizeof error);
		return error == 0;
	}
	struct inet_diag_msg m;
	if (h.nlmsg_type != SOCK_DIAG_BY_FAMILY || left < sizeof m)
		return 0;
	memcpy(&m, body, sizeof m);
	return m.idiag_inode;
}

size_t bs_proc_cmdline(char *buf, size_t len, size_t cap)
{
	if (cap == 0)
		return 0;
	if (len >= cap)
		len = cap - 1;
	while (len && buf[len - 1] == '\0')
		len--;
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[len] = '\0';
	return len;
}

void bs_proc_cgroup(const char *text, size_t n, char *out, size_t cap)
{
	if (cap == 0)
		return;
	out[0] = '\0';
	for (size_t at = 0; at < n;) {
		const char *line = text + at;
		const char *nl = memchr(line, '\n', n - at);
		size_t ll = nl ? (size_t)(nl - line) : n - at;
		if (ll >= 3 && !memcmp(line, "0::", 3)) {
			size_t pl = strnlen(line + 3, ll - 3); /* a NUL ends the path too */
			snprintf(out, cap, "%.*s", (int)(pl < INT_MAX ? pl : INT_MAX), line + 3);
		}
		at += ll + 1;
	}
}

void bs_owner_unit(const char *cgroup, char *unit, size_t cap)
{
	if (cap == 0)
		return;
	unit[0] = '\0';
	const char *end = cgroup + strlen(cgroup);
	while (end > cgroup) {
		const char *start = end;
		while (start > cgroup && start[-1] != '/')
			start--;
		size_t n = (size_t)(end - start);
		if ((n > 8 && !memcmp(end - 8, ".service", 8)) ||
		    (n > 6 && !memcmp(end - 6, ".scope", 6))) {
			snprintf(unit, cap, "%.*s", (int)(n < INT_MAX ? n : INT_MAX), start);
			return;
		}
		end = start > cgroup ? start - 1 : cgroup;
	}
}

int bs_nflog_line_binds(const char *line, unsigned group)
{
	const char *p = line + strspn(line, " ");
	char *end = NULL;
	errno = 0;
	unsigned long g = *p >= '0' && *p <= '9' ? strtoul(p, &end, 10) : ULONG_MAX;
	return end && end != p && (*end == ' ' || *end == '\n') && !errno && g == group;
}
