/* walk_tskdata.c — file content through libtsk or as byte runs for the pool (see walk_tsk_int.h). */
#include "forensics/walk_tsk_int.h"

#include <stdlib.h>

#include <openssl/evp.h>

/* Hash through libtsk in this thread (resident data, compressed, memory
 * images): the file's default data, or attr (an NTFS named stream). */
void wt_hash_via_tsk(walker *w, TSK_FS_FILE *f, const TSK_FS_ATTR *attr, fx_entry *e)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint64_t off = 0;
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		e->note = "unreadable";
		goto out;
	}
	while (off < e->size) {
		size_t want = e->size - off < TSK_READ_CHUNK ? (size_t)(e->size - off) : TSK_READ_CHUNK;
		ssize_t n = attr ? tsk_fs_attr_read(attr, (TSK_OFF_T)off, (char *)w->buf, want,
		                                    TSK_FS_FILE_READ_FLAG_NONE)
		                 : tsk_fs_file_read(f, (TSK_OFF_T)off, (char *)w->buf, want,
		                                    TSK_FS_FILE_READ_FLAG_NONE);
		if (n <= 0) {
			e->note = "read error";
			tsk_error_reset();
			goto out;
		}
		EVP_DigestUpdate(md, w->buf, (size_t)n);
		off += (uint64_t)n;
	}
	unsigned l = 0;
	EVP_DigestFinal_ex(md, e->sha256, &l);
	e->has_hash = 1;
	w->st->hashed++;
	w->st->bytes_hashed += off;
	PROGRESS_ADD(w->o->progress, files_hashed, 1);
	PROGRESS_ADD(w->o->progress, bytes_hashed, off);
out:
	if (!e->has_hash)
		w->st->hash_errors++;
	EVP_MD_CTX_free(md);
}

/* The file's data runs in bytes, or NULL when libtsk must read it itself. */
hp_run *wt_runs_of(walker *w, TSK_FS_FILE *f, uint64_t size, size_t *nruns)
{
	const TSK_FS_ATTR *a = tsk_fs_file_attr_get(f);
	*nruns = 0;
	if (!a) {
		tsk_error_reset();
		return NULL;
	}
	if (!(a->flags & TSK_FS_ATTR_NONRES) || (a->flags & (TSK_FS_ATTR_COMP | TSK_FS_ATTR_ENC)) ||
	    a->nrd.initsize != a->size || (uint64_t)a->size != size)
		return NULL;
	uint64_t bs = w->fs->block_size;
	size_t n = 0;
	for (const TSK_FS_ATTR_RUN *r = a->nrd.run; r; r = r->next) {
		if (r->flags & (TSK_FS_ATTR_RUN_FLAG_FILLER | TSK_FS_ATTR_RUN_FLAG_ENCRYPTED))
			return NULL;
		if (++n > 1000000)
			return NULL;
	}
	hp_run *v = malloc((n ? n : 1) * sizeof *v);
	if (!v)
		return NULL;
	size_t k = 0;
	uint64_t devmax = (uint64_t)w->fs->img_info->size;
	for (const TSK_FS_ATTR_RUN *r = a->nrd.run; r; r = r->next) {
		if (r->offset > UINT64_MAX / bs || r->len > UINT64_MAX / bs ||
		    r->addr > (UINT64_MAX - (uint64_t)w->fs->offset) / bs) {
			free(v);
			return NULL;
		}
		hp_run *h = &v[k++];
		h->file_off = r->offset * bs;
		h->len = r->len * bs;
		h->dev_off = (uint64_t)w->fs->offset + r->addr * bs;
		h->sparse = (r->flags & TSK_FS_ATTR_RUN_FLAG_SPARSE) != 0;
		if (k > 1 && h->file_off < v[k - 2].file_off + v[k - 2].len) {
			free(v);
			return NULL; /* unsorted or overlapping: let libtsk decide */
		}
		if (!h->sparse && (h->dev_off > devmax || h->len > devmax - h->dev_off)) {
			uint64_t need = h->file_off < size ? size - h->file_off : 0;
			if (need > h->len)
				need = h->len;
			if (h->dev_off > devmax || need > devmax - h->dev_off) {
				free(v);
				return NULL; /* points outside the device: corrupt */
			}
		}
	}
	*nruns = k;
	return v;
}

