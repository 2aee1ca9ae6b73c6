/* test_scansel.c — which files the YARA scan reads (scansel.h). */
#include "test.h"
#include "forensics/scansel.h"

static const char *why(const char *path, fx_type t, uint32_t mode, int deleted)
{
	fx_entry e = {.path = (char *)path, .path_len = strlen(path), .type = t, .mode = mode,
	              .deleted = (uint8_t)deleted};
	return fx_scan_unbaselined(&e);
}

TEST(without_a_baseline)
{
	static const struct {
		const char *path;
		uint32_t mode;
		const char *want;
	} cases[] = {
		{"/etc/cron.d/sysupdate", 0644, "cron"},
		{"/home/u/.ssh/authorized_keys", 0600, "ssh authorized_keys"},
		{"/usr/bin/passwd", 04755, "setuid/setgid"},
		{"/var/www/html/.thumb.php", 0644, "writable place"},
		{"p2:/tmp/.x/config.json", 0644, "writable place"},
		{"/root/notes.txt", 0600, "writable place"},
		{"/usr/share/app/run.PHP", 0644, "script"},
		{"/usr/lib/x/hook.py", 0644, "script"},
		{"/usr/bin/ls", 0755, "executable"},
		{"/usr/share/doc/x/README", 0644, NULL},
		{"/etc/hostname", 0644, NULL},
		{"/usr/share/x/file.php.txt", 0644, NULL},
		{"/usr/share/x/.php", 0644, NULL},
		{"/var/wwwx/a.txt", 0644, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *got = why(cases[i].path, FX_T_FILE, cases[i].mode, 0);
		CHECKF(cases[i].want ? got && !strcmp(got, cases[i].want) : !got, "%s: got %s",
		       cases[i].path, got ? got : "(null)");
	}
	CHECK(!why("/var/www/html/x.php", FX_T_FILE, 0644, 1));   /* deleted: no content */
	fx_entry kept = {.path = "/var/www/html/x.php", .path_len = 19, .type = FX_T_FILE,
	                 .mode = 0644, .deleted = 1, .data_kept = 1};
	CHECK_STR(fx_scan_unbaselined(&kept), "writable place"); /* as if it were live */
	kept.path = "/etc/cron.d/x";
	kept.path_len = 13;
	CHECK(!fx_scan_unbaselined(&kept)); /* a deleted cron file runs nothing */
	CHECK(!why("/var/www/html/x.php", FX_T_LINK, 0777, 0));   /* never through a symlink */
	CHECK(!why("/var/www/html", FX_T_DIR, 0755, 0));
}

TEST(with_a_baseline)
{
	fx_entry live = {.path = "/a", .path_len = 2, .type = FX_T_FILE};
	fx_entry gone = {.path = "/a", .path_len = 2, .type = FX_T_FILE, .deleted = 1};
	fx_entry kept = {.path = "/a", .path_len = 2, .type = FX_T_FILE, .deleted = 1,
	                 .data_kept = 1};
	fx_entry link = {.path = "/a", .path_len = 2, .type = FX_T_LINK};
	for (int c = 0; c < FX_C__COUNT; c++) {
		fx_finding f = {.cls = (fx_class)c, .cur = &live};
		int want = c == FX_C_ADDED || c == FX_C_MODIFIED || c == FX_C_TIMESTOMPED ||
		           c == FX_C_TYPE_CHANGED || c == FX_C_MOVED || c == FX_C_UNVERIFIED ||
		           c == FX_C_DELETED_IN_IMAGE;
		CHECKF(fx_scan_finding(&f) == want, "%s", fx_class_name((fx_class)c));
		f.cur = &kept;
		CHECKF(fx_scan_finding(&f) == want, "%s of a deleted file whose data is kept",
		       fx_class_name((fx_class)c));
		f.cur = &gone;
		CHECKF(!fx_scan_finding(&f), "%s of a deleted name", fx_class_name((fx_class)c));
		f.cur = &link;
		CHECKF(!fx_scan_finding(&f), "%s of a symlink", fx_class_name((fx_class)c));
		f.cur = NULL;
		CHECKF(!fx_scan_finding(&f), "%s without an image side", fx_class_name((fx_class)c));
	}
	CHECK_STR(fx_scan_scope_name(FX_SCAN_CHANGED), "changed");
}

TEST(orphans)
{
	fx_entry orphan = {.path = "/$OrphanFiles/OrphanFile-12", .path_len = 27, .inode = 12,
	                   .type = FX_T_FILE, .deleted = 1, .orphan = 1};
	CHECK_STR(fx_scan_orphan(&orphan), "orphan inode");
	CHECK(!fx_scan_unbaselined(&orphan)); /* chosen as an orphan, not by its place */
	orphan.type = FX_T_DIR;
	CHECK(!fx_scan_orphan(&orphan));
	fx_entry gone = {.path = "/tmp/x", .path_len = 6, .type = FX_T_FILE, .deleted = 1};
	CHECK(!fx_scan_orphan(&gone)); /* a deleted name: its blocks may be another's */
	fx_entry live = {.path = "/tmp/x", .path_len = 6, .type = FX_T_FILE};
	CHECK(!fx_scan_orphan(&live));
	CHECK(!fx_scan_orphan(NULL));
	CHECK(fx_scan_content(&live));
	CHECK(!fx_scan_content(&gone));
	gone.data_kept = 1; /* an NTFS deleted file still in its freed MFT record */
	CHECK(fx_scan_content(&gone));
	CHECK(!fx_scan_orphan(&gone)); /* chosen as live files are, not in every scope */
	gone.type = FX_T_LINK;
	CHECK(!fx_scan_content(&gone));
	CHECK(!fx_scan_content(NULL));
}

TEST_MAIN(without_a_baseline, with_a_baseline, orphans)
