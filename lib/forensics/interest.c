/* interest.c — paths an investigator looks at first (see diff.h). */
#include "forensics/diff.h"

#include <string.h>

static const struct {
	const char *prefix; /* matches the path or anything below it */
	const char *why;
} prefixes[] = {
	{"/var/www", "web root"},
	{"/srv", "web root"},
	{"/usr/share/nginx/html", "web root"},
	{"/opt", "application directory"},
	{"/etc/cron.d", "cron"},
	{"/etc/cron.daily", "cron"},
	{"/etc/cron.hourly", "cron"},
	{"/etc/cron.weekly", "cron"},
	{"/etc/cron.monthly", "cron"},
	{"/etc/crontab", "cron"},
	{"/var/spool/cron", "cron"},
	{"/etc/anacrontab", "cron"},
	{"/etc/systemd", "systemd unit"},
	{"/lib/systemd/system", "systemd unit"},
	{"/usr/lib/systemd/system", "systemd unit"},
	{"/etc/init.d", "init script"},
	{"/etc/rc.local", "init script"},
	{"/etc/sudoers", "sudoers"},
	{"/etc/sudoers.d", "sudoers"},
	{"/etc/passwd", "accounts"},
	{"/etc/shadow", "accounts"},
	{"/etc/group", "accounts"},
	{"/etc/ld.so.preload", "preload"},
	{"/etc/ssh", "ssh configuration"},
	{"/etc/profile", "shell startup"},
	{"/etc/profile.d", "shell startup"},
	{"/etc/bashrc", "shell startup"},
	{"/etc/hosts", "name resolution"},
	{"/etc/resolv.conf", "name resolution"},
	{"/etc/nsswitch.conf", "name resolution"},
	{"/etc/pam.d", "authentication"},
	{"/root", "root's home"},
	{"/bin", "system binaries"},
	{"/sbin", "system binaries"},
	{"/usr/bin", "system binaries"},
	{"/usr/sbin", "system binaries"},
	{"/usr/local/bin", "system binaries"},
	{"/lib", "system libraries"},
	{"/lib64", "system libraries"},
	{"/usr/lib", "system libraries"},
	{"/usr/lib64", "system libraries"},
	{"/tmp", "temporary directory"},
	{"/var/tmp", "temporary directory"},
	{"/dev/shm", "temporary directory"},
};

static const struct {
	const char *suffix; /* matches the last component(s) */
	const char *why;
} suffixes[] = {
	{"/.ssh/authorized_keys", "ssh authorized_keys"},
	{"/.ssh/authorized_keys2", "ssh authorized_keys"},
	{"/.bash_history", "shell history"},
	{"/.zsh_history", "shell history"},
	{"/.sh_history", "shell history"},
	{"/.python_history", "shell history"},
	{"/.mysql_history", "shell history"},
	{"/.bashrc", "shell startup"},
	{"/.bash_profile", "shell startup"},
	{"/.profile", "shell startup"},
};

const char *fx_interest(const char *path, size_t len, uint32_t mode, fx_type type)
{
	/* skip a "pN:" partition prefix */
	if (len > 2 && path[0] == 'p' && path[1] >= '0' && path[1] <= '9') {
		const char *colon = memchr(path, ':', len < 8 ? len : 8);
		if (colon) {
			len -= (size_t)(colon + 1 - path);
			path = colon + 1;
		}
	}
	if (type == FX_T_FILE && (mode & 06000))
		return "setuid/setgid";
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		size_t sl = strlen(suffixes[i].suffix);
		if (len >= sl && !memcmp(path + len - sl, suffixes[i].suffix, sl))
			return suffixes[i].why;
	}
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		size_t pl = strlen(prefixes[i].prefix);
		if (len >= pl && !memcmp(path, prefixes[i].prefix, pl) &&
		    (len == pl || path[pl] == '/'))
			return prefixes[i].why;
	}
	return NULL;
}
