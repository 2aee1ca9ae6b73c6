/* cmdline.c — options from files and argv; help, man and completion texts. */
#include "opt/cmdline.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logging/logging.h"

/* The first row of cmd's table (included tables inline); then opt_iter_next. */
static const opt_def *first(const opt_command *cmd, opt_iter *it)
{
	opt_iter_init(it, cmd->opts);
	return opt_iter_next(it, NULL);
}

#define AT(f) .off = offsetof(cmdline_aws, f)
const opt_def cmdline_aws_opts[] = {
	{.type = OPT_STR, .name = "region", .arg = "REGION", AT(region), .flags = OPT_NONEMPTY,
	 .help = "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's, else the "
	         "instance's from its metadata)"},
	{.type = OPT_INCLUDE, .include = cmdline_aws_access_opts},
	{.type = OPT_END},
};

const opt_def cmdline_aws_access_opts[] = {
	{.type = OPT_STR, .name = "profile", .arg = "NAME", AT(profile), .flags = OPT_NONEMPTY,
	 .help = "profile of the shared config and credentials files (default: AWS_PROFILE, "
	         "else default)"},
	{.type = OPT_STR, .name = "endpoint-url", .arg = "URL", AT(endpoint_url),
	 .flags = OPT_NONEMPTY,
	 .help = "one endpoint for every AWS service (default: AWS_ENDPOINT_URL_<SERVICE>, "
	         "AWS_ENDPOINT_URL, else AWS's)"},
	{.type = OPT_STR, .name = "ca-bundle", .arg = "FILE", AT(ca_bundle), .flags = OPT_NONEMPTY,
	 .help = "trust these CAs for HTTPS (default: AWS_CA_BUNDLE, else the system's)"},
	{.type = OPT_END},
};
#undef AT

const opt_def cmdline_store_opts[] = {
	{.type = OPT_STR, .name = "state-table", .arg = "NAME", .flags = OPT_NONEMPTY,
	 .off = offsetof(cmdline_store, state_table),
	 .help = "shared state in this DynamoDB table instead of the SQLite store: incidents, "
	         "leases and the step journal of a fleet (docs/fleet.md); created on first use "
	         "if the role may dynamodb:CreateTable"},
	{.type = OPT_END},
};

const char *cmdline_default_store(void)
{
	const char *s = getenv("SSRFGUARD_STORE");
	return s && *s ? s : CMDLINE_STORE_PATH;
}

sg_err cmdline_load(const opt_command *cmd, void *dst, const char *path, char *err,
                    size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "--config %s: %s", path, strerror(errno));
		return SG_ERR_IO;
	}
	char *buf = malloc(CMDLINE_FILE_MAX + 1);
	sg_err e = SG_ERR_NOMEM;
	if (!buf) {
		snprintf(err, errlen, "--config %s: out of memory", path);
		goto out;
	}
	size_t n = fread(buf, 1, CMDLINE_FILE_MAX + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "--config %s: read error", path);
		e = SG_ERR_IO;
	} else if (n > CMDLINE_FILE_MAX) {
		snprintf(err, errlen, "--config %s: larger than %d bytes", path, CMDLINE_FILE_MAX);
		e = SG_ERR_RANGE;
	} else
		e = opt_parse_text(cmd, dst, buf, n, path, err, errlen);
out:
	free(buf);
	fclose(f);
	return e;
}

