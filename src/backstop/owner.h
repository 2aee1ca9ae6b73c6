/*
 * owner.h — which process owns the socket a logged packet came from, and
 * aborting that socket.
 * Prefix: bs_owner_.
 *
 * While the rules hold a TCP SYN (lib/backstop/rules.h) the socket still
 * exists in SYN-SENT: the kernel's socket table (sock_diag,
 * exact lookup by addresses and ports, IPv4 then IPv4-mapped IPv6 for a
 * dual-stack socket) gives its inode, then /proc/PID/fd the process holding
 * it (only processes of the packet's uid are searched when the uid is
 * known).  A socket shared by several processes names the first found.
 * Best effort by nature: a socket closed meanwhile, another network
 * namespace or missing privileges leave the fields empty (pid 0, "").
 */
#ifndef SSRFGUARD_BACKSTOP_OWNER_H
#define SSRFGUARD_BACKSTOP_OWNER_H

#include <stdint.h>

#include "backstop/nflog.h"
#include "backstop/procinfo.h" /* bs_owner_unit and the other decoders */

typedef struct bs_owner {
	uint64_t inode;        /* 0: the socket was not found */
	int pid;               /* 0: no process found */
	char exe[512];         /* readlink /proc/PID/exe */
	char cmdline[1024];    /* arguments joined by spaces, cut to fit */
	char cgroup[512];      /* cgroup v2 path ("0::" line) */
	char unit[256];        /* the systemd unit the cgroup names, or "" */
} bs_owner;

/* Fill *out for packet p (never fails: unknown fields stay empty). */
void bs_owner_find(const bs_nflog_packet *p, bs_owner *out);

/* Abort the packet's TCP socket (sock_diag SOCK_DESTROY): a held connect
 * fails at once with ECONNABORTED.  1 if the kernel did it. */
int bs_owner_abort(const bs_nflog_packet *p);

#endif
