/* test_formats.c — escaping, times, manifest, hashdeep, bodyfile, volume ids. */
#include <stdlib.h>

#include "test.h"
#include "forensics/escape.h"
#include "forensics/evmanifest.h"
#include "forensics/fsprobe.h"
#include "forensics/fx.h"
#include "forensics/manifest.h"
#include "forensics/xattrs.h"
#include "forensics/xfsentry.h"

static const struct {
	const char *raw;
	size_t len;
	const char *esc;
} esc_rows[] = {
	{"/etc/passwd", 11, "/etc/passwd"},
	{"a|b", 3, "a\\x7cb"},
	{"back\\slash", 10, "back\\\\slash"},
	{"new\nline", 8, "new\\x0aline"},
	{"bad\xff\xfe", 5, "bad\\xff\\xfe"},
	{"caf\xc3\xa9", 5, "caf\xc3\xa9"},               /* valid UTF-8 stays */
	{"\xc0\xaf", 2, "\\xc0\\xaf"},                    /* overlong '/' */
	{"\xed\xa0\x80", 3, "\\xed\\xa0\\x80"},           /* surrogate */
	{"\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80"},  /* > U+10FFFF */
	{"\xe2\x9c\x93", 3, "\xe2\x9c\x93"},
	{"\x7f\x01", 2, "\\x7f\\x01"},
	{"tab\t", 4, "tab\\x09"},
	{"", 0, ""},
};

TEST(escape_table)
{
	for (size_t i = 0; i < sizeof esc_rows / sizeof esc_rows[0]; i++) {
		char *e = fx_escape_dup(esc_rows[i].raw, esc_rows[i].len);
		CHECKF(e && !strcmp(e, esc_rows[i].esc), "row %zu: got %s", i, e ? e : "(null)");
		char *back = NULL;
		size_t blen = 0;
		CHECK_INT(fx_unescape(e, strlen(e), &back, &blen), SG_OK);
		CHECKF(blen == esc_rows[i].len && !memcmp(back, esc_rows[i].raw, blen), "row %zu", i);
		free(e);
		free(back);
	}
}

TEST(escape_roundtrip_all_bytes)
{
	char raw[255];
	for (int i = 0; i < 255; i++)
		raw[i] = (char)(i + 1);
	char *e = fx_escape_dup(raw, sizeof raw);
	for (const char *p = e; *p; p++)
		CHECK((unsigned char)*p >= 0x20 && *p != 0x7f && *p != '|');
	char *back = NULL;
	size_t blen = 0;
	CHECK_INT(fx_unescape(e, strlen(e), &back, &blen), SG_OK);
	CHECK(blen == sizeof raw && !memcmp(back, raw, blen));
	free(e);
	free(back);
}

TEST(unescape_rejects)
{
	const char *bad[] = {"\\", "\\x", "\\x4", "\\xzz", "\\q", "\\x00", "a\nb"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *out = NULL;
		size_t n;
		CHECKF(fx_unescape(bad[i], strlen(bad[i]), &out, &n) == SG_ERR_PARSE, "row %zu", i);
		CHECK(out == NULL);
	}
}

