/* test_diff_custody.c — diff classes, interest, custody chain, partition tables. */
#include <stdlib.h>

#include "test.h"
#include "forensics/custody.h"
#include "forensics/diff.h"
#include "forensics/fx.h"
#include "forensics/part.h"

static void add(fx_list *l, const char *path, fx_type t, int hash, uint32_t mode, int64_t mtime,
                uint64_t inode, const char *target, int deleted)
{
	fx_entry e;
	memset(&e, 0, sizeof e);
	e.path = fx_memdup(path, strlen(path));
	e.path_len = strlen(path);
	e.type = t;
	e.mode = mode;
	e.inode = inode;
	e.has_meta = 1;
	e.deleted = (uint8_t)deleted;
	e.mtime = (fx_time){mtime, 0, 1};
	if (hash) {
		memset(e.sha256, hash, FX_SHA256_LEN);
		e.has_hash = 1;
	}
	if (target) {
		e.target = fx_memdup(target, strlen(target));
		e.target_len = strlen(target);
	}
	fx_list_push(l, &e);
	fx_entry_clear(&e);
}

/* The finding about path, or NULL. */
static const fx_finding *finding_of(const fx_diff *d, const char *path)
{
	for (size_t i = 0; i < d->n; i++) {
		const fx_entry *e = d->v[i].cur ? d->v[i].cur : d->v[i].base;
		if (!strcmp(e->path, path))
			return &d->v[i];
	}
	return NULL;
}

static const char *class_of(const fx_diff *d, const char *path)
{
	const fx_finding *f = finding_of(d, path);
	return f ? fx_class_name(f->cls) : "none";
}

