/* respond_cli.c — options of `ssrfguard respond`, from argv and config. */
#include "respond/respond_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/s3.h"

void respond_cli_init(respond_cli *o)
{
	memset(o, 0, sizeof *o);
	respond_config_default(&o->cfg);
	const char *st = getenv("SSRFGUARD_STORE");
	o->cfg.store_path = st && *st ? st : "/var/lib/ssrfguard/incidents.db";
}

void respond_cli_free(respond_cli *o)
{
	for (size_t i = 0; i < o->n_owned; i++)
		free(o->owned[i]);
	free(o->owned);
	o->owned = NULL;
	o->n_owned = 0;
}

enum arg { NONE, STR, NUM };

static const struct opt {
	const char *name;
	enum arg arg;
} opts[] = {
	{"instance", STR},      {"incident", NUM},        {"once", NONE},
	{"listen", STR},        {"preflight", NONE},      {"observe", NONE},
	{"forensic-instance", STR}, {"quarantine-group", STR}, {"quarantine-profile", STR},
	{"skip", STR},          {"order", STR},           {"decrement-desired", NONE},
	{"no-conntrack", NONE}, {"ticket", STR},          {"capture-cmd", STR},
	{"capture-timeout", NUM}, {"forensics-cmd", STR}, {"baseline", STR},
	{"webhook", STR},       {"sns-topic", STR},       {"report-dir", STR},
	{"evidence-bucket", STR}, {"asg-standby", NONE},
	{"store", STR},         {"config", STR},          {"parallel", NUM},
	{"owner", STR},         {"lease-ms", NUM},        {"region", STR},
	{"endpoint-url", STR},  {"ca-bundle", STR},       {"aws-max-attempts", NUM},
	{"aws-backoff-ms", NUM}, {"step-attempts", NUM},  {"step-backoff-ms", NUM},
	{"poll-ms", NUM},       {"imds-wait", NUM},       {"asg-wait", NUM},
	{"snapshot-wait", NUM}, {"key-file", STR},        {"tls-cert", STR},
	{"tls-key", STR},       {"quiet", NONE},          {"help", NONE},
	{"deliver-to", STR},    {"detector", STR},
};

