/* cmd_dashboard.c — `ssrfguard dashboard`: the operators' read-only
 * incidents page over the store (src/dashboard/dashboard.h).  Its stderr
 * is its JSON log from the first line: start-up errors are log lines. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "dashboard/dashboard.h"
#include "logging/logging.h"
#include "opt/cmdline.h"
#include "respond/respond.h"

typedef struct dashboard_opts {
	char *listen, *store, *token_file;
	char *tls_cert, *tls_key, *client_ca, *client_crl;
	bool allow_release;
	cmdline_store where;
	cmdline_aws aws;
} dashboard_opts;

#define AT(f) .off = offsetof(dashboard_opts, f)
static const opt_def dashboard_opts_table[] = {
	{.type = OPT_STR, .name = "listen", .arg = "ADDR:PORT", .dflt = "127.0.0.1:8081",
	 AT(listen), .flags = OPT_NONEMPTY,
	 .help = "address to serve the page on (port 0: any free port, logged)"},
	{.type = OPT_STR, .name = "store", .arg = "PATH", AT(store), .flags = OPT_NONEMPTY,
	 .help = "incident store, opened read-only (a release opens it to write) (default: "
	         "$SSRFGUARD_STORE, else " CMDLINE_STORE_PATH ")"},
	{.type = OPT_INCLUDE, .include = cmdline_store_opts, AT(where)},
	{.type = OPT_STR, .name = "token-file", .arg = "FILE", AT(token_file),
	 .flags = OPT_NONEMPTY,
	 .help = "file holding the access token (16 to 256 printable bytes, one line; not "
	         "readable by group or others); required unless --client-ca"},
	{.type = OPT_STR, .name = "tls-cert", .arg = "FILE", AT(tls_cert), .flags = OPT_NONEMPTY,
	 .help = "serve HTTPS with this certificate chain (PEM); with --tls-key"},
	{.type = OPT_STR, .name = "tls-key", .arg = "FILE", AT(tls_key), .flags = OPT_NONEMPTY,
	 .help = "the private key of --tls-cert (PEM)"},
	{.type = OPT_STR, .name = "client-ca", .arg = "FILE", AT(client_ca), .flags = OPT_NONEMPTY,
	 .help = "require a client certificate issued by this CA (PEM); its subject names the "
	         "operator; with --token-file both are required"},
	{.type = OPT_STR, .name = "client-crl", .arg = "FILE", AT(client_crl), .flags = OPT_NONEMPTY,
	 .help = "refuse client certificates this CRL (PEM) revokes; it must cover every CA of "
	         "the chain (the TLS files are read again on SIGHUP and when they change)"},
	{.type = OPT_SWITCH, .name = "allow-release", .dflt = "off", AT(allow_release),
	 .help = "let the page release or close an incident (a CSRF token and a typed "
	         "confirmation guard each); off: read-only"},
	{.type = OPT_SECTION, .help = "AWS (release, and the DynamoDB table of --state-table)"},
	CMDLINE_AWS_ROWS(dashboard_opts, aws),
	{.type = OPT_END},
};
#undef AT

const opt_command dashboard_command = {
	.name = "dashboard",
	.synopsis = "--token-file FILE | --client-ca FILE --tls-cert FILE --tls-key FILE "
	            "[--listen ADDR:PORT] [--store PATH | --state-table NAME] [--allow-release]",
	.summary = "serve the incidents web page (read-only unless --allow-release)",
	.about = "Serve a web page listing the incidents of the store (state, instance, source, "
	         "attempts) and, for one incident, its attempts, step timeline and report.  The "
	         "page, its script and style are in the binary; nothing is fetched elsewhere.  "
	         "It shows 500 incidents at a time, the newest first, says which of how many "
	         "(\"showing the newest 500 of 5002 incidents\") and links the older pages "
	         "(/?before=ID); each page updates live.  GET /api/incidents is every incident "
	         "as JSON, GET /api/page?before=ID&limit=N one page.\n\n"
	         "Every request needs the token: \"Authorization: Bearer TOKEN\", or the cookie "
	         "the page's sign-in form sets.  With --tls-cert and --tls-key the page is served "
	         "over HTTPS; with --client-ca the TLS handshake also requires a client "
	         "certificate issued by that CA and not revoked by --client-crl, and the "
	         "certificate's subject is the operator named in the log and in the incident's "
	         "timeline of a release.  A client certificate replaces the token, or adds to it "
	         "when both are given.  Every URL, header and address shown came from an "
	         "attacker and is shown as text, never as markup.\n\n"
	         "With --allow-release the page offers to release a contained, failed or "
	         "containing incident (as `ssrfguard incidents release`), after the operator "
	         "types its name; the request carries a per-process CSRF token.\n\n"
	         "GET /healthz answers without the token (200 ok or degraded when a TLS reload "
	         "failed, 503 when the store cannot be read); stderr is the JSON log, libevent's "
	         "own messages included.  See docs/dashboard.md.",
	.opts = dashboard_opts_table,
	.epilog = "Exit status: 0 stopped by SIGINT or SIGTERM, 2 usage, configuration or start-up "
	          "error (the token, a TLS file, the store, the address), said in one JSON log line.",
};

/* The token: the file's first line, the file private to its owner. */
static int read_token(const char *path, char *out, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		logging_emitf("error", "start", "--token-file %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (sb.st_mode & 077) {
		logging_emitf("error", "start", "--token-file %s is readable by group or others "
		              "(chmod 600 it)", path);
		close(fd);
		return -1;
	}
	ssize_t n = read(fd, out, cap - 1);
	close(fd);
	if (n < 0) {
		logging_emitf("error", "start", "--token-file %s: %s", path, strerror(errno));
		return -1;
	}
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

int cmd_dashboard(int argc, char **argv)
{
	dashboard_opts o = {0};
	char err[512], token[DASH_TOKEN_MAX + 2];
	int rc = 2;
	if (opt_defaults(dashboard_opts_table, &o, err, sizeof err) != SG_OK ||
	    !(o.store = strdup(cmdline_default_store()))) {
		logging_emitf("error", "start", "out of memory");
		goto out;
	}
	if (!cmdline_begin_logged(&dashboard_command, &o, argc, argv, NULL, NULL, &rc))
		goto out;
	if (!o.token_file && !o.client_ca) {
		rc = cmdline_usage_error_logged(&dashboard_command,
		                                "--token-file FILE or --client-ca FILE is required");
		goto out;
	}
	/* from here every failure is a start-up error: 2, as serve's */
	if (o.token_file && read_token(o.token_file, token, sizeof token) != 0)
		goto out;
	respond_config where;
	respond_config_default(&where);
	respond_config_where(&where, o.store, &o.where, &o.aws);
	logging_libevent_to_stderr(); /* libevent's own messages join the log */
	dash_config cfg = {.listen = o.listen, .where = &where,
	                   .token = o.token_file ? token : NULL, .tls_cert = o.tls_cert,
	                   .tls_key = o.tls_key, .client_ca = o.client_ca,
	                   .client_crl = o.client_crl, .allow_release = o.allow_release};
	if (dash_run(&cfg, err, sizeof err) != SG_OK)
		logging_emitf("error", "start", "%s", err);
	else
		rc = 0;
out:
	explicit_bzero(token, sizeof token);
	opt_free(dashboard_opts_table, &o);
	return rc;
}