TEST(diff_classes)
{
	fx_list b, c;
	fx_list_init(&b, 0);
	fx_list_init(&c, 0);
	add(&b, "/same", FX_T_FILE, 1, 0644, 10, 1, NULL, 0);
	add(&c, "/same", FX_T_FILE, 1, 0644, 10, 1, NULL, 0);
	add(&b, "/mod", FX_T_FILE, 2, 0755, 10, 2, NULL, 0);
	add(&c, "/mod", FX_T_FILE, 3, 0755, 20, 2, NULL, 0);
	add(&b, "/stomp", FX_T_FILE, 4, 0600, 10, 3, NULL, 0);
	add(&c, "/stomp", FX_T_FILE, 5, 0600, 10, 3, NULL, 0);
	add(&b, "/gone", FX_T_FILE, 6, 0644, 10, 4, NULL, 0);
	add(&c, "/gone", FX_T_FILE, 0, 0644, 10, 4, NULL, 1);   /* its deleted name */
	add(&b, "/old", FX_T_FILE, 7, 0644, 10, 5, NULL, 0);
	add(&c, "/new", FX_T_FILE, 7, 0644, 10, 5, NULL, 0);
	add(&c, "/var/www/html/shell.php", FX_T_FILE, 8, 0644, 30, 6, NULL, 0);
	add(&b, "/chmod", FX_T_FILE, 9, 0755, 10, 7, NULL, 0);
	add(&c, "/chmod", FX_T_FILE, 9, 04755, 10, 7, NULL, 0);
	add(&b, "/touched", FX_T_FILE, 10, 0644, 10, 8, NULL, 0);
	add(&c, "/touched", FX_T_FILE, 10, 0644, 99, 8, NULL, 0);
	add(&b, "/swap", FX_T_FILE, 11, 0644, 10, 9, NULL, 0);
	add(&c, "/swap", FX_T_LINK, 0, 0777, 10, 9, "/tmp/x", 0);
	add(&b, "/lnk", FX_T_LINK, 0, 0777, 10, 10, "a", 0);
	add(&c, "/lnk", FX_T_LINK, 0, 0777, 10, 10, "b", 0);
	add(&b, "/dir", FX_T_DIR, 0, 0755, 10, 11, NULL, 0);
	add(&c, "/dir", FX_T_DIR, 0, 0755, 50, 11, NULL, 0);    /* dir mtime: ignored */
	add(&c, "/tmp/dropper", FX_T_FILE, 0, 0755, 10, 12, NULL, 1);
	add(&b, "/old-deleted", FX_T_FILE, 0, 0644, 10, 13, NULL, 1);
	add(&c, "/old-deleted", FX_T_FILE, 0, 0644, 10, 13, NULL, 1); /* already in baseline */
	/* NTFS's own files change content under an unchanged mtime: not diffed */
	add(&b, "/$MFT", FX_T_FILE, 14, 0555, 10, 0, NULL, 0);
	b.v[b.n - 1].fs_meta = 1;
	add(&c, "/$MFT", FX_T_FILE, 15, 0555, 10, 0, NULL, 0);
	c.v[c.n - 1].fs_meta = 1;
	add(&c, "/$Extend/$UsnJrnl", FX_T_FILE, 16, 0555, 10, 27, NULL, 0);
	c.v[c.n - 1].fs_meta = 1;
	/* ...but the same name as an ordinary file (ext4, or not a system
	   record) is compared as any other */
	add(&b, "/$Bitmap", FX_T_FILE, 17, 0644, 10, 40, NULL, 0);
	add(&c, "/$Bitmap", FX_T_FILE, 18, 0644, 10, 40, NULL, 0);
	fx_diff d;
	CHECK_INT(fx_diff_run(&b, &c, 0, &d), SG_OK);
	CHECK_STR(class_of(&d, "/same"), "none");
	CHECK_STR(class_of(&d, "/mod"), "modified");
	CHECK_STR(class_of(&d, "/stomp"), "timestomped");
	CHECK_STR(class_of(&d, "/gone"), "removed");
	CHECK_STR(class_of(&d, "/new"), "moved");
	for (size_t i = 0; i < d.n; i++)
		if (d.v[i].cls == FX_C_MOVED)
			CHECK_STR(d.v[i].base->path, "/old");
	CHECK_STR(class_of(&d, "/var/www/html/shell.php"), "added");
	CHECK_STR(class_of(&d, "/chmod"), "metadata");
	CHECK_STR(class_of(&d, "/touched"), "metadata");
	CHECK_STR(class_of(&d, "/swap"), "type_changed");
	CHECK_STR(class_of(&d, "/lnk"), "modified");
	CHECK_STR(class_of(&d, "/dir"), "none");
	CHECK_STR(class_of(&d, "/tmp/dropper"), "deleted_in_image");
	CHECK_STR(class_of(&d, "/old-deleted"), "none");
	CHECK_STR(class_of(&d, "/$MFT"), "none");
	CHECK_STR(class_of(&d, "/$Extend/$UsnJrnl"), "none");
	CHECK_STR(class_of(&d, "/$Bitmap"), "timestomped");
	CHECK_INT(d.n, 11);
	/* special interest first: web root, setuid, temp */
	CHECK(d.n > 2 && d.v[0].interest && d.v[1].interest && d.v[2].interest);
	CHECK(d.n && d.v[d.n - 1].interest == NULL);
	for (size_t i = 0; i < d.n; i++)
		if (d.v[i].cls == FX_C_REMOVED)
			CHECK(d.v[i].trace && d.v[i].trace->deleted);
	fx_diff_free(&d);
	/* content only (hashdeep baseline): no metadata findings */
	CHECK_INT(fx_diff_run(&b, &c, 1, &d), SG_OK);
	CHECK_STR(class_of(&d, "/chmod"), "none");
	CHECK_STR(class_of(&d, "/stomp"), "modified");
	fx_diff_free(&d);
	fx_list_free(&b);
	fx_list_free(&c);
}

static void set_xattrs(fx_list *l, const char *x)
{
	fx_entry *e = &l->v[l->n - 1];
	e->xattrs = fx_memdup(x, strlen(x));
	e->xattrs_len = strlen(x);
}

