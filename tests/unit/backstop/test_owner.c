/* test_owner.c — the owner's decoders (backstop/procinfo.h): the systemd
 * unit a cgroup path names, /proc text, sock_diag replies. */
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "backstop/owner.h"
#include "test.h"

TEST(units)
{
	static const struct {
		const char *cgroup, *unit;
	} rows[] = {
		{"/system.slice/web.service", "web.service"},
		{"/user.slice/user-1000.slice/session-2.scope", "session-2.scope"},
		{"/system.slice/docker-abc.scope/inner", "docker-abc.scope"},
		{"/app.slice", ""},
		{"/", ""},
		{"", ""},
		{".service", ""},
		{"/system.slice/a@1.service", "a@1.service"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char unit[64];
		bs_owner_unit(rows[i].cgroup, unit, sizeof unit);
		CHECKF(!strcmp(unit, rows[i].unit), "%s: got '%s'", rows[i].cgroup, unit);
	}
}

TEST(proc_text)
{
	char cmd[32] = "/bin/curl\0-s\0http://x/\0\0";
	size_t n = bs_proc_cmdline(cmd, 25, sizeof cmd);
	CHECKF(n == 22 && !strcmp(cmd, "/bin/curl -s http://x/"), "cmdline '%s'", cmd);
	char small[8] = "abcdefgh"; /* a full buffer: cut, still terminated */
	CHECK_INT(bs_proc_cmdline(small, 8, sizeof small), 7);
	CHECK(!strcmp(small, "abcdefg"));

	const char cg[] = "1:name=systemd:/x.scope\n0::/system.slice/web.service\n";
	char out[64];
	bs_proc_cgroup(cg, sizeof cg - 1, out, sizeof out);
	CHECKF(!strcmp(out, "/system.slice/web.service"), "cgroup '%s'", out);
	bs_proc_cgroup("0:", 2, out, sizeof out); /* cut short: nothing, no over-read */
	CHECK(!strcmp(out, ""));
	char tiny[6];
	bs_proc_cgroup(cg, sizeof cg - 1, tiny, sizeof tiny);
	CHECK(!strcmp(tiny, "/syst"));

	CHECK(bs_nflog_line_binds("    7   3131 0 2 65535      0  1\n", 7));
	CHECK(!bs_nflog_line_binds("   17   3131 0 2 65535      0  1\n", 7));
	CHECK(!bs_nflog_line_binds("7x 1\n", 7));
	CHECK(!bs_nflog_line_binds("99999999999999999999999 1\n", 7));
}

TEST(diag_replies)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_msg m;
	} r;
	memset(&r, 0, sizeof r);
	r.h.nlmsg_len = sizeof r;
	r.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	r.m.idiag_inode = 123456;
	CHECK_INT(bs_diag_reply(&r, sizeof r, SOCK_DIAG_BY_FAMILY), 123456);
	CHECK_INT(bs_diag_reply(&r, sizeof r - 1, SOCK_DIAG_BY_FAMILY), 0); /* short */
	r.h.nlmsg_len = sizeof r.h + 8; /* the message says it is shorter than the record */
	CHECK_INT(bs_diag_reply(&r, sizeof r, SOCK_DIAG_BY_FAMILY), 0);
	r.h.nlmsg_len = sizeof r;
	r.h.nlmsg_type = NLMSG_ERROR; /* error 0 is the ack of SOCK_DESTROY */
	CHECK_INT(bs_diag_reply(&r, sizeof r, SOCK_DESTROY), 1);
	CHECK_INT(bs_diag_reply(&r, sizeof r, SOCK_DIAG_BY_FAMILY), 0);
	int e = -1;
	memcpy((char *)&r + NLMSG_HDRLEN, &e, sizeof e);
	CHECK_INT(bs_diag_reply(&r, sizeof r, SOCK_DESTROY), 0);
}

TEST_MAIN(units, proc_text, diag_replies)
