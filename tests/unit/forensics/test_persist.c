/* test_persist.c — persistence places: which paths, whatever their hash
 * says, with what the diff says of each. */
#include <stdlib.h>

#include "test.h"
#include "forensics/diff.h"
#include "forensics/fx.h"
#include "forensics/persist.h"

static void add(fx_list *l, const char *path, fx_type t, int hash, uint32_t mode, int deleted)
{
	fx_entry e;
	memset(&e, 0, sizeof e);
	e.path = fx_memdup(path, strlen(path));
	e.path_len = strlen(path);
	e.type = t;
	e.mode = mode;
	e.has_meta = 1;
	e.deleted = (uint8_t)deleted;
	e.mtime = (fx_time){1700000000, 0, 1};
	memset(e.sha256, hash, FX_SHA256_LEN);
	e.has_hash = 1;
	fx_list_push(l, &e);
	fx_entry_clear(&e);
}

static const char *kind(const char *path, fx_type t, uint32_t mode)
{
	fx_entry e = {.path = (char *)path, .path_len = strlen(path), .type = t, .mode = mode};
	return fx_persistence_kind(&e);
}

TEST(kinds_by_place)
{
	static const struct {
		const char *path, *want;
	} cases[] = {
		{"/etc/crontab", "cron"},
		{"/etc/cron.d/sysupdate", "cron"},
		{"/var/spool/cron/crontabs/www-data", "cron"},
		{"/etc/cron.d", NULL}, /* the directory name alone is no file in it */
		{"/etc/cron.dx/a", NULL},
		{"/etc/systemd/system/multi-user.target.wants/x.service", "systemd unit"},
		{"/usr/lib/systemd/system/sshd.service", NULL}, /* vendor units: the diff's */
		{"/home/u/.config/systemd/user/miner.service", "systemd unit"},
		{"/etc/rc.local", "init script"},
		{"/etc/init.d/x", "init script"},
		{"/etc/profile.d/z.sh", "shell startup"},
		{"/root/.bashrc", "shell startup"},
		{"/home/ec2-user/.ssh/authorized_keys", "ssh authorized_keys"},
		{"/root/.ssh/authorized_keys2", "ssh authorized_keys"},
		{"/etc/ld.so.preload", "preload"},
		{"/etc/sudoers.d/90-cloud", "sudoers"},
		{"p2:/etc/crontab", "cron"}, /* a partition prefix is set aside */
		{"/var/www/html/index.php", NULL},
		{"/etc/ld.so.preload.bak", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *got = kind(cases[i].path, FX_T_FILE, 0644);
		CHECKF(got == cases[i].want || (got && cases[i].want && !strcmp(got, cases[i].want)),
		       "%s: %s", cases[i].path, got ? got : "(none)");
	}
	CHECK_STR(kind("/var/tmp/.x", FX_T_FILE, 04755), "setuid/setgid");
	CHECK_STR(kind("/usr/bin/wall", FX_T_FILE, 02755), "setuid/setgid");
	CHECK(kind("/etc/cron.d", FX_T_DIR, 0755) == NULL);
	CHECK(kind("/tmp/sticky", FX_T_DIR, 01777) == NULL);
	CHECK_STR(kind("/etc/cron.d/link", FX_T_LINK, 0777), "cron");
	fx_entry del = {.path = "/etc/crontab", .path_len = 12, .type = FX_T_FILE, .deleted = 1};
	CHECK(fx_persistence_kind(&del) == NULL);
}

TEST(listed_whatever_the_hash_says)
{
	fx_list b, c;
	fx_list_init(&b, 0);
	fx_list_init(&c, 0);
	add(&b, "/etc/crontab", FX_T_FILE, 1, 0644, 0);
	add(&b, "/home/u/.ssh/authorized_keys", FX_T_FILE, 2, 0600, 0);
	add(&b, "/var/www/html/index.php", FX_T_FILE, 3, 0644, 0);
	add(&c, "/etc/cron.d/sysupdate", FX_T_FILE, 9, 0644, 0);
	add(&c, "/etc/crontab", FX_T_FILE, 1, 0644, 0);
	add(&c, "/home/u/.ssh/authorized_keys", FX_T_FILE, 7, 0600, 0);
	add(&c, "/var/tmp/.x", FX_T_FILE, 5, 04755, 0);
	add(&c, "/var/www/html/index.php", FX_T_FILE, 3, 0644, 0);
	fx_diff d = {0};
	CHECK_INT(fx_diff_run(&b, &c, 0, &d), SG_OK);
	json_t *a = fx_persistence_json(&c, &d, 0, NULL);
	CHECK_INT(json_array_size(a), 4);
	static const char *const want[][3] = {
		{"/etc/cron.d/sysupdate", "cron", "added"},
		{"/etc/crontab", "cron", "unchanged"},
		{"/home/u/.ssh/authorized_keys", "ssh authorized_keys", "timestomped"}, /* same mtime */
		{"/var/tmp/.x", "setuid/setgid", "added"},
	};
	for (size_t i = 0; i < 4 && i < json_array_size(a); i++) {
		json_t *p = json_array_get(a, i);
		CHECK_STR(json_string_value(json_object_get(p, "path")), want[i][0]);
		CHECK_STR(json_string_value(json_object_get(p, "kind")), want[i][1]);
		CHECK_STR(json_string_value(json_object_get(p, "baseline")), want[i][2]);
		CHECK(json_is_string(json_object_get(p, "sha256")));
	}
	json_decref(a);
	/* without a baseline: listed, no "baseline"; capped with the rest counted */
	size_t omitted = 0;
	a = fx_persistence_json(&c, NULL, 3, &omitted);
	CHECK_INT(json_array_size(a), 3);
	CHECK_INT(omitted, 1);
	CHECK(json_object_get(json_array_get(a, 0), "baseline") == NULL);
	json_decref(a);
	fx_diff_free(&d);
	fx_list_free(&b);
	fx_list_free(&c);
}

TEST(names_are_escaped)
{
	fx_list c;
	fx_list_init(&c, 0);
	add(&c, "/etc/cron.d/a\nb|c", FX_T_FILE, 1, 0644, 0);
	json_t *a = fx_persistence_json(&c, NULL, 0, NULL);
	CHECK_STR(json_string_value(json_object_get(json_array_get(a, 0), "path")),
	          "/etc/cron.d/a\\x0ab\\x7cc");
	json_decref(a);
	fx_list_free(&c);
}

TEST_MAIN(kinds_by_place, listed_whatever_the_hash_says, names_are_escaped)