TEST(times)
{
	fx_time t;
	char buf[FX_TIME_TEXT];
	CHECK_INT(fx_time_parse("1700000000.123456789", 20, &t), SG_OK);
	CHECK_INT(t.sec, 1700000000);
	CHECK_INT(t.nsec, 123456789);
	fx_time_format(&t, buf, sizeof buf);
	CHECK_STR(buf, "1700000000.123456789");
	/* -5.000000001 is 6 seconds before the epoch plus 999999999 ns, as
	   in a timespec; it prints back the same */
	CHECK_INT(fx_time_parse("-5.000000001", 12, &t), SG_OK);
	CHECK_INT(t.sec, -6);
	CHECK_INT(t.nsec, 999999999);
	fx_time_format(&t, buf, sizeof buf);
	CHECK_STR(buf, "-5.000000001");
	t = (fx_time){-1, 999999999, 1};
	fx_time_format(&t, buf, sizeof buf);
	CHECK_STR(buf, "-0.000000001");
	t = (fx_time){-2, 0, 1};
	fx_time_format(&t, buf, sizeof buf);
	CHECK_STR(buf, "-2.000000000");
	t = (fx_time){0, 0, 1};
	fx_time_format(&t, buf, sizeof buf);
	CHECK_STR(buf, "0.000000000");
	CHECK_INT(fx_time_parse("-0.000000000", 12, &t), SG_OK);
	CHECK_INT(t.sec, 0);
	CHECK_INT(t.nsec, 0);
	CHECK_INT(fx_time_parse("12", 2, &t), SG_OK);
	CHECK_INT(fx_time_parse("1.5", 3, &t), SG_ERR_PARSE);
	CHECK_INT(fx_time_parse("x", 1, &t), SG_ERR_PARSE);
	CHECK_INT(fx_time_parse("99999999999999999999999", 23, &t), SG_ERR_RANGE);
}

static fx_entry mk(const char *path, fx_type t, const char *hashbyte)
{
	fx_entry e;
	memset(&e, 0, sizeof e);
	e.path = fx_memdup(path, strlen(path));
	e.path_len = strlen(path);
	e.type = t;
	e.has_meta = 1;
	e.mode = 0644;
	e.mtime = (fx_time){1700000000, 5, 1};
	if (hashbyte) {
		memset(e.sha256, hashbyte[0], FX_SHA256_LEN);
		e.has_hash = 1;
	}
	return e;
}

TEST(manifest_roundtrip)
{
	sg_buf b = {0};
	fx_entry e = mk("/odd\nname|x\\y\xff", FX_T_FILE, "a");
	e.inode = 42;
	e.size = 7;
	e.uid = 1000;
	e.gid = 100;
	e.nlink = 2;
	e.mode = 04755;
	e.btime = (fx_time){1, 2, 1};
	e.fs_meta = 1;
	fx_entry l = mk("/lnk", FX_T_LINK, NULL);
	l.target = fx_memdup("../t\n", 5);
	l.target_len = 5;
	CHECK_INT(fx_manifest_header(&b, "vol-1", "/dev/x"), SG_OK);
	CHECK_INT(fx_manifest_line(&b, &e), SG_OK);
	CHECK_INT(fx_manifest_line(&b, &l), SG_OK);
	fx_list out;
	fx_list_init(&out, 0);
	char err[128];
	CHECK_INT(fx_manifest_parse(b.p, b.len, &out, err, sizeof err), SG_OK);
	CHECK_INT(out.n, 2);
	if (out.n == 2) {
		fx_entry *g = &out.v[0];
		CHECK(g->path_len == e.path_len && !memcmp(g->path, e.path, e.path_len));
		CHECK_INT(g->inode, 42);
		CHECK(g->fs_meta && !out.v[1].fs_meta);
		CHECK_INT(g->mode, 04755);
		CHECK_INT(g->uid, 1000);
		CHECK(fx_time_equal(&g->mtime, &e.mtime) && fx_time_equal(&g->btime, &e.btime));
		CHECK(!g->atime.set);
		CHECK(g->has_hash && !memcmp(g->sha256, e.sha256, FX_SHA256_LEN));
		CHECK(out.v[1].type == FX_T_LINK && out.v[1].target_len == 5 &&
		      !memcmp(out.v[1].target, "../t\n", 5));
	}
	fx_list_free(&out);
	/* not a manifest, bad lines, limits */
	fx_list_init(&out, 1);
	CHECK_INT(fx_manifest_parse("{\"x\":1}\n", 8, &out, err, sizeof err), SG_ERR_PARSE);
	CHECK_INT(fx_manifest_parse(b.p, b.len, &out, err, sizeof err), SG_ERR_RANGE);
	CHECK(strstr(err, "line 3") != NULL);
	fx_list_free(&out);
	fx_entry_clear(&e);
	fx_entry_clear(&l);
	sg_buf_free(&b);
}

