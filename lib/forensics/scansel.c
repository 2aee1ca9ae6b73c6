/* scansel.c — which files the YARA scan reads (see scansel.h). */
#include "forensics/scansel.h"

#include <string.h>

#include "forensics/persist.h"

const char *fx_scan_scope_name(fx_scan_scope s)
{
	return s == FX_SCAN_ALL ? "all" : s == FX_SCAN_CHANGED ? "changed" : "off";
}

int fx_scan_content(const fx_entry *e)
{
	return e && e->type == FX_T_FILE && (!e->deleted || e->data_kept);
}

int fx_scan_finding(const fx_finding *f)
{
	switch (f->cls) {
	case FX_C_ADDED:
	case FX_C_MODIFIED:
	case FX_C_TIMESTOMPED:
	case FX_C_TYPE_CHANGED:
	case FX_C_MOVED:
	case FX_C_UNVERIFIED:
	case FX_C_DELETED_IN_IMAGE:
		return fx_scan_content(f->cur);
	default:
		return 0;
	}
}

const char *fx_scan_orphan(const fx_entry *e)
{
	return e && e->orphan && e->type == FX_T_FILE ? "orphan inode" : NULL;
}

static const char *const writable[] = {
	"/var/www", "/srv", "/usr/share/nginx/html", "/opt", "/usr/local", "/tmp",
	"/var/tmp", "/dev/shm", "/root", "/home", "/var/spool",
};

static const char *const script_ext[] = {
	"php", "php3", "php4", "php5", "php7", "phtml", "phar", "jsp", "jspx", "asp", "aspx",
	"ashx", "asmx", "cfm", "cgi", "sh", "bash", "py", "pl", "rb", "js", "ps1", "vbs", "lua",
};

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int has_script_ext(const char *p, size_t n)
{
	const char *slash = memrchr(p, '/', n);
	const char *base = slash ? slash + 1 : p;
	const char *dot = memrchr(base, '.', (size_t)(p + n - base));
	if (!dot || dot == base)
		return 0;
	size_t el = (size_t)(p + n - dot - 1);
	for (size_t i = 0; i < sizeof script_ext / sizeof script_ext[0]; i++) {
		if (strlen(script_ext[i]) != el)
			continue;
		size_t k = 0;
		while (k < el && lower(dot[1 + k]) == script_ext[i][k])
			k++;
		if (k == el)
			return 1;
	}
	return 0;
}

const char *fx_scan_unbaselined(const fx_entry *e)
{
	if (!fx_scan_content(e))
		return NULL;
	const char *kind = fx_persistence_kind(e);
	if (kind)
		return kind;
	size_t skip = fx_part_prefix_len(e->path, e->path_len);
	const char *p = e->path + skip;
	size_t n = e->path_len - skip;
	for (size_t i = 0; i < sizeof writable / sizeof writable[0]; i++) {
		size_t wl = strlen(writable[i]);
		if (n > wl && !memcmp(p, writable[i], wl) && p[wl] == '/')
			return "writable place";
	}
	if (has_script_ext(p, n))
		return "script";
	if (e->mode & 0111)
		return "executable";
	return NULL;
}