static const char *detail_of(const fx_diff *d, const char *path)
{
	const fx_finding *f = finding_of(d, path);
	return f ? f->detail : "";
}

TEST(diff_unverified_xattrs_views)
{
	fx_list b, c;
	fx_list_init(&b, 0);
	fx_list_init(&c, 0);
	/* the baseline hashed it; the image's copy could not be hashed */
	add(&b, "/var/log/app.log", FX_T_FILE, 1, 0644, 10, 1, NULL, 0);
	add(&c, "/var/log/app.log", FX_T_FILE, 0, 0644, 20, 1, NULL, 0);
	c.v[c.n - 1].note = "read error";
	/* attributes: one added (with '=' in its name), one removed, one changed */
	add(&b, "/usr/bin/tool", FX_T_FILE, 2, 0755, 10, 2, NULL, 0);
	set_xattrs(&b, "user.a=b=01|user.gone=02|user.same=03|user.x=04");
	add(&c, "/usr/bin/tool", FX_T_FILE, 2, 0755, 10, 2, NULL, 0);
	set_xattrs(&c, "security.capability=0100000280|user.a=b=01|user.same=03|user.x=05");
	/* no attributes read on one side: not compared */
	add(&b, "/etc/x", FX_T_FILE, 3, 0644, 10, 3, NULL, 0);
	set_xattrs(&b, "user.q=01");
	add(&c, "/etc/x", FX_T_FILE, 3, 0644, 10, 3, NULL, 0);
	fx_diff d;
	CHECK_INT(fx_diff_run(&b, &c, 0, &d), SG_OK);
	CHECK_STR(class_of(&d, "/var/log/app.log"), "unverified");
	CHECK(strstr(detail_of(&d, "/var/log/app.log"), "read error") != NULL);
	CHECK_STR(class_of(&d, "/usr/bin/tool"), "metadata");
	CHECK_STR(detail_of(&d, "/usr/bin/tool"), "xattrs +security.capability, ~user.x, -user.gone");
	for (size_t i = 0; i < d.n; i++)
		if (!strcmp(d.v[i].cur->path, "/usr/bin/tool"))
			CHECK(d.v[i].interest != NULL); /* capabilities: of special interest */
	CHECK_STR(class_of(&d, "/etc/x"), "none");
	fx_diff_free(&d);
	/* a hashdeep baseline (content only) too */
	CHECK_INT(fx_diff_run(&b, &c, 1, &d), SG_OK);
	CHECK_STR(class_of(&d, "/var/log/app.log"), "unverified");
	fx_diff_free(&d);
	/* a tree's baseline against a partitioned disk: the best partition */
	fx_list p;
	fx_list_init(&p, 0);
	add(&p, "p1:/EFI/boot", FX_T_FILE, 9, 0644, 10, 9, NULL, 0);
	add(&p, "p2:/etc/x", FX_T_FILE, 3, 0644, 10, 3, NULL, 0);
	add(&p, "p2:/usr/bin/tool", FX_T_FILE, 2, 0755, 10, 2, NULL, 0);
	p.v[0].fs = 0;
	p.v[1].fs = p.v[2].fs = 1;
	fx_list view;
	int fs = -1;
	size_t matched = 0;
	CHECK_INT(fx_diff_view_best_fs(&b, &p, &view, &fs, &matched), SG_OK);
	CHECK_INT(fs, 1);
	CHECK_INT(matched, 2);
	CHECK_INT(view.n, 2);
	if (view.n == 2)
		CHECK(view.v[0].path_len == 6 && !memcmp(view.v[0].path, "/etc/x", 6));
	free(view.v);
	/* nothing to do when the image is not partitioned */
	CHECK_INT(fx_diff_view_best_fs(&b, &c, &view, &fs, &matched), SG_OK);
	CHECK_INT(view.n, 0);
	fx_list_free(&p);
	fx_list_free(&b);
	fx_list_free(&c);
}