TEST(hashdeep)
{
	sg_buf b = {0};
	fx_entry e = mk("/a,b|c", FX_T_FILE, "\x11");
	e.size = 3;
	fx_entry d = mk("/dir", FX_T_DIR, NULL);
	CHECK_INT(fx_hashdeep_header(&b, "cmd"), SG_OK);
	CHECK_INT(fx_hashdeep_line(&b, &e), SG_OK);
	CHECK_INT(fx_hashdeep_line(&b, &d), SG_OK); /* dirs are not listed */
	/* names raw, as hashdeep writes them; no partition prefix */
	CHECK(strstr(b.p, "3,1111111111111111111111111111111111111111111111111111111111111111,./a,b|c\n") != NULL);
	CHECK(fx_hashdeep_detect(b.p, b.len));
	fx_entry_clear(&e);
	e = mk("p1:/x\\41\n\xe9", FX_T_FILE, "\x22");
	CHECK_INT(fx_hashdeep_line(&b, &e), SG_OK);
	CHECK(strstr(b.p, ",./x\\41\n\xe9\n") != NULL);
	fx_list out;
	fx_list_init(&out, 0);
	char err[128];
	fx_hashdeep_info info;
	CHECK_INT(fx_hashdeep_parse(b.p, b.len, NULL, &out, &info, err, sizeof err), SG_OK);
	CHECK_INT(out.n, 2);
	CHECK_INT(info.joined, 1);   /* the newline in the name: two lines, one record */
	CHECK_INT(info.skipped, 0);
	if (out.n == 2) {
		CHECK(out.v[0].path_len == 6 && !memcmp(out.v[0].path, "/a,b|c", 6) && !out.v[0].has_meta);
		CHECK(out.v[1].path_len == 7 && !memcmp(out.v[1].path, "/x\\41\n\xe9", 7));
	}
	fx_list_free(&out);
	/* lists older versions wrote: names escaped, said by the header */
	const char *old = "%%%% HASHDEEP-1.0\n%%%% size,sha256,filename\n"
	                  "## Invoked from: ssrfguard forensics\n"
	                  "1,e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855,./a\\x0ab\n";
	fx_list_init(&out, 0);
	CHECK_INT(fx_hashdeep_parse(old, strlen(old), NULL, &out, &info, err, sizeof err), SG_OK);
	CHECK(out.n == 1 && out.v[0].path_len == 4 && !memcmp(out.v[0].path, "/a\nb", 4));
	fx_list_free(&out);
	/* unreadable records are counted and skipped, never the end of it */
	const char *skip = "%%%% HASHDEEP-1.0\n%%%% size,sha256,filename\n"
	                   "x,ab,/f\n"
	                   "1,e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855,./ok\n"
	                   "## c\n99999999999999999999,"
	                   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855,/f\n";
	fx_list_init(&out, 0);
	CHECK_INT(fx_hashdeep_parse(skip, strlen(skip), NULL, &out, &info, err, sizeof err), SG_OK);
	CHECK_INT(out.n, 1);
	CHECK_INT(info.skipped, 2);
	CHECK_INT(info.first_skipped, 3);
	fx_list_free(&out);
	/* hashdeep's own md5+sha256 output with absolute names and a prefix to strip */
	const char *hd = "%%%% HASHDEEP-1.0\n%%%% size,md5,sha256,filename\n## x\n"
	                 "5,d41d8cd98f00b204e9800998ecf8427e,"
	                 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855,/mnt/ev/etc/x\r\n";
	fx_list_init(&out, 0);
	CHECK_INT(fx_hashdeep_parse(hd, strlen(hd), "/mnt/ev", &out, &info, err, sizeof err), SG_OK);
	CHECK(out.n == 1 && out.v[0].size == 5 && !strcmp(out.v[0].path, "/etc/x"));
	fx_list_free(&out);
	const char *bad[] = {
		"%%%% HASHDEEP-1.0\n%%%% size,md5,filename\n",           /* no sha256 */
		"%%%% HASHDEEP-1.0\n1,2,3\n",                             /* no columns */
		"nope",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		fx_list_init(&out, 0);
		CHECKF(fx_hashdeep_parse(bad[i], strlen(bad[i]), NULL, &out, &info, err, sizeof err) != SG_OK,
		       "row %zu", i);
		fx_list_free(&out);
	}
	fx_entry_clear(&e);
	fx_entry_clear(&d);
	sg_buf_free(&b);
}

