/* profile.c — environment, small files and the shared config file (see
 * profile.h). */
#include "aws/profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aws/credentials.h"

#define SHARED_FILE_MAX (1u << 20)

const char *aws_env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

char *aws_file_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > SHARED_FILE_MAX) {
		fclose(f);
		errno = EFBIG;
		return NULL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	if (!buf)
		return NULL;
	buf[n] = '\0';
	*len = n;
	return buf;
}

void aws_file_free(char *buf, size_t len)
{
	if (buf) {
		memset(buf, 0, len);
		free(buf);
	}
}

int aws_shared_path(const char *var, const char *leaf, char *out, size_t outlen)
{
	const char *p = aws_env(var);
	if (p)
		return snprintf(out, outlen, "%s", p) < (int)outlen;
	const char *home = aws_env("HOME");
	if (!home)
		return 0;
	return snprintf(out, outlen, "%s/.aws/%s", home, leaf) < (int)outlen;
}

void aws_profile_section(const char *profile, char *out, size_t cap)
{
	if (!strcmp(profile, "default"))
		snprintf(out, cap, "default");
	else
		snprintf(out, cap, "profile %s", profile);
}

sg_err aws_config_get(const char *section, const char *key, char *out, size_t cap)
{
	char path[1024];
	if (!aws_shared_path("AWS_CONFIG_FILE", "config", path, sizeof path))
		return SG_ERR_NOTFOUND;
	size_t len = 0;
	char *buf = aws_file_read(path, &len);
	if (!buf)
		return SG_ERR_NOTFOUND;
	sg_err rc = aws_ini_get(buf, len, section, key, out, cap);
	aws_file_free(buf, len);
	return rc;
}

sg_err aws_profile_get(const char *profile, const char *key, char *out, size_t cap)
{
	char section[300];
	aws_profile_section(profile, section, sizeof section);
	return aws_config_get(section, key, out, cap);
}
