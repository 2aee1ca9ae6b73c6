/*
 * procinfo.h — what the kernel says about a logged packet's socket and
 * its process, decoded (pure).  Prefix: bs_.
 *
 * src/backstop/owner.c asks (sock_diag, /proc/PID/{cmdline,cgroup}) and
 * src/backstop/reader.c reads /proc/net/netfilter/nfnetlink_log; the bytes
 * come back here.  /proc/PID/cmdline and the cgroup path are written by
 * the very process that tried the metadata service, so every decoder is
 * bounded by its buffer, never reads past the length it is given and
 * always leaves a NUL-terminated result (fuzz target backstop_procinfo).
 */
#ifndef SSRFGUARD_BACKSTOP_PROCINFO_H
#define SSRFGUARD_BACKSTOP_PROCINFO_H

#include <stddef.h>
#include <stdint.h>

/*
 * One sock_diag reply of n bytes (a netlink message) to a request of type
 * (SOCK_DIAG_BY_FAMILY or SOCK_DESTROY, linux/sock_diag.h):
 * SOCK_DIAG_BY_FAMILY gives the socket's inode (0: not found, an error
 * or a short message), SOCK_DESTROY gives 1 when the kernel acked it.
 */
uint64_t bs_diag_reply(const void *reply, size_t n, uint16_t type);

/*
 * /proc/PID/cmdline as read into buf (len bytes, len < cap): the
 * arguments joined by spaces in place, trailing NULs dropped, buf
 * NUL-terminated.  Returns the new length.
 */
size_t bs_proc_cmdline(char *buf, size_t len, size_t cap);

/* The cgroup v2 path of /proc/PID/cgroup text[0..n) (its "0::" line)
 * into out[cap], cut to fit; "" when there is none. */
void bs_proc_cgroup(const char *text, size_t n, char *out, size_t cap);

/* The systemd unit a cgroup path names: its last component ending in
 * .service or .scope ("" if none), cut to fit cap. */
void bs_owner_unit(const char *cgroup, char *unit, size_t cap);

/* Does one line of /proc/net/netfilter/nfnetlink_log ("%5d %6d ...": the
 * group number first, right-aligned) say that group is bound? */
int bs_nflog_line_binds(const char *line, unsigned group);

#endif