int cmdline_parse(const opt_command *cmd, void *dst, int argc, char **argv, const char **pos,
                  int *npos, char *err, size_t errlen)
{
	const char *path;
	int i = 0;
	bool help = false;
	while ((i = opt_next_config(argc, argv, i, &path)) > 0)
		if (cmdline_load(cmd, dst, path, err, errlen) != SG_OK)
			return CMDLINE_ERROR;
	if (i < 0) {
		snprintf(err, errlen, "--config needs a FILE");
		return CMDLINE_ERROR;
	}
	const char **p = pos;
	int n = 0;
	if (!p && !(p = calloc((size_t)argc + 1, sizeof *p))) {
		snprintf(err, errlen, "out of memory");
		return CMDLINE_ERROR;
	}
	sg_err e = opt_parse_argv(cmd, dst, argc, argv, p, &n, &help, err, errlen);
	if (e == SG_OK && !help && !pos && n > 0) {
		snprintf(err, errlen, "unexpected argument '%.64s'", p[0]);
		e = SG_ERR_PARSE;
	}
	if (!pos)
		free(p);
	if (npos)
		*npos = n;
	if (e != SG_OK)
		return CMDLINE_ERROR;
	return help ? CMDLINE_HELP : CMDLINE_OK;
}

/* cmdline_begin and cmdline_begin_logged: a usage error goes to usage. */
static bool begin(const opt_command *cmd, void *dst, int argc, char **argv, const char **pos,
                  int *npos, int *rc, int (*usage)(const opt_command *, const char *))
{
	char err[1024];
	int p = cmdline_parse(cmd, dst, argc, argv, pos, npos, err, sizeof err);
	if (p == CMDLINE_HELP) {
		cmdline_help(cmd, stdout);
		*rc = 0;
	} else if (p == CMDLINE_ERROR)
		*rc = usage(cmd, err);
	return p == CMDLINE_OK;
}

bool cmdline_begin_logged(const opt_command *cmd, void *dst, int argc, char **argv,
                          const char **pos, int *npos, int *rc)
{
	return begin(cmd, dst, argc, argv, pos, npos, rc, cmdline_usage_error_logged);
}

int cmdline_usage_error_logged(const opt_command *cmd, const char *err)
{
	if (isatty(STDERR_FILENO)) /* a person typed it: the people's shape */
		return cmdline_usage_error(cmd, err);
	logging_emitf("error", "config", "%s (ssrfguard %s --help lists the options)", err,
	              cmd->name);
	return 2;
}

bool cmdline_begin(const opt_command *cmd, void *dst, int argc, char **argv, const char **pos,
                   int *npos, int *rc)
{
	return begin(cmd, dst, argc, argv, pos, npos, rc, cmdline_usage_error);
}

int cmdline_usage_error(const opt_command *cmd, const char *err)
{
	fprintf(stderr, "ssrfguard %s: %s\nTry 'ssrfguard %s --help'.\n", cmd->name, err, cmd->name);
	return 2;
}

/* ---- --help ------------------------------------------------------------------ */

/* Print text wrapped at 79 columns, each line indented by indent spaces;
 * blank lines (paragraph breaks) are kept. */
static void wrap(FILE *to, const char *text, int indent)
{
	const int width = 79;
	int col = 0;
	for (const char *p = text; *p;) {
		if (*p == '\n') {
			fputc('\n', to);
			col = 0;
			p++;
			continue;
		}
		if (*p == ' ') {
			p++;
			continue;
		}
		size_t w = strcspn(p, " \n");
		if (col > indent && col + 1 + (int)w > width) {
			fputc('\n', to);
			col = 0;
		}
		if (col == 0)
			col = fprintf(to, "%*s", indent, "");
		else
			col += fprintf(to, " ");
		col += fprintf(to, "%.*s", (int)w, p);
		p += w;
	}
	if (col)
		fputc('\n', to);
}

/* "-q, --quiet [on|off]", "--listen ADDR:PORT" */
static void flag_text(const opt_def *d, char *out, size_t cap)
{
	int n = 0;
	if (d->short_name)
		n = snprintf(out, cap, "-%c, ", d->short_name);
	const char *arg = d->type == OPT_SWITCH ? "[on|off]" : d->arg ? d->arg : "VALUE";
	snprintf(out + n, cap - (size_t)n, "--%s %s", d->name, arg);
}

