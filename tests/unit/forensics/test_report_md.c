/*
 * test_report_md.c — report.md's sections an examiner reads that hold the
 * intruder's text: the deleted entries of each file system, their names
 * shown so that no name breaks out of its table cell.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "forensics/report.h"
#include "test.h"

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
	CHECK(r != NULL);
	fx_buf md = {0};
	CHECK(fx_report_markdown(r, &md) == SG_OK);
	CHECK(fx_buf_add(&md, "", 1) == SG_OK);
	const char *t = md.p;
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
	fx_buf_free(&md);
	json_decref(r);
}

TEST_MAIN(deleted_entries_listed_and_escaped)