static bool parse_num(const char *s, long long lo, long long hi, long long *out)
{
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static int copy_id(char *dst, size_t cap, const char *v, const char *name, char *msg, size_t msglen)
{
	if (pb_strset(dst, cap, v)) {
		snprintf(msg, msglen, "--%s: value too long", name);
		return -1;
	}
	return 0;
}

static int apply(respond_cli *o, const char *name, const char *v, char *msg, size_t msglen);

static int read_config(respond_cli *o, const char *path, char *msg, size_t msglen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(msg, msglen, "--config %s: %s", path, strerror(errno));
		return -1;
	}
	size_t cap = 1u << 20;
	char *buf = malloc(cap + 1);
	if (!buf) {
		fclose(f);
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	size_t n = fread(buf, 1, cap + 1, f);
	fclose(f);
	if (n > cap) {
		free(buf);
		snprintf(msg, msglen, "--config %s: larger than 1 MiB", path);
		return -1;
	}
	int rc = respond_cli_parse_config(o, buf, n, msg, msglen);
	free(buf);
	return rc;
}

static char *keep(respond_cli *o, const char *s, size_t n)
{
	char **na = realloc(o->owned, (o->n_owned + 1) * sizeof *na);
	if (!na)
		return NULL;
	o->owned = na;
	char *c = malloc(n + 1);
	if (!c)
		return NULL;
	memcpy(c, s, n);
	c[n] = '\0';
	o->owned[o->n_owned++] = c;
	return c;
}

int respond_cli_parse_config(respond_cli *o, const char *text, size_t len, char *msg, size_t msglen)
{
	size_t line_no = 0, i = 0;
	while (i < len) {
		size_t start = i;
		while (i < len && text[i] != '\n')
			i++;
		size_t end = i;
		i++; /* past '\n' */
		line_no++;
		if (end - start > 4096) {
			snprintf(msg, msglen, "config line %zu: longer than 4096 bytes", line_no);
			return -1;
		}
		/* trim, drop comments */
		while (start < end && (text[start] == ' ' || text[start] == '\t'))
			start++;
		if (start == end || text[start] == '#')
			continue;
		while (end > start && (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\r'))
			end--;
		for (size_t k = start; k < end; k++)
			if (text[k] == '\0' || ((unsigned char)text[k] < 0x20 && text[k] != '\t')) {
				snprintf(msg, msglen, "config line %zu: control character", line_no);
				return -1;
			}
		size_t ne = start;
		while (ne < end && text[ne] != ' ' && text[ne] != '\t')
			ne++;
		size_t vs = ne;
		while (vs < end && (text[vs] == ' ' || text[vs] == '\t'))
			vs++;
		char *name = keep(o, text + start, ne - start);
		char *val = vs < end ? keep(o, text + vs, end - vs) : NULL;
		if (!name || (vs < end && !val)) {
			snprintf(msg, msglen, "out of memory");
			return -1;
		}
		if (!strcmp(name, "config") || !strcmp(name, "help")) {
			snprintf(msg, msglen, "config line %zu: '%s' is not allowed in a config file", line_no, name);
			return -1;
		}
		if (apply(o, name, val, msg, msglen)) {
			size_t l = strlen(msg);
			if (l + 32 < msglen)
				snprintf(msg + l, msglen - l, " (config line %zu)", line_no);
			return -1;
		}
	}
	return 0;
}

static int apply(respond_cli *o, const char *name, const char *v, char *msg, size_t msglen)
{
	const struct opt *op = NULL;
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		if (!strcmp(opts[i].name, name))
			op = &opts[i];
	if (!op) {
		snprintf(msg, msglen, "unknown option '%s'", name);
		return -1;
	}
	if (op->arg == NONE && v) {
		snprintf(msg, msglen, "--%s takes no value", name);
		return -1;
	}
	if (op->arg != NONE && !v) {
		snprintf(msg, msglen, "--%s needs a value", name);
		return -1;
	}
	long long n = 0;
	if (op->arg == NUM && !parse_num(v, 0, 1000000000LL, &n)) {
		snprintf(msg, msglen, "--%s: '%s' is not a number in range", name, v);
		return -1;
	}
	respond_config *c = &o->cfg;
	pb_config *pc = &c->playbook;
#define IS(s) (!strcmp(name, s))
	if (IS("help"))
		return 1;
	if (IS("instance")) {
		if (strlen(v) >= PB_ID_MAX || strncmp(v, "i-", 2) != 0) {
			snprintf(msg, msglen, "--instance: '%s' is not an instance id (i-...)", v);
			return -1;
		}
		o->instance = v;
	} else if (IS("incident")) {
		if (n <= 0) {
			snprintf(msg, msglen, "--incident: ids start at 1");
			return -1;
		}
		o->incident = n;
	} else if (IS("once"))
		o->once = true;
	else if (IS("listen"))
		o->listen = o->listen_cfg.addr = v;
	else if (IS("preflight"))
		o->preflight = true;
	else if (IS("observe"))
		c->observe = true;
	else if (IS("forensic-instance"))
		return copy_id(pc->forensic_instance, sizeof pc->forensic_instance, v, name, msg, msglen);
	else if (IS("quarantine-group"))
		return copy_id(pc->quarantine_group, sizeof pc->quarantine_group, v, name, msg, msglen);
	else if (IS("quarantine-profile"))
		return copy_id(pc->quarantine_profile, sizeof pc->quarantine_profile, v, name, msg, msglen);
	else if (IS("ticket"))
		return copy_id(pc->ticket, sizeof pc->ticket, v, name, msg, msglen);
	else if (IS("skip")) {
		pb_step s;
		if (pb_step_parse(v, &s) != SG_OK || s == PB_RECORD || s == PB_FINISH) {
			snprintf(msg, msglen, "--skip: '%s' is not a step that can be turned off", v);
			return -1;
		}
		pc->order.enabled &= ~PB_BIT(s);
	} else if (IS("order")) {
		char m[200];
		if (pb_order_parse(v, &pc->order, m, sizeof m) != SG_OK) {
			snprintf(msg, msglen, "--order: %s", m);
			return -1;
		}
	} else if (IS("decrement-desired"))
		pc->decrement_desired = true;
	else if (IS("asg-standby"))
		pc->asg_standby = true;
	else if (IS("no-conntrack"))
		pc->conntrack_timeouts = false;
	else if (IS("capture-cmd")) {
		if (c->n_capture_cmds >= RESPOND_MAX_CAPTURE_CMDS) {
			snprintf(msg, msglen, "--capture-cmd: at most %d", RESPOND_MAX_CAPTURE_CMDS);
			return -1;
		}
		c->capture_cmds[c->n_capture_cmds++] = v;
	} else if (IS("capture-timeout"))
		c->capture_timeout_s = (unsigned)n;
	else if (IS("evidence-bucket")) {
		if (!aws_s3_bucket_ok(v)) {
			snprintf(msg, msglen, "--evidence-bucket: 3-63 of a-z 0-9 . -");
			return -1;
		}
		c->evidence_bucket = v;
	} else if (IS("forensics-cmd"))
		c->forensics_cmd = v;
	else if (IS("baseline"))
		c->forensics_baseline = v;
	else if (IS("webhook"))
		c->webhook_url = v;
	else if (IS("sns-topic"))
		c->sns_topic_arn = v;
	else if (IS("report-dir"))
		c->report_dir = v;
	else if (IS("store"))
		c->store_path = v;
	else if (IS("config"))
		return read_config(o, v, msg, msglen);
	else if (IS("parallel")) {
		if (n < 1 || n > 64) {
			snprintf(msg, msglen, "--parallel: 1..64");
			return -1;
		}
		c->parallel = (int)n;
	} else if (IS("owner"))
		c->owner = v;
	else if (IS("lease-ms"))
		c->lease_ms = n < 1000 ? 1000 : n;
	else if (IS("region"))
		c->region = v;
	else if (IS("endpoint-url"))
		c->endpoint_url = v;
	else if (IS("ca-bundle"))
		c->ca_bundle = v;
	else if (IS("aws-max-attempts"))
		c->aws_max_attempts = (int)(n > 20 ? 20 : n);
	else if (IS("aws-backoff-ms"))
		c->aws_backoff_base_ms = (unsigned)n;
	else if (IS("step-attempts"))
		c->step_attempts = (int)(n < 1 ? 1 : n > 20 ? 20 : n);
	else if (IS("step-backoff-ms"))
		c->step_backoff_ms = (unsigned)n;
	else if (IS("poll-ms"))
		c->poll_ms = (unsigned)(n < 10 ? 10 : n);
	else if (IS("imds-wait"))
		c->imds_wait_s = (unsigned)n;
	else if (IS("asg-wait"))
		c->asg_wait_s = (unsigned)n;
	else if (IS("snapshot-wait"))
		c->snapshot_wait_s = (unsigned)n;
	else if (IS("key-file"))
		o->listen_cfg.key_file = v;
	else if (IS("tls-cert"))
		o->listen_cfg.tls_cert = v;
	else if (IS("tls-key"))
		o->listen_cfg.tls_key = v;
	else if (IS("quiet"))
		o->quiet = true;
	else if (IS("deliver-to")) {
		if (strncmp(v, "https://", 8) != 0) {
			snprintf(msg, msglen, "--deliver-to: an https:// URL");
			return -1;
		}
		o->deliver_to = o->deliver_cfg.url = v;
	} else if (IS("detector"))
		o->deliver_cfg.detector = v;
#undef IS
	return 0;
}

int respond_cli_parse(respond_cli *o, int argc, char **argv, char *msg, size_t msglen)
{
	msg[0] = '\0';
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h"))
			return 1;
		if (!strcmp(a, "-q")) {
			o->quiet = true;
			continue;
		}
		if (strncmp(a, "--", 2) != 0) {
			snprintf(msg, msglen, "unexpected argument '%s'", a);
			return -1;
		}
		char name[64];
		const char *eq = strchr(a + 2, '=');
		size_t nl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (nl == 0 || nl >= sizeof name) {
			snprintf(msg, msglen, "bad option '%s'", a);
			return -1;
		}
		memcpy(name, a + 2, nl);
		name[nl] = '\0';
		const char *v = eq ? eq + 1 : NULL;
		bool takes = false;
		for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++)
			if (!strcmp(opts[k].name, name))
				takes = opts[k].arg != NONE;
		if (takes && !v) {
			if (i + 1 >= argc) {
				snprintf(msg, msglen, "--%s needs a value", name);
				return -1;
			}
			v = argv[++i];
		}
		int rc = apply(o, name, v, msg, msglen);
		if (rc)
			return rc;
	}
	o->listen_cfg.store_path = o->cfg.store_path;
	o->deliver_cfg.store_path = o->cfg.store_path;
	o->deliver_cfg.key_file = o->listen_cfg.key_file;
	o->deliver_cfg.ca_bundle = o->cfg.ca_bundle;
	o->deliver_cfg.poll_ms = o->cfg.poll_ms;
	if (o->deliver_to && !o->listen_cfg.key_file) {
		snprintf(msg, msglen, "--deliver-to needs --key-file");
		return -1;
	}
	if (o->deliver_to && (o->instance || o->incident || o->listen || o->preflight)) {
		snprintf(msg, msglen, "--deliver-to runs alone (it is the detector side)");
		return -1;
	}
	if (o->preflight && !o->instance) {
		snprintf(msg, msglen, "--preflight needs --instance");
		return -1;
	}
	if (o->instance && o->incident) {
		snprintf(msg, msglen, "--instance and --incident exclude each other");
		return -1;
	}
	if (o->listen && (!o->listen_cfg.key_file || !o->listen_cfg.tls_cert || !o->listen_cfg.tls_key)) {
		snprintf(msg, msglen, "--listen needs --key-file, --tls-cert and --tls-key");
		return -1;
	}
	return 0;
}