/* The help paragraph with the default appended. */
static void help_text(const opt_def *d, char *out, size_t cap)
{
	const char *h = d->help ? d->help : "";
	if (d->dflt && *d->dflt)
		snprintf(out, cap, "%s (default: %s)", h, d->dflt);
	else
		snprintf(out, cap, "%s", h);
}

void cmdline_help(const opt_command *cmd, FILE *to)
{
	opt_iter it;
	char flag[160], help[2048];
	const char *syn = cmd->synopsis ? cmd->synopsis : "[OPTIONS]";
	fprintf(to, "usage: ");
	for (const char *p = syn; *p;) {
		size_t n = strcspn(p, "\n");
		fprintf(to, "%sssrfguard %s %.*s\n", p == syn ? "" : "       ", cmd->name, (int)n, p);
		p += n + (p[n] == '\n');
	}
	fputc('\n', to);
	wrap(to, cmd->about, 0);
	fprintf(to, "\noptions:\n");
	for (const opt_def *d = first(cmd, &it); d; d = opt_iter_next(&it, NULL)) {
		if (d->flags & OPT_HIDDEN)
			continue;
		if (d->type == OPT_SECTION) {
			fprintf(to, "\n%s:\n", d->help);
			continue;
		}
		flag_text(d, flag, sizeof flag);
		help_text(d, help, sizeof help);
		fprintf(to, "  %s\n", flag);
		wrap(to, help, 6);
	}
	fprintf(to, "\n  --config FILE\n");
	wrap(to, "read settings from FILE first: `name = value` lines, shared names at the top"
	         " and this command's under its [section] (see ssrfguard(1), FILES); flags"
	         " override the file",
	     6);
	fprintf(to, "  -h, --help\n");
	if (cmd->epilog) {
		fputc('\n', to);
		wrap(to, cmd->epilog, 0);
	}
}

/* ---- man page ---------------------------------------------------------------- */

void cmdline_roff(const char *text, FILE *to)
{
	bool bol = true;
	for (const char *p = text; *p; p++) {
		if (bol && (*p == '.' || *p == '\''))
			fputs("\\&", to);
		bol = *p == '\n';
		if (*p == '\\')
			fputs("\\e", to);
		else if (*p == '-')
			fputs("\\-", to);
		else
			fputc(*p, to);
	}
}

/* Paragraphs: a blank line becomes .PP. */
static void roff_paragraphs(const char *text, FILE *to)
{
	for (const char *p = text; *p;) {
		const char *br = strstr(p, "\n\n");
		size_t n = br ? (size_t)(br - p) : strlen(p);
		char *para = malloc(n + 1);
		if (!para)
			return;
		memcpy(para, p, n);
		para[n] = '\0';
		for (char *c = para; *c; c++)
			if (*c == '\n')
				*c = ' ';
		fputs(".PP\n", to);
		cmdline_roff(para, to);
		fputc('\n', to);
		free(para);
		p += n;
		while (*p == '\n')
			p++;
	}
}

void cmdline_man(const opt_command *cmd, FILE *to)
{
	opt_iter it;
	char help[2048];
	fprintf(to, ".SS %s\n", cmd->name);
	const char *syn = cmd->synopsis ? cmd->synopsis : "[OPTIONS]";
	for (const char *p = syn; *p;) {
		size_t n = strcspn(p, "\n");
		char line[512];
		snprintf(line, sizeof line, "%.*s", (int)n, p);
		fprintf(to, ".br\n.B ssrfguard %s\n", cmd->name);
		cmdline_roff(line, to);
		fputc('\n', to);
		p += n + (p[n] == '\n');
	}
	roff_paragraphs(cmd->about, to);
	for (const opt_def *d = first(cmd, &it); d; d = opt_iter_next(&it, NULL)) {
		if (d->flags & OPT_HIDDEN)
			continue;
		if (d->type == OPT_SECTION) {
			fputs(".PP\n.I ", to);
			cmdline_roff(d->help, to);
			fputs(":\n", to);
			continue;
		}
		fputs(".TP\n", to);
		if (d->short_name)
			fprintf(to, "\\fB\\-%c\\fR, ", d->short_name);
		fputs("\\fB\\-\\-", to);
		cmdline_roff(d->name, to);
		fputs("\\fR ", to);
		if (d->type == OPT_SWITCH)
			fputs("[\\fBon\\fR|\\fBoff\\fR]\n", to);
		else {
			fputs("\\fI", to);
			cmdline_roff(d->arg ? d->arg : "VALUE", to);
			fputs("\\fR\n", to);
		}
		help_text(d, help, sizeof help);
		cmdline_roff(help, to);
		fputc('\n', to);
	}
	fputs(".TP\n\\fB\\-\\-config\\fR \\fIFILE\\fR\nread settings from FILE first (see "
	      "CONFIGURATION FILE).\n.TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nprint the options and "
	      "exit.\n",
	      to);
	if (cmd->epilog)
		roff_paragraphs(cmd->epilog, to);
}