TEST(bodyfile)
{
	sg_buf b = {0};
	fx_entry e = mk("/x|y\n", FX_T_FILE, NULL);
	e.mode = 04755;
	e.inode = 12;
	e.size = 9;
	e.deleted = 1;
	CHECK_INT(fx_bodyfile_line(&b, &e), SG_OK);
	CHECK_STR(b.p, "0|/x\\x7cy\\x0a (deleted)|12|r/-rwsr-xr-x|0|0|9|0|1700000000|0|0\n");
	sg_buf_reset(&b);
	fx_entry l = mk("/l", FX_T_LINK, NULL);
	l.mode = 0777;
	l.target = fx_memdup("t|", 2);
	l.target_len = 2;
	CHECK_INT(fx_bodyfile_line(&b, &l), SG_OK);
	CHECK(!strncmp(b.p, "0|/l -> t\\x7c|0|l/lrwxrwxrwx|", 28));
	fx_entry_clear(&e);
	fx_entry_clear(&l);
	sg_buf_free(&b);
}

TEST(volume_ids)
{
	char out[32];
	CHECK_INT(fx_volid_normalise("vol0123456789abcdef0    \n", 25, out, sizeof out), SG_OK);
	CHECK_STR(out, "vol-0123456789abcdef0");
	CHECK_INT(fx_volid_normalise("vol-0123abcd", 12, out, sizeof out), SG_OK);
	CHECK_STR(out, "vol-0123abcd");
	CHECK_INT(fx_volid_normalise("vol-0123ABCD", 12, out, sizeof out), SG_ERR_PARSE);
	CHECK_INT(fx_volid_normalise("AWS123", 6, out, sizeof out), SG_ERR_PARSE);
	CHECK_INT(fx_volid_normalise("vol-012", 7, out, sizeof out), SG_ERR_PARSE);
}

TEST(fsprobe_ext)
{
	static uint8_t sb[4096];
	memset(sb, 0, sizeof sb);
	sb[1024 + 0x38] = 0x53;
	sb[1024 + 0x39] = 0xef;
	fx_fsprobe_result r;
	fx_fsprobe(sb, sizeof sb, &r);
	CHECK_STR(r.name, "ext2");
	CHECK_INT(r.journal, FX_J_NONE);
	sb[1024 + 0x5c] = 0x4;       /* has_journal */
	fx_fsprobe(sb, sizeof sb, &r);
	CHECK_STR(r.name, "ext3");
	CHECK_INT(r.journal, FX_J_CLEAN);
	sb[1024 + 0x60] = 0x40 | 0x4; /* extents + needs_recovery */
	fx_fsprobe(sb, sizeof sb, &r);
	CHECK_STR(r.name, "ext4");
	CHECK_INT(r.journal, FX_J_DIRTY);
	memset(sb, 0, sizeof sb);
	memcpy(sb, "XFSB", 4);
	fx_fsprobe(sb, sizeof sb, &r);
	CHECK_STR(r.name, "xfs");
	fx_fsprobe(sb, 100, &r); /* too short to say */
	CHECK_INT(r.kind, FX_FS_UNKNOWN);
}

/* The one xattrs text: sorted by name bytes, names escaped, values hex. */
TEST(xattrs_text)
{
	fx_xattr v[3] = {
		{"user.b|c", 8, (const uint8_t *)"\x01", 1, 0},
		{"security.capability", 19, (const uint8_t *)"\x00\xff", 2, 0},
		{"trusted.big", 11, NULL, 0, 77},
	};
	sg_buf b = {0};
	CHECK_INT(fx_xattrs_text(&b, v, 3), SG_OK);
	CHECK(sg_buf_puts(&b, "") == SG_OK && b.p[b.len] == 0);
	CHECK_STR(b.p, "security.capability=00ff|trusted.big=@inode:77|user.b\\x7cc=01");
	sg_buf_free(&b);
}

