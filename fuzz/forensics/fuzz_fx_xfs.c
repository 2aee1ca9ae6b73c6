/*
 * fuzz_fx_xfs.c — what the XFS walker takes from the kernel about a file
 * on the attacker's file system (forensics/xfsentry.h): the input's first
 * sizeof(struct statx) bytes are a statx answer (zero-filled when short),
 * the rest an llistxattr answer whose names get their own bytes as values.
 * The entry is written as a manifest line and read back: every field the
 * walker set must come back the same (the manifest is the evidence).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "forensics/manifest.h"
#include "forensics/xfsentry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void invariant(int ok)
{
	if (!ok)
		__builtin_trap();
}

static int same_time(const fx_time *a, const fx_time *b)
{
	return fx_time_equal(a, b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct statx sx;
	memset(&sx, 0, sizeof sx);
	size_t head = size < sizeof sx ? size : sizeof sx;
	memcpy(&sx, data, head);
	char *list = fx_memdup(data + head, size - head);
	if (!list)
		abort();
	size_t len = size - head, n = 0;

	fx_entry e;
	memset(&e, 0, sizeof e);
	fx_entry_from_statx(&e, &sx);
	invariant(e.mode <= 07777 && e.mtime.nsec < 1000000000u && e.btime.nsec < 1000000000u);
	e.path = fx_memdup("/var/www/x", 10);
	e.path_len = 10;

	sg_err rc = fx_xattr_list_split(list, len, NULL, 0, &n);
	fx_xattr *v = rc || !n ? NULL : calloc(n, sizeof *v);
	size_t got = 0;
	if (v && fx_xattr_list_split(list, len, v, n, &got) == SG_OK) {
		invariant(got == n);
		for (size_t i = 0; i < n; i++) {
			invariant(v[i].name >= list && v[i].name + v[i].name_len < list + len &&
			          v[i].name_len && v[i].name[v[i].name_len] == '\0');
			v[i].value = (const uint8_t *)v[i].name;
			v[i].size = v[i].name_len;
		}
		sg_buf text = {0};
		if (fx_xattrs_text(&text, v, n) == SG_OK) {
			e.xattrs = text.p ? text.p : fx_memdup("", 0);
			e.xattrs_len = text.len;
		} else {
			sg_buf_free(&text);
		}
	}
	free(v);
	if (e.type == FX_T_LINK && len) {
		e.target = fx_memdup(list, len);
		e.target_len = len;
	}

	sg_buf m = {0};
	fx_list back;
	fx_list_init(&back, 4);
	char err[160];
	if (fx_manifest_header(&m, NULL, NULL) == SG_OK && fx_manifest_line(&m, &e) == SG_OK &&
	    fx_manifest_parse(m.p, m.len, &back, err, sizeof err) == SG_OK) {
		invariant(back.n == 1);
		const fx_entry *b = &back.v[0];
		invariant(b->inode == e.inode && b->type == e.type && b->size == e.size &&
		          b->mode == e.mode && b->uid == e.uid && b->gid == e.gid &&
		          b->nlink == e.nlink && same_time(&b->mtime, &e.mtime) &&
		          same_time(&b->atime, &e.atime) && same_time(&b->ctime, &e.ctime) &&
		          same_time(&b->btime, &e.btime));
		invariant((!e.xattrs && !b->xattrs) ||
		          (e.xattrs && b->xattrs && b->xattrs_len == e.xattrs_len &&
		           !memcmp(b->xattrs, e.xattrs, e.xattrs_len)));
		invariant(b->target_len == e.target_len &&
		          (!e.target_len || !memcmp(b->target, e.target, e.target_len)));
	}
	fx_list_free(&back);
	sg_buf_free(&m);
	fx_entry_clear(&e);
	free(list);
	return 0;
}
