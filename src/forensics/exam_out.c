/* exam_out.c — an examination's output files (see exam_int.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forensics/exam_int.h"
#include "forensics/manifest.h"
#include "forensics/part.h"

#define FLUSH_AT (4u << 20)

sg_err exam_write_list(const char *dir, const char *name, const fx_list *l, int only_fs,
                       sg_buf *head, line_fn fn, const exam_marks *marks,
                       char hex[FX_SHA256_HEX], char *err, size_t errlen)
{
	outf f;
	sg_buf b = {0}, extra = {0};
	sg_err rc = outf_open(&f, dir, name, err, errlen);
	if (rc)
		return rc;
	if (head && head->len)
		rc = sg_buf_append(&b, head->p, head->len);
	for (size_t i = 0; i < l->n && !rc; i++) {
		if (only_fs >= 0 && l->v[i].fs != only_fs)
			continue;
		const exam_mark *m = marks ? exam_mark_find(marks, i) : NULL;
		if (m && m->yara) {
			sg_buf_reset(&extra);
			rc = sg_buf_printf(&extra, ",\"yara\":%s", m->yara);
			if (!rc)
				rc = fx_manifest_line_extra(&b, &l->v[i], extra.p);
		} else {
			rc = fn(&b, &l->v[i]);
		}
		if (!rc && b.len >= FLUSH_AT) {
			rc = outf_write(&f, b.p, b.len, err, errlen);
			sg_buf_reset(&b);
		}
	}
	if (!rc && b.len)
		rc = outf_write(&f, b.p, b.len, err, errlen);
	if (!rc)
		rc = outf_commit(&f, hex, err, errlen);
	if (rc) {
		if (!err[0])
			snprintf(err, errlen, "%s: %s", name, sg_strerror(rc));
		outf_abort(&f);
	}
	sg_buf_free(&b);
	sg_buf_free(&extra);
	return rc;
}

json_t *exam_out_json(const char *dir, const char *name, const char *hex)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	json_t *o = json_object();
	jset(o, "path", json_string(path));
	jset(o, "sha256", json_string(hex));
	return o;
}

/* On a device with several file systems holding files, one hashdeep list
 * per partition too (manifest-pN.hashdeep), to audit a mount of just that
 * partition with hashdeep -a -k. */
static sg_err write_partition_lists(const char *dir, const fx_list *l, sg_buf *head,
                                    json_t *outs, char *err, size_t errlen)
{
	int seen[FX_PART_MAX] = {0}, nfs = 0;
	unsigned part[FX_PART_MAX] = {0};
	for (size_t i = 0; i < l->n; i++) {
		const fx_entry *e = &l->v[i];
		size_t plen = fx_part_prefix_len(e->path, e->path_len);
		if (e->type != FX_T_FILE || !e->has_hash || !plen || e->fs < 0 || e->fs >= FX_PART_MAX ||
		    seen[e->fs])
			continue;
		seen[e->fs] = 1;
		part[e->fs] = (unsigned)strtoul(e->path + 1, NULL, 10);
		nfs++;
	}
	if (nfs < 2)
		return SG_OK;
	json_t *per = json_object();
	jset(outs, "hashdeep_per_partition", per);
	for (int fs = 0; fs < FX_PART_MAX; fs++) {
		if (!seen[fs])
			continue;
		char name[48], key[16], hex[FX_SHA256_HEX];
		snprintf(name, sizeof name, "manifest-p%u.hashdeep", part[fs]);
		snprintf(key, sizeof key, "p%u", part[fs]);
		sg_err rc = exam_write_list(dir, name, l, fs, head, fx_hashdeep_line, NULL, hex, err, errlen);
		if (rc)
			return rc;
		jset(per, key, exam_out_json(dir, name, hex));
	}
	return SG_OK;
}

sg_err exam_write_outputs(const char *dir, const char *label, const char *source,
                          const char *argv_text, const fx_list *l, const exam_marks *marks,
                          json_t *outs, char *err, size_t errlen)
{
	char hex[FX_SHA256_HEX];
	sg_buf head = {0};
	sg_err rc = fx_manifest_header(&head, label, source);
	if (!rc)
		rc = exam_write_list(dir, "manifest.jsonl", l, -1, &head, fx_manifest_line, marks, hex, err, errlen);
	if (!rc)
		jset(outs, "manifest", exam_out_json(dir, "manifest.jsonl", hex));
	sg_buf_reset(&head);
	if (!rc)
		rc = fx_hashdeep_header(&head, argv_text);
	if (!rc)
		rc = exam_write_list(dir, "manifest.hashdeep", l, -1, &head, fx_hashdeep_line, NULL, hex, err, errlen);
	if (!rc)
		jset(outs, "hashdeep", exam_out_json(dir, "manifest.hashdeep", hex));
	if (!rc)
		rc = write_partition_lists(dir, l, &head, outs, err, errlen);
	if (!rc)
		rc = exam_write_list(dir, "bodyfile", l, -1, NULL, fx_bodyfile_line, NULL, hex, err, errlen);
	if (!rc)
		jset(outs, "bodyfile", exam_out_json(dir, "bodyfile", hex));
	sg_buf_free(&head);
	return rc;
}

sg_err exam_write_text(const char *dir, const char *name, const char *p, size_t len,
                         char hex[FX_SHA256_HEX], char *err, size_t errlen)
{
	outf f;
	sg_err rc = outf_open(&f, dir, name, err, errlen);
	if (!rc)
		rc = outf_write(&f, p, len, err, errlen);
	if (!rc)
		rc = outf_commit(&f, hex, err, errlen);
	if (rc)
		outf_abort(&f);
	return rc;
}

void exam_make_label(const exam_source *s, char *buf, size_t len, json_t *used)
{
	const char *base = s->volume_id;
	if (!base) {
		base = strrchr(s->device, '/');
		base = base ? base + 1 : s->device;
	}
	size_t o = 0;
	for (const char *p = base; *p && o + 1 < len && o < 64; p++)
		buf[o++] = ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		            (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_')
		               ? *p : '_';
	buf[o] = 0;
	if (!o || buf[0] == '.')
		snprintf(buf, len, "evidence");
	char try[80]; /* the base is at most 64 bytes */
	snprintf(try, sizeof try, "%.64s", buf);
	for (int k = 2; json_object_get(used, try) && k < 1000; k++)
		snprintf(try, sizeof try, "%.64s-%d", buf, k);
	snprintf(buf, len, "%s", try);
	json_object_set_new(used, buf, json_true());
}

int exam_dir_ready(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	struct stat st;
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a directory", dir);
		return -1;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int n = 0;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "custody.log"))
			n++;
	if (d)
		closedir(d);
	if (n) {
		snprintf(err, errlen, "%s is not empty: refusing to mix outputs of two examinations",
		         dir);
		return -1;
	}
	return 0;
}