/* NTFS $EA: ntfs-3g's form (every entry names the next, the last one the
 * end), Windows' (the last says 0), and what must be refused. */
TEST(ntfs_ea)
{
	static const uint8_t two[] = {
		20, 0, 0, 0, 0, 6, 4, 0, '$', 'L', 'X', 'U', 'I', 'D', 0, 1, 2, 3, 4, 0,
		0, 0, 0, 0, 0x80, 1, 1, 0, 'K', 0, 9,
	};
	fx_xattr v[4];
	char names[4 * 258];
	size_t n = 0;
	CHECK_INT(fx_ntfs_ea_parse(two, sizeof two, v, 4, &n, names), SG_OK);
	CHECK_INT(n, 2);
	CHECK(v[0].name_len == 9 && !memcmp(v[0].name, "ea.$LXUID", 9));
	CHECK(v[0].size == 4 && !memcmp(v[0].value, "\x01\x02\x03\x04", 4));
	CHECK(v[1].name_len == 4 && !memcmp(v[1].name, "ea.K", 4) && v[1].size == 1 && v[1].value[0] == 9);
	CHECK_INT(fx_ntfs_ea_parse(two, 20, v, 4, &n, names), SG_OK); /* ntfs-3g: ends at the end */
	CHECK_INT(n, 1);
	CHECK_INT(fx_ntfs_ea_parse(two, 0, v, 4, &n, names), SG_OK);
	CHECK_INT(n, 0);
	CHECK_INT(fx_ntfs_ea_parse(two, sizeof two, v, 1, &n, names), SG_ERR_CORRUPT); /* > max */
	CHECK_INT(fx_ntfs_ea_parse(two, sizeof two - 1, v, 4, &n, names), SG_ERR_CORRUPT); /* cut value */
	uint8_t bad[sizeof two];
	memcpy(bad, two, sizeof two);
	bad[0] = 8; /* the next entry inside this one's name */
	CHECK_INT(fx_ntfs_ea_parse(bad, sizeof bad, v, 4, &n, names), SG_ERR_CORRUPT);
	memcpy(bad, two, sizeof two);
	bad[0] = 200; /* past the end */
	CHECK_INT(fx_ntfs_ea_parse(bad, sizeof bad, v, 4, &n, names), SG_ERR_CORRUPT);
	memcpy(bad, two, sizeof two);
	bad[5] = 0; /* no name */
	CHECK_INT(fx_ntfs_ea_parse(bad, sizeof bad, v, 4, &n, names), SG_ERR_CORRUPT);
}