TEST(interest)
{
	CHECK_STR(fx_interest("/var/www/html/x.php", 19, 0644, FX_T_FILE), "web root");
	CHECK_STR(fx_interest("p1:/etc/cron.d/job", 18, 0644, FX_T_FILE), "cron");
	CHECK_STR(fx_interest("/root/.ssh/authorized_keys", 26, 0600, FX_T_FILE),
	          "ssh authorized_keys");
	CHECK_STR(fx_interest("/usr/bin/x", 10, 04755, FX_T_FILE), "setuid/setgid");
	CHECK(fx_interest("/var/wwwx", 9, 0644, FX_T_FILE) == NULL);
	CHECK(fx_interest("/home/u/x", 9, 0755, FX_T_FILE) == NULL);
	CHECK_STR(fx_interest("/usr/bin/x", 10, 0755, FX_T_FILE), "system binaries");
	CHECK_STR(fx_interest("/etc/resolv.conf", 16, 0644, FX_T_LINK), "name resolution");
}

TEST(custody_chain)
{
	sg_buf log = {0};
	fx_custody_state st;
	uint8_t head[FX_SHA256_LEN];
	CHECK_INT(fx_custody_verify("", 0, &st), SG_OK);
	CHECK_INT(st.entries, 0);
	fx_custody_hash h[2] = {{"a", "00"}, {"b", "11"}};
	for (int i = 0; i < 3; i++) {
		CHECK_INT(fx_custody_verify(log.p ? log.p : "", log.len, &st), SG_OK);
		CHECK_INT(fx_custody_entry(&log, &st, "2026-01-01T00:00:00Z", "me", "act", "subj", h, 2,
		                           head), SG_OK);
	}
	CHECK_INT(fx_custody_verify(log.p, log.len, &st), SG_OK);
	CHECK_INT(st.entries, 3);
	CHECK(!memcmp(st.head, head, FX_SHA256_LEN));
	/* flip every byte of the middle line in turn: each flip is caught */
	const char *l2 = strchr(log.p, '\n') + 1;
	const char *l3 = strchr(l2, '\n') + 1;
	int caught = 0, tried = 0;
	for (const char *p = l2; p < l3 - 1; p++) {
		char *copy = fx_memdup(log.p, log.len);
		copy[p - log.p] ^= 1;
		tried++;
		if (fx_custody_verify(copy, log.len, &st) != SG_OK)
			caught++;
		free(copy);
	}
	CHECK_INT(caught, tried);
	/* torn last line */
	CHECK(fx_custody_verify(log.p, log.len - 1, &st) == SG_ERR_CORRUPT);
	CHECK_INT(st.bad_line, 3);
	sg_buf_free(&log);
}

/* ---- partition tables through a memory reader ---- */

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static void make_gpt(uint8_t *d, size_t n)
{
	memset(d, 0, n);
	uint8_t *e = d + 446;
	e[4] = 0xee;
	put32(e + 8, 1);
	put32(e + 12, (uint32_t)(n / 512 - 1));
	d[510] = 0x55;
	d[511] = 0xaa;
	uint8_t *ents = d + 1024;
	/* Linux filesystem 0FC63DAF-8483-4772-8E79-3D69D8477DE4 */
	static const uint8_t linux_fs[16] = {0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47,
	                                     0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4};
	memcpy(ents, linux_fs, 16);
	ents[16] = 1;
	put64(ents + 32, 2048);
	put64(ents + 40, 4095);
	ents[56] = 'r';
	ents[58] = 'o';
	ents[60] = 'o';
	ents[62] = 't';
	uint8_t *h = d + 512;
	memcpy(h, "EFI PART", 8);
	put32(h + 8, 0x10000);
	put32(h + 12, 92);
	put64(h + 24, 1);
	put64(h + 72, 2);
	put32(h + 80, 128);
	put32(h + 84, 128);
	put32(h + 88, fx_crc32(ents, 128 * 128));
	put32(h + 16, fx_crc32(h, 92));
}