/* ---- completion --------------------------------------------------------------- */

void cmdline_bash(const opt_command *cmd, FILE *to)
{
	opt_iter it;
	fprintf(to, "    %s)\n      opts=\"--help --config", cmd->name);
	for (const opt_def *d = first(cmd, &it); d; d = opt_iter_next(&it, NULL))
		if (d->type >= OPT_SWITCH && !(d->flags & OPT_HIDDEN))
			fprintf(to, " --%s", d->name);
	fprintf(to, "\"\n      words=\"%s\"\n", cmd->words ? cmd->words : "");
	fprintf(to, "      files=\"--config");
	for (const opt_def *d = first(cmd, &it); d; d = opt_iter_next(&it, NULL))
		if (d->arg && (strstr(d->arg, "FILE") || strstr(d->arg, "PATH") || strstr(d->arg, "DIR")))
			fprintf(to, " --%s", d->name);
	fprintf(to, "\" ;;\n");
}

static void zsh_quote(const char *s, FILE *to)
{
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", to);
		else if (*s == '[' || *s == ']' || *s == ':')
			fprintf(to, "\\%c", *s);
		else if (*s != '\n')
			fputc(*s, to);
	}
}

void cmdline_zsh(const opt_command *cmd, FILE *to)
{
	opt_iter it;
	fprintf(to, "    (%s)\n      _arguments -s \\\n", cmd->name);
	fputs("        '(-h --help)'{-h,--help}'[print the options]' \\\n"
	      "        '*--config=[read settings from FILE]:file:_files' \\\n",
	      to);
	for (const opt_def *d = first(cmd, &it); d; d = opt_iter_next(&it, NULL)) {
		if (d->type < OPT_SWITCH || (d->flags & OPT_HIDDEN))
			continue;
		char first[160];
		snprintf(first, sizeof first, "%.120s", d->help ? d->help : "");
		first[strcspn(first, ".;(")] = '\0';
		fprintf(to, "        '%s--%s%s[", d->type == OPT_LIST ? "*" : "", d->name,
		        d->type == OPT_SWITCH ? "" : "=");
		zsh_quote(first, to);
		fputs("]", to);
		if (d->type == OPT_SWITCH)
			fputs("' \\\n", to);
		else if (d->type == OPT_CHOICE) {
			fputs(":value:(", to);
			for (const char *c = d->arg; *c; c++)
				fputc(*c == '|' ? ' ' : *c, to);
			fputs(")' \\\n", to);
		} else {
			bool file = d->arg && (strstr(d->arg, "FILE") || strstr(d->arg, "PATH") ||
			                       strstr(d->arg, "DIR"));
			fprintf(to, ":%s:%s' \\\n", d->arg ? "value" : "value", file ? "_files" : " ");
		}
	}
	if (cmd->words)
		fprintf(to, "        '1:subcommand:(%s)' \\\n", cmd->words);
	fputs("        '*::argument:_default'\n      ;;\n", to);
}