/* The evidence manifest and the incident time (forensics/evmanifest.h). */
TEST(evidence_manifest)
{
	const char ok[] = "{\"incident\":\"INC-7\",\"volumes\":[{\"volume_id\":"
	                  "\"vol-0123456789abcdef0\",\"snapshot_id\":\"snap-1\"}]}";
	json_t *v = NULL;
	char err[160];
	CHECK_INT(fx_evidence_parse(ok, sizeof ok - 1, "INC-7", &v, err, sizeof err), SG_OK);
	CHECK(json_array_size(v) == 1);
	json_decref(v);
	CHECK_INT(fx_evidence_parse(ok, sizeof ok - 1, "INC-8", &v, err, sizeof err), SG_ERR_INVAL);
	CHECKF(!v && !strcmp(err, "it is for incident INC-7, not INC-8"), "%s", err);
	const char esc[] = "{\"incident\":\"\\u001b[2J\",\"volumes\":[{\"volume_id\":"
	                   "\"vol-0123456789abcdef0\"}]}";
	CHECK_INT(fx_evidence_parse(esc, sizeof esc - 1, "x", &v, err, sizeof err), SG_ERR_INVAL);
	CHECKF(!strcmp(err, "it is for incident \\x1b[2J, not x"), "%s", err);
	const char bad[] = "{\"incident\":\"i\",\"volumes\":[{\"volume_id\":\"vol-0123ABCD\"}]}";
	CHECK_INT(fx_evidence_parse(bad, sizeof bad - 1, NULL, &v, err, sizeof err), SG_ERR_PARSE);
	CHECK_INT(fx_evidence_parse("{}", 2, NULL, &v, err, sizeof err), SG_ERR_PARSE);
	CHECK_INT(fx_evidence_parse(ok, FX_EVIDENCE_MAX + 1, NULL, &v, err, sizeof err),
	          SG_ERR_RANGE);

	int64_t t = 0;
	CHECK_INT(fx_utc_parse("2026-12-04T16:00:00.250Z", &t), SG_OK);
	CHECK_INT(t, 1796400000);
	CHECK_INT(fx_utc_parse("2026-12-04T16:00:00+00:00", &t), SG_OK);
	CHECK_INT(fx_utc_parse("1969-12-31T23:59:59Z", &t), SG_OK);
	CHECK_INT(t, -1);
	CHECK_INT(fx_utc_parse("2026-12-04T16:00:00+01:00", &t), SG_ERR_PARSE);
	CHECK_INT(fx_utc_parse("2026-12-04 16:00:00Z", &t), SG_ERR_PARSE);
	CHECK_INT(fx_utc_parse(NULL, &t), SG_ERR_PARSE);

	json_t *info = json_pack("{s:{s:s},s:s}", "tags", FX_INCIDENT_TIME_TAG, "tag-time",
	                         "incident_time", "manifest-time");
	CHECK_STR(fx_evidence_tagged_time(info), "tag-time");
	json_object_del(info, "tags");
	CHECK_STR(fx_evidence_tagged_time(info), "manifest-time");
	json_decref(info);
}

/* An XFS file as the kernel describes it (forensics/xfsentry.h). */
TEST(xfs_kernel_answers)
{
	const char list[] = "user.a\0security.capability\0";
	fx_xattr v[4];
	size_t n = 9;
	CHECK_INT(fx_xattr_list_split(list, sizeof list - 1, NULL, 0, &n), SG_OK);
	CHECK_INT(n, 2);
	CHECK_INT(fx_xattr_list_split(list, sizeof list - 1, v, 4, &n), SG_OK);
	CHECK(v[1].name_len == 19 && !strcmp(v[1].name, "security.capability"));
	CHECK_INT(fx_xattr_list_split(list, sizeof list - 1, v, 1, &n), SG_ERR_RANGE);
	CHECK_INT(fx_xattr_list_split("user.a\0user.b", 13, NULL, 0, &n), SG_ERR_CORRUPT);
	CHECK_INT(fx_xattr_list_split("user.a\0\0", 8, NULL, 0, &n), SG_ERR_CORRUPT);
	CHECK_INT(fx_xattr_list_split("", 0, NULL, 0, &n), SG_OK);
	CHECK_INT(n, 0);

	struct statx sx;
	memset(&sx, 0, sizeof sx);
	sx.stx_mode = S_IFLNK | 04777;
	sx.stx_mtime.tv_sec = -1;
	sx.stx_mtime.tv_nsec = 2000000000u; /* impossible: read as 0 */
	sx.stx_btime.tv_sec = 5;
	fx_entry e;
	memset(&e, 0, sizeof e);
	fx_entry_from_statx(&e, &sx);
	CHECK(e.type == FX_T_LINK && e.mode == 04777 && e.has_meta);
	CHECK(e.mtime.sec == -1 && e.mtime.nsec == 0 && e.mtime.set);
	CHECK(!e.btime.set); /* STATX_BTIME not in the mask */
	CHECK(fx_mode_type(S_IFSOCK) == FX_T_SOCK && fx_mode_type(0) == FX_T_OTHER);
}

TEST_MAIN(escape_table, escape_roundtrip_all_bytes, unescape_rejects, times, manifest_roundtrip,
          hashdeep, bodyfile, volume_ids, fsprobe_ext, xattrs_text, ntfs_ea, evidence_manifest,
          xfs_kernel_answers)