/* Hash entry index of out from its data runs on the pool (takes runs). */
sg_err wt_submit_runs(walker *w, size_t index, hp_run *runs, size_t nruns)
{
	hp_job *j = calloc(1, sizeof *j);
	if (!j) {
		free(runs);
		return SG_ERR_NOMEM;
	}
	j->entry = index;
	j->fd = -1;
	j->dev_fd = w->dev_fd;
	j->size = w->out->v[index].size;
	j->runs = runs;
	j->nruns = nruns;
	return hpool_submit(w->pool, j);
}

/* What the file system can hold: its blocks, but no more than the device
 * has after its start (a corrupt superblock claims 10^19 blocks). */
uint64_t wt_fs_bytes(const walker *w)
{
	uint64_t bs = w->fs->block_size;
	uint64_t fs = bs && (uint64_t)w->fs->block_count <= UINT64_MAX / bs
	              ? (uint64_t)w->fs->block_count * bs : UINT64_MAX;
	uint64_t dev = w->fs->img_info->size > 0 ? (uint64_t)w->fs->img_info->size : 0;
	uint64_t off = w->fs->offset > 0 ? (uint64_t)w->fs->offset : 0;
	dev = dev > off ? dev - off : 0;
	return fs < dev ? fs : dev;
}

/* An ext2/3-style file (block pointers, not extents) larger than the whole
 * file system: libtsk lists it block by block, quadratic in its runs — a
 * fuzzed 38 KB ext2 image with a file claiming 1.4 GB took 12 s.  Such a
 * file is reported unhashed instead.  Extent files are cheap to list and
 * are hashed whatever their size (a sparse lastlog is legitimate). */
int wt_blockmap_absurd(const walker *w, const TSK_FS_FILE *f, uint64_t size)
{
	return TSK_FS_TYPE_ISEXT(w->fs->ftype) && f->meta &&
	       f->meta->content_type == TSK_FS_META_CONTENT_TYPE_DEFAULT && size > wt_fs_bytes(w);
}

/* Hash the regular file out->v[index] (see walk_tsk_int.h): its extents
 * as the kernel reads them, else libtsk's runs on the pool, else libtsk
 * in this thread. */
sg_err wt_hash_entry(walker *w, TSK_FS_FILE *f, size_t index, int raw)
{
	fx_entry *ep = &w->out->v[index];
	if (f && wt_blockmap_absurd(w, f, ep->size)) {
		ep->note = "not hashed: its block map claims more bytes than the whole file system "
		           "(corrupt, or sparse beyond reason)";
		w->st->hash_errors++;
		return SG_OK;
	}
	size_t nruns = 0;
	hp_run *runs = NULL;
	int corrupt = 0;
	if (w->dev_fd >= 0 && ep->size && raw)
		runs = wt_ext_runs(w, ep->size, &nruns, &corrupt);
	if (w->dev_fd >= 0 && ep->size && !runs && !corrupt && f)
		runs = wt_runs_of(w, f, ep->size, &nruns);
	if (corrupt) {
		/* libtsk fails on it too, and leaks doing so */
		ep->note = "not hashed: its extent tree is corrupt";
		w->st->hash_errors++;
	} else if (runs) {
		return wt_submit_runs(w, index, runs, nruns);
	} else if (f) {
		wt_hash_via_tsk(w, f, NULL, ep);
	} else {
		ep->note = "not hashed: libtsk cannot open its inode";
		w->st->hash_errors++;
	}
	return SG_OK;
}
