/*
 * test_report_md.c — report.md's sections an examiner reads that hold the
 * intruder's text: the deleted entries of each file system, their names
 * shown so that no name breaks out of its table cell; YARA's matches.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "forensics/report.h"
#include "forensics/report_md.h"
#include "test.h"

/* report.md of report r into md, NUL-terminated ("" when it fails). */
static const char *markdown(const json_t *r, sg_buf *md)
{
	CHECK(r != NULL);
	CHECK(r && fx_report_markdown(r, md) == SG_OK);
	CHECK(sg_buf_append(md, "", 1) == SG_OK);
	return md->p ? md->p : "";
}

/* The table row that starts with prefix, or NULL. */
static const char *row(const char *md, const char *prefix)
{
	for (const char *p = md; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, prefix, strlen(prefix)))
			return p;
	return NULL;
}

/* Cells of the row at p: unescaped '|' outside code spans and escapes. */
static int cells(const char *p)
{
	int n = 0;
	for (; *p && *p != '\n'; p++)
		if (*p == '|' && p[-1] != '\\')
			n++;
	return n - 1;
}

TEST(deleted_entries_listed_and_escaped)
{
	/* paths as report.json holds them: fx_escape'd by the walker, so a
	   newline is \x0a and '|' is \x7c; a backtick stays */
	json_t *r = json_pack(
		"{s:[{s:s,s:[{s:i,s:[{s:s,s:i,s:s,s:i,s:s,s:s,s:s},{s:s,s:i,s:s,s:i,s:s,s:s,s:s}],"
		"s:i},{s:i,s:[],s:i}]}]}",
		"evidence", "label", "vol-1", "filesystems", "index", 0, "deleted_entries",
		"path", "/tmp/.x`| rm -rf`\\x0a| a | b |", "inode", 1234, "type", "file", "size", 42,
		"mtime", "1700000000.000000000", "ctime", "1700000001.000000000", "btime", "",
		"path", "/var/www/shell.php", "inode", 77, "type", "file", "size", 31, "mtime",
		"1700000100.000000000", "ctime", "1700000100.000000000", "btime", "1700000050.000000000",
		"deleted_omitted", 5, "index", 1, "deleted_entries", "deleted_omitted", 0);
	sg_buf md = {0};
	const char *t = markdown(r, &md);
	CHECKF(strstr(t, "#### Deleted entries of file system 0: 7 (names and metadata; contents "
	                 "not hashed)") != NULL, "%s", t);
	CHECKF(!strstr(t, "Deleted entries of file system 1"), "an empty file system has no section");
	const char *shell = row(t, "| ` /var/www/shell.php ` | 77 | file | 31 | 1700000100");
	CHECKF(shell != NULL, "%s", t);
	const char *hostile = row(t, "| `` /tmp/.x`\\| rm -rf`\\x0a\\| a \\| b \\| `` | 1234 |");
	CHECKF(hostile != NULL, "%s", t);
	if (hostile)
		CHECK_INT(cells(hostile), 7); /* the name stays in its cell */
	CHECK(strstr(t, "… and 5 more (not listed)") != NULL);
	CHECK(!strchr(t, '\r'));
	sg_buf_free(&md);
	json_decref(r);
}

/* Text of the evidence outside code spans (a walk warning naming a
 * directory, a YARA rule's description) and inside them (a path holding a
 * newline): no control byte but '\n' between rows, no raw HTML, no link,
 * no cell broken: the incident report's rules (common/mdtext.h). */
TEST(evidence_text_escaped_as_the_incident_report_does)
{
	json_t *r = json_pack(
		"{s:[{s:s,s:[{s:i,s:s,s:s,s:s,s:[]}],s:{s:s,s:[{s:s,s:[{s:s,s:s,s:{s:s}}]}]}}]}",
		"evidence", "label", "vol-1", "filesystems", "index", 0, "type", "ext4",
		"status", "incomplete",
		"walk_warnings", "directory inode 5 (/\x1b[31m<img src=x onerror=alert(1)>|x): cannot read",
		"deleted_entries", "yara", "scope", "all", "matches", "path", "/a\nb\rc|d",
		"rules", "namespace", "ns", "rule", "r_[1](http://e/)", "meta", "description",
		"\x1b]0;owned\x07 *bold* ~x~ & <b>");
	sg_buf md = {0};
	const char *t = markdown(r, &md);
	for (size_t i = 0; i + 1 < md.len; i++)
		CHECKF((unsigned char)t[i] >= 0x20 && t[i] != 0x7f ? 1 : t[i] == '\n',
		       "byte 0x%02x at %zu", (unsigned char)t[i], i);
	CHECKF(!strstr(t, "<img") && !strstr(t, "<b>"), "%s", t);
	CHECKF(strstr(t, "&lt;img src=x onerror=alert(1)&gt;\\|x") != NULL, "%s", t);
	CHECKF(strstr(t, "r\\_\\[1\\](http://e/)") != NULL, "%s", t);
	CHECKF(strstr(t, " \\*bold\\* \\~x\\~ &amp; &lt;b&gt;") != NULL, "%s", t);
	CHECKF(strstr(t, "` /a b c\\|d `") != NULL, "%s", t);
	sg_buf_free(&md);
	json_decref(r);
}

/* A match on an orphan inode (a file unlinked while it ran): its inode
 * beside its name, its class, and the orphans counted in the summary. */
TEST(orphan_match_shows_its_inode)
{
	json_t *r = json_pack(
		"{s:[{s:s,s:s,s:{s:s,s:s,s:i,s:i,s:i,s:i,s:[{s:s,s:i,s:b,s:s,s:[{s:s,s:s}]},"
		"{s:s,s:i,s:b,s:s,s:[{s:s,s:s}]}]}}]}",
		"evidence", "label", "vol-1", "status", "complete", "yara", "scope", "changed",
		"status", "complete", "selected", 3, "orphans", 1, "scanned", 3, "bytes", 5,
		"matches", "path", "/$OrphanFiles/OrphanFile-12", "inode", 12, "orphan", 1, "class",
		"deleted_in_image", "rules", "namespace", "miners", "rule", "m", "path", "/tmp/x",
		"inode", 13, "orphan", 0, "class", "added", "rules", "namespace", "miners", "rule", "m");
	sg_buf md = {0};
	const char *t = markdown(r, &md);
	CHECKF(strstr(t, "| ` /$OrphanFiles/OrphanFile-12 ` (orphan inode 12) | deleted\\_in\\_image "
	                 "| **miners.m** |") != NULL, "%s", t);
	CHECKF(strstr(t, "| ` /tmp/x ` | added | **miners.m** |") != NULL, "%s", t);
	CHECKF(strstr(t, "3 of 3 selected files scanned (1 orphan inode), 5 bytes") != NULL, "%s", t);
	sg_buf_free(&md);
	json_decref(r);
}

TEST_MAIN(deleted_entries_listed_and_escaped, evidence_text_escaped_as_the_incident_report_does,
          orphan_match_shows_its_inode)