TEST(partitions)
{
	size_t n = 4 << 20;
	uint8_t *d = calloc(1, n);
	fx_mem m = {d, n};
	fx_part_table *t = calloc(1, sizeof *t);
	/* nothing */
	CHECK_INT(fx_part_read(fx_mem_read, &m, n, t), SG_OK);
	CHECK_INT(t->scheme, FX_PT_NONE);
	/* GPT */
	make_gpt(d, n);
	CHECK_INT(fx_part_read(fx_mem_read, &m, n, t), SG_OK);
	CHECK_INT(t->scheme, FX_PT_GPT);
	CHECK_INT(t->n, 1);
	CHECK_INT(t->v[0].start, 2048 * 512);
	CHECK_INT(t->v[0].length, 2048 * 512);
	CHECK_STR(t->v[0].type, "0FC63DAF-8483-4772-8E79-3D69D8477DE4");
	CHECK_STR(t->v[0].name, "root");
	CHECK_STR(t->v[0].type_name, "Linux filesystem");
	/* corrupt the entry array: CRC mismatch, no backup -> corrupt */
	d[1024 + 40] ^= 1;
	CHECK_INT(fx_part_read(fx_mem_read, &m, n, t), SG_ERR_CORRUPT);
	CHECK(t->warn[0] != 0);
	/* MBR with a primary and an extended partition holding one logical */
	memset(d, 0, n);
	uint8_t *e = d + 446;
	e[4] = 0x83;
	put32(e + 8, 2048);
	put32(e + 12, 2048);
	e += 16;
	e[4] = 0x05;
	put32(e + 8, 4096);
	put32(e + 12, 4096);
	d[510] = 0x55;
	d[511] = 0xaa;
	uint8_t *ebr = d + 4096 * 512;
	ebr[446 + 4] = 0x83;
	put32(ebr + 446 + 8, 63);
	put32(ebr + 446 + 12, 1000);
	ebr[462 + 4] = 0x05;
	put32(ebr + 462 + 8, 0); /* no next: 0 means end */
	ebr[510] = 0x55;
	ebr[511] = 0xaa;
	CHECK_INT(fx_part_read(fx_mem_read, &m, n, t), SG_OK);
	CHECK_INT(t->scheme, FX_PT_MBR);
	CHECK_INT(t->n, 2);
	CHECK_INT(t->v[1].num, 5);
	CHECK_INT(t->v[1].start, (4096 + 63) * 512);
	/* an EBR chain that loops back on itself stops */
	put32(ebr + 462 + 8, 0);
	ebr[462 + 4] = 0x05;
	put32(ebr + 462 + 8, 1);
	uint8_t *ebr2 = d + 4097 * 512;
	memcpy(ebr2, ebr, 512);
	put32(ebr2 + 462 + 8, 0); /* points back to the first EBR */
	ebr2[462 + 4] = 0x05;
	put32(ebr2 + 462 + 8, 0);
	CHECK_INT(fx_part_read(fx_mem_read, &m, n, t), SG_OK);
	CHECK(t->n <= 4);
	/* a FAT boot sector is not a partition table */
	memset(d, 0, 512);
	d[0] = 0xeb;
	memcpy(d + 446, "This is not a bootable disk", 27);
	d[510] = 0x55;
	d[511] = 0xaa;
	CHECK_INT(fx_part_read(fx_mem_read, &m, n, t), SG_OK);
	CHECK_INT(t->scheme, FX_PT_NONE);
	free(t);
	free(d);
}

TEST(crc32)
{
	CHECK_INT(fx_crc32("123456789", 9), 0xcbf43926u);
}

TEST_MAIN(diff_classes, diff_unverified_xattrs_views, interest, custody_chain, partitions, crc32)
