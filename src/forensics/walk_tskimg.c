/* walk_tskimg.c — the evidence as a libtsk image (see walk_tskimg.h). */
#include "forensics/walk_tskimg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Our image: TSK_IMG_INFO must come first (libtsk casts). */
typedef struct fx_img {
	TSK_IMG_INFO img;
	int fd;
	const uint8_t *mem;
	uint64_t size;
} fx_img;

static ssize_t img_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
	fx_img *fi = (fx_img *)img;
	if (off < 0 || (uint64_t)off >= fi->size)
		return -1;
	if (len > fi->size - (uint64_t)off)
		len = (size_t)(fi->size - (uint64_t)off);
	if (fi->mem) {
		memcpy(buf, fi->mem + off, len);
		return (ssize_t)len;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fi->fd, buf + done, len - done, (off_t)off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1; /* a vanished device: libtsk reports a read error */
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static void img_close(TSK_IMG_INFO *img)
{
	free(img);
}

static void img_stat(TSK_IMG_INFO *img, FILE *f)
{
	(void)img;
	(void)f;
}

sg_err walk_tsk_img(int dev_fd, const uint8_t *mem, uint64_t dev_size, TSK_IMG_INFO **out,
                    char *err, size_t errlen)
{
	fx_img *fi = calloc(1, sizeof *fi);
	if (!fi || dev_size == 0 || dev_size > INT64_MAX) {
		free(fi);
		snprintf(err, errlen, "%s", fi ? "empty device" : "out of memory");
		return fi ? SG_ERR_INVAL : SG_ERR_NOMEM;
	}
	fi->fd = dev_fd;
	fi->mem = mem;
	fi->size = dev_size;
	*out = tsk_img_open_external(fi, (TSK_OFF_T)dev_size, 512, img_read, img_close, img_stat);
	if (!*out) {
		free(fi);
		snprintf(err, errlen, "libtsk: cannot open the image: %s", tsk_error_get());
		tsk_error_reset();
		return SG_ERR_IO;
	}
	return SG_OK;
}
