/*
 * cmd_forensics.c — `ssrfguard forensics examine|baseline|verify-log|discover`.
 * The command line is the responder's interface: docs/forensics.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "commands.h"
#include "forensics/custlog.h"
#include "forensics/discover.h"
#include "forensics/disctags.h"
#include "forensics/examine.h"
#include "forensics/fsprobe.h"
#include "forensics/memcap.h"
#include "forensics/sha256x2.h"

#define MAX_SOURCES 64

static const char usage_text[] =
	"usage: ssrfguard forensics COMMAND [OPTIONS]\n"
	"\n"
	"Examine preserved volumes read-only: acquisition hash, file walk (libtsk,\n"
	"or a read-only loop mount for XFS), per-file SHA-256, baseline diff,\n"
	"report, manifest, bodyfile and a hash-chained custody log.\n"
	"\n"
	"commands:\n"
	"  examine     examine evidence and write the report (--help for options)\n"
	"  baseline    walk a known-good device and write its manifest\n"
	"  verify-log  check a chain-of-custody log\n"
	"  discover    show which devices hold an incident's volumes\n"
	"\n"
	"See docs/forensics.md.\n";

#define AWS_HELP \
	"\n" \
	"with --from-tags (the project's AWS client: credentials from the environment,\n" \
	"shared files, container endpoint or the instance role over IMDSv2):\n" \
	"  --instance-id i-ID       this instance (default: from instance metadata)\n" \
	"  --region R               else AWS_REGION, AWS_DEFAULT_REGION, the profile, IMDS\n" \
	"  --endpoint-url URL       else AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL, or AWS\n" \
	"  --ca-bundle FILE         else AWS_CA_BUNDLE, the system store\n"

static const char examine_help[] =
	"usage: ssrfguard forensics examine [--incident ID] [--volume vol-ID]... [--device PATH]...\n"
	"            [--evidence-manifest FILE | --from-tags] [--baseline FILE] --out DIR\n"
	"            [--custody-log FILE] [--examiner NAME] [--partition N] [--workers N]\n"
	"            [--no-device-hash] [--timeline N] [--fail-on-findings] [--[no-]progress]\n"
	"            [--instance-id i-ID] [--region R] [--endpoint-url URL]\n"
	"\n"
	"  --incident ID            the incident; alone, examines every volume of its\n"
	"                           evidence manifest (or, with --from-tags, its tags)\n"
	"  --volume vol-ID          an attached EBS volume (found by NVMe serial); repeatable\n"
	"  --device PATH            a block device or raw image; repeatable\n"
	"  --evidence-manifest FILE default /var/lib/ssrfguard/evidence/ID.json\n"
	"  --from-tags              with --incident: ask EC2 (DescribeVolumes) for the volumes\n"
	"                           tagged IncidentId=ID and attached to this instance\n"
	"                           instead of reading an evidence manifest\n"
	"  --baseline FILE          known-good manifest (ssrfguard forensics baseline) or\n"
	"                           hashdeep known-file list\n"
	"  --baseline-strip PREFIX  remove PREFIX from hashdeep file names\n"
	"  --out DIR                output directory (created 0700; must be empty)\n"
	"  --custody-log FILE       chain-of-custody log (default DIR/custody.log)\n"
	"  --examiner NAME          who examines (default user@host)\n"
	"  --partition N            only partition N (paths then carry no pN: prefix)\n"
	"  --workers N              hashing threads (default 2)\n"
	"  --no-device-hash         skip the whole-device acquisition hash\n"
	"  --openssl-only           hash files with OpenSSL alone, not the two-lane\n"
	"                           SHA-NI code (a cross-check of the fast path)\n"
	"  --max-memory MIB         memory ceiling while reading images (default half\n"
	"                           the machine's memory, at least 1024)\n"
	"  --timeline N             newest N change events in the report (default 200)\n"
	"  --fail-on-findings       exit 1 when the diff finds anything\n"
	"  --progress, --no-progress  bytes and files done, rate and ETA on stderr\n"
	"                           (default: only when stderr is a terminal)\n"
	"  --wait-device SECONDS    wait for a just-attached volume's device (default 120)\n"
	"  --sysfs-root DIR         where to look for /sys/block (tests)\n"
	"  --dev-root DIR           where the device nodes are, default /dev (tests)\n"
	AWS_HELP
	"\n"
	"Prints one JSON line on stdout: status (ok, incomplete, error), report paths\n"
	"and SHA-256s, device hashes, custody head.  Exit 0 complete, 1 findings\n"
	"(with --fail-on-findings), 2 error, 3 incomplete: the examination ran but\n"
	"could not read everything (walk errors, files not hashed, nothing found);\n"
	"the report says what.\n";

static const char baseline_help[] =
	"usage: ssrfguard forensics baseline (--device PATH | --volume vol-ID) --out FILE\n"
	"            [--format jsonl|hashdeep] [--partition N] [--workers N] [--openssl-only]\n"
	"            [--max-memory MIB]\n"
	"            [--custody-log FILE] [--examiner NAME]\n"
	"\n"
	"Walks a known-good device or image read-only and writes its manifest\n"
	"(JSON lines, default, or a hashdeep known-file list) for later\n"
	"`examine --baseline FILE`.  Exit 3 (status incomplete) when the walk could\n"
	"not read everything: the list is written, but has gaps.\n";

static const char verify_help[] =
	"usage: ssrfguard forensics verify-log FILE [--expect-head SHA256] [--report FILE]\n"
	"\n"
	"Re-computes the hash chain of a custody log.  Prints the entry count and\n"
	"the head; exit 0 if intact, 1 if the log was edited, truncated or\n"
	"reordered, 2 on errors.  The chain alone cannot show an edit of its last\n"
	"line: check it against a head recorded outside the log --\n"
	"  --expect-head SHA256  the head the examination printed (custody_head),\n"
	"                        which the responder records in the incident;\n"
	"  --report FILE         an examination's report.json: the log must still\n"
	"                        hold the head the report recorded, and after it\n"
	"                        an entry with the report's own hash.\n";

static const char discover_help[] =
	"usage: ssrfguard forensics discover [--incident ID] [--volume vol-ID]...\n"
	"            [--evidence-manifest FILE | --from-tags] [--wait-device SECONDS]\n"
	"\n"
	"Prints the device of each volume (by NVMe serial) as JSON, with what the\n"
	"evidence manifest or the volume's tags say of it; reads nothing from the\n"
	"devices.  Options as for examine.\n"
	"\n"
	AWS_HELP;

enum {
	OPT_INCIDENT = 256, OPT_VOLUME, OPT_DEVICE, OPT_EMANIFEST, OPT_BASELINE, OPT_STRIP,
	OPT_OUT, OPT_CLOG, OPT_EXAMINER, OPT_PARTITION, OPT_WORKERS, OPT_NODEVHASH,
	OPT_TIMELINE, OPT_FAILFIND, OPT_FORMAT, OPT_SYSFS, OPT_EXPECT, OPT_HELP, OPT_WAIT,
	OPT_OPENSSL, OPT_MAXMEM, OPT_FROMTAGS, OPT_INSTANCE, OPT_REGION, OPT_ENDPOINT, OPT_CABUNDLE,
	OPT_DEVROOT, OPT_REPORT, OPT_PROGRESS, OPT_NOPROGRESS,
};

static const struct option long_opts[] = {
	{"incident", required_argument, NULL, OPT_INCIDENT},
	{"volume", required_argument, NULL, OPT_VOLUME},
	{"device", required_argument, NULL, OPT_DEVICE},
	{"evidence-manifest", required_argument, NULL, OPT_EMANIFEST},
	{"baseline", required_argument, NULL, OPT_BASELINE},
	{"baseline-strip", required_argument, NULL, OPT_STRIP},
	{"out", required_argument, NULL, OPT_OUT},
	{"custody-log", required_argument, NULL, OPT_CLOG},
	{"examiner", required_argument, NULL, OPT_EXAMINER},
	{"partition", required_argument, NULL, OPT_PARTITION},
	{"workers", required_argument, NULL, OPT_WORKERS},
	{"no-device-hash", no_argument, NULL, OPT_NODEVHASH},
	{"openssl-only", no_argument, NULL, OPT_OPENSSL},
	{"max-memory", required_argument, NULL, OPT_MAXMEM},
	{"timeline", required_argument, NULL, OPT_TIMELINE},
	{"fail-on-findings", no_argument, NULL, OPT_FAILFIND},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"sysfs-root", required_argument, NULL, OPT_SYSFS},
	{"expect-head", required_argument, NULL, OPT_EXPECT},
	{"report", required_argument, NULL, OPT_REPORT},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"no-progress", no_argument, NULL, OPT_NOPROGRESS},
	{"wait-device", required_argument, NULL, OPT_WAIT},
	{"from-tags", no_argument, NULL, OPT_FROMTAGS},
	{"instance-id", required_argument, NULL, OPT_INSTANCE},
	{"region", required_argument, NULL, OPT_REGION},
	{"endpoint-url", required_argument, NULL, OPT_ENDPOINT},
	{"ca-bundle", required_argument, NULL, OPT_CABUNDLE},
	{"dev-root", required_argument, NULL, OPT_DEVROOT},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

typedef struct args {
	exam_opts o;
	const char *volumes[MAX_SOURCES];
	size_t nvol;
	const char *devices[MAX_SOURCES];
	size_t ndev;
	const char *emanifest;
	const char *sysfs;
	const char *dev_root;
	int from_tags;
	struct disctags_opts tags;
	const char *expect;
	const char *report;  /* verify-log: the report.json that anchors the log */
	const char *format;
	long wait_device;
	long max_memory_mib; /* 0: memcap_default() */
	int help;
} args;

static int parse_num(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, args *a)
{
	memset(a, 0, sizeof *a);
	a->o.workers = 2;
	a->o.progress = -1;
	a->o.timeline = 200;
	a->sysfs = "/sys";
	a->wait_device = 120;
	optind = 1;
	opterr = 1;
	int c;
	long v;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_INCIDENT: a->o.incident = optarg; break;
		case OPT_VOLUME:
			if (a->nvol == MAX_SOURCES)
				return -1;
			a->volumes[a->nvol++] = optarg;
			break;
		case OPT_DEVICE:
			if (a->ndev == MAX_SOURCES)
				return -1;
			a->devices[a->ndev++] = optarg;
			break;
		case OPT_EMANIFEST: a->emanifest = optarg; break;
		case OPT_BASELINE: a->o.baseline = optarg; break;
		case OPT_STRIP: a->o.baseline_strip = optarg; break;
		case OPT_OUT: a->o.out_dir = a->o.out_file = optarg; break;
		case OPT_CLOG: a->o.custody_log = optarg; break;
		case OPT_EXAMINER: a->o.examiner = optarg; break;
		case OPT_PARTITION:
			if (parse_num(optarg, 1, 4096, &v)) {
				fprintf(stderr, "ssrfguard forensics: bad --partition '%s'\n", optarg);
				return -1;
			}
			a->o.partition = (int)v;
			break;
		case OPT_WORKERS:
			if (parse_num(optarg, 0, 64, &v)) {
				fprintf(stderr, "ssrfguard forensics: bad --workers '%s' (0-64)\n", optarg);
				return -1;
			}
			a->o.workers = (unsigned)v;
			break;
		case OPT_NODEVHASH: a->o.no_device_hash = 1; break;
		case OPT_OPENSSL: sha2x_set_accel(0); break;
		case OPT_MAXMEM:
			if (parse_num(optarg, 256, 1L << 24, &v)) {
				fprintf(stderr, "ssrfguard forensics: bad --max-memory '%s' (MiB, 256 or more)\n",
				        optarg);
				return -1;
			}
			a->max_memory_mib = v;
			break;
		case OPT_TIMELINE:
			if (parse_num(optarg, 0, 100000, &v)) {
				fprintf(stderr, "ssrfguard forensics: bad --timeline '%s'\n", optarg);
				return -1;
			}
			a->o.timeline = (size_t)v;
			break;
		case OPT_FAILFIND: a->o.fail_on_findings = 1; break;
		case OPT_FORMAT: a->format = optarg; break;
		case OPT_SYSFS: a->sysfs = optarg; break;
		case OPT_DEVROOT: a->dev_root = optarg; break;
		case OPT_FROMTAGS: a->from_tags = 1; break;
		case OPT_INSTANCE: a->tags.instance_id = optarg; break;
		case OPT_REGION: a->tags.region = optarg; break;
		case OPT_ENDPOINT: a->tags.endpoint_url = optarg; break;
		case OPT_CABUNDLE: a->tags.ca_bundle = optarg; break;
		case OPT_EXPECT: a->expect = optarg; break;
		case OPT_REPORT: a->report = optarg; break;
		case OPT_PROGRESS: a->o.progress = 1; break;
		case OPT_NOPROGRESS: a->o.progress = 0; break;
		case OPT_WAIT:
			if (parse_num(optarg, 0, 3600, &v)) {
				fprintf(stderr, "ssrfguard forensics: bad --wait-device '%s'\n", optarg);
				return -1;
			}
			a->wait_device = v;
			break;
		case 'h':
		case OPT_HELP: a->help = 1; break;
		default: return -1;
		}
	}
	return 0;
}

static char *join_argv(int argc, char **argv)
{
	size_t n = strlen("ssrfguard forensics") + 1;
	for (int i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	char *s = malloc(n);
	if (!s)
		return NULL;
	size_t o = (size_t)snprintf(s, n, "ssrfguard forensics");
	for (int i = 0; i < argc && o < n; i++)
		o += (size_t)snprintf(s + o, n - o, " %s", argv[i]);
	return s;
}

static void free_sources(exam_opts *o)
{
	for (size_t i = 0; i < o->nsrc; i++) {
		free(o->src[i].device);
		free(o->src[i].volume_id);
		json_decref(o->src[i].info);
	}
	free(o->src);
	o->src = NULL;
	o->nsrc = 0;
}

static int add_source(exam_opts *o, const char *device, const char *vol, json_t *info)
{
	exam_source *v = realloc(o->src, (o->nsrc + 1) * sizeof *v);
	if (!v)
		return -1;
	o->src = v;
	exam_source *s = &o->src[o->nsrc];
	memset(s, 0, sizeof *s);
	s->device = strdup(device);
	s->volume_id = vol ? strdup(vol) : NULL;
	s->info = info ? json_incref(info) : NULL;
	o->nsrc++;
	return s->device && (!vol || s->volume_id) ? 0 : -1;
}

/* A volume attached a moment ago may not have its NVMe device yet. */
static sg_err wait_volume(const args *a, const char *vol, char *dev, size_t devlen, char *err,
                          size_t errlen)
{
	time_t until = time(NULL) + a->wait_device;
	int said = 0;
	for (;;) {
		sg_err rc = disc_volume(a->sysfs, a->dev_root, vol, dev, devlen, err, errlen);
		if (rc != SG_ERR_NOTFOUND || time(NULL) >= until)
			return rc;
		if (!said++)
			fprintf(stderr, "forensics: waiting up to %lds for %s to appear\n", a->wait_device, vol);
		struct timespec ts = {2, 0};
		nanosleep(&ts, NULL);
	}
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

/* Sources for the volumes of an evidence manifest or of the tag lookup. */
static int add_volumes(args *a, json_t *vols, char *err, size_t errlen)
{
	char dev[4096], norm[32];
	size_t i;
	json_t *vj;
	json_array_foreach(vols, i, vj) {
		const char *id = jstr(vj, "volume_id");
		if (fx_volid_normalise(id, strlen(id), norm, sizeof norm)) {
			snprintf(err, errlen, "'%s' is not an EBS volume id", id);
			return -1;
		}
		sg_err rc = wait_volume(a, norm, dev, sizeof dev, err, errlen);
		json_t *att = json_object_get(vj, "attachment");
		if (rc == SG_ERR_NOTFOUND && att)
			snprintf(err, errlen, "EC2 says volume %s is attached to this instance %s as %s "
			         "(%s), but no NVMe device here has its serial after %lds (--wait-device)",
			         norm, jstr(vj, "instance_id"), jstr(att, "device"), jstr(att, "state"),
			         a->wait_device);
		if (rc || add_source(&a->o, dev, norm, vj))
			return -1;
	}
	return 0;
}

/* --incident ID: its evidence manifest, or (--from-tags) EC2's answer. */
static int incident_sources(args *a, char *err, size_t errlen)
{
	json_t *vols = NULL;
	char path[4096], here[32];
	if (a->from_tags) {
		a->tags.incident = a->o.incident;
		if (disctags_find(&a->tags, &vols, here, err, errlen))
			return -1;
	} else {
		if (!a->emanifest) {
			for (const char *p = a->o.incident; *p; p++)
				if (*p == '/' || *p == '\\') {
					snprintf(err, errlen, "incident id '%s' holds a slash", a->o.incident);
					return -1;
				}
			snprintf(path, sizeof path, "/var/lib/ssrfguard/evidence/%s.json", a->o.incident);
		}
		sg_err rc = disc_incident(a->emanifest ? a->emanifest : path, a->o.incident, &vols,
		                          err, errlen);
		if (rc == SG_ERR_NOTFOUND && !a->emanifest) {
			size_t n = strlen(err);
			snprintf(err + n, errlen - n, " (or ask EC2 for the volumes tagged "
			         "IncidentId=%s: --from-tags)", a->o.incident);
		}
		if (rc)
			return -1;
	}
	int rc = add_volumes(a, vols, err, errlen);
	json_decref(vols);
	return rc;
}

/* Resolve --incident/--volume/--device into sources; -1 with a message. */
static int resolve_sources(args *a, char *err, size_t errlen)
{
	char dev[4096], norm[32];
	if (a->from_tags && (!a->o.incident || a->nvol || a->emanifest)) {
		snprintf(err, errlen, "--from-tags finds the volumes of --incident ID: it needs "
		         "--incident and takes no --volume or --evidence-manifest");
		return -1;
	}
	if (a->o.incident && ((!a->nvol && !a->ndev) || a->from_tags) &&
	    incident_sources(a, err, errlen))
		return -1;
	for (size_t i = 0; i < a->nvol; i++) {
		if (fx_volid_normalise(a->volumes[i], strlen(a->volumes[i]), norm, sizeof norm)) {
			snprintf(err, errlen, "'%s' is not an EBS volume id", a->volumes[i]);
			return -1;
		}
		if (wait_volume(a, norm, dev, sizeof dev, err, errlen) ||
		    add_source(&a->o, dev, norm, NULL))
			return -1;
	}
	for (size_t i = 0; i < a->ndev; i++)
		if (add_source(&a->o, a->devices[i], NULL, NULL)) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	if (!a->o.nsrc) {
		snprintf(err, errlen, "no evidence: give --volume, --device, or --incident with an "
		         "evidence manifest or --from-tags");
		return -1;
	}
	return 0;
}

static void fail_json(const char *msg)
{
	json_t *o = json_pack("{s:s,s:s}", "status", "error", "error", msg);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(o);
	fprintf(stderr, "ssrfguard forensics: %s\n", msg);
}

static int run_examine(int argc, char **argv, int baseline)
{
	args a;
	char err[1024] = "";
	if (parse_args(argc, argv, &a)) {
		fputs(baseline ? baseline_help : examine_help, stderr);
		return 2;
	}
	if (a.help) {
		fputs(baseline ? baseline_help : examine_help, stdout);
		return 0;
	}
	if (optind < argc) {
		fprintf(stderr, "ssrfguard forensics: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!a.o.out_dir) {
		fprintf(stderr, "ssrfguard forensics: --out is required\n");
		return 2;
	}
	if (baseline) {
		if (a.format && strcmp(a.format, "jsonl") && strcmp(a.format, "hashdeep")) {
			fprintf(stderr, "ssrfguard forensics: --format is jsonl or hashdeep\n");
			return 2;
		}
		a.o.hashdeep_format = a.format && !strcmp(a.format, "hashdeep");
		a.o.no_device_hash = 1;
	}
	char *cmdline = join_argv(argc, argv);
	a.o.argv_text = cmdline;
	int rc;
	if (resolve_sources(&a, err, sizeof err)) {
		fail_json(err);
		rc = 2;
	} else {
		/* From here on, the images are read: hostile ones must not take
		 * the forensic instance's memory with them (memcap.h). */
		uint64_t cap = a.max_memory_mib ? (uint64_t)a.max_memory_mib << 20 : memcap_default();
		sg_err me = memcap_set(cap);
		if (me && me != SG_ERR_UNSUPPORTED)
			fprintf(stderr, "ssrfguard forensics: warning: cannot cap memory at %llu MiB: %s\n",
			        (unsigned long long)(cap >> 20), strerror(errno));
		rc = baseline ? exam_baseline(&a.o) : exam_run(&a.o);
	}
	free_sources(&a.o);
	free(cmdline);
	return rc;
}

static int run_verify(int argc, char **argv)
{
	args a;
	if (parse_args(argc, argv, &a) || (!a.help && optind != argc - 1)) {
		fputs(verify_help, stderr);
		return 2;
	}
	if (a.help) {
		fputs(verify_help, stdout);
		return 0;
	}
	const char *path = argv[optind];
	fx_custody_state st;
	fx_custody_anchor anchor;
	char err[1024] = "", head[FX_SHA256_HEX];
	if (a.report && custlog_anchor_from_report(a.report, &anchor, err, sizeof err)) {
		fail_json(err);
		return 2;
	}
	memset(&st, 0, sizeof st);
	sg_err rc = custlog_verify(path, a.report ? &anchor : NULL, &st, err, sizeof err);
	sg_hex_encode(st.head, FX_SHA256_LEN, head);
	if ((rc == SG_ERR_CORRUPT || rc == SG_ERR_PARSE) && !st.bad_line && a.report) {
		printf("{\"status\":\"report-mismatch\",\"entries\":%llu,\"head\":\"%s\"}\n",
		       (unsigned long long)st.entries, head);
		fprintf(stderr, "ssrfguard forensics verify-log: TAMPERED: %s\n", err);
		return 1;
	}
	if (rc == SG_ERR_CORRUPT || rc == SG_ERR_PARSE) {
		printf("{\"status\":\"broken\",\"entries_ok\":%llu,\"bad_line\":%llu}\n",
		       (unsigned long long)st.entries, (unsigned long long)st.bad_line);
		fprintf(stderr, "ssrfguard forensics verify-log: TAMPERED OR DAMAGED: %s\n", err);
		return 1;
	}
	if (rc) {
		fail_json(err);
		return 2;
	}
	if (a.expect && strcmp(a.expect, head)) {
		printf("{\"status\":\"head-mismatch\",\"entries\":%llu,\"head\":\"%s\"}\n",
		       (unsigned long long)st.entries, head);
		fprintf(stderr, "ssrfguard forensics verify-log: the head is %s, expected %s: "
		        "entries were removed from the end or the log was replaced\n", head, a.expect);
		return 1;
	}
	printf("{\"status\":\"ok\",\"entries\":%llu,\"head\":\"%s\"}\n",
	       (unsigned long long)st.entries, head);
	return 0;
}

static int run_discover(int argc, char **argv)
{
	args a;
	char err[1024] = "";
	if (parse_args(argc, argv, &a)) {
		fputs(discover_help, stderr);
		return 2;
	}
	if (a.help) {
		fputs(discover_help, stdout);
		return 0;
	}
	if (resolve_sources(&a, err, sizeof err)) {
		fail_json(err);
		free_sources(&a.o);
		return 2;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < a.o.nsrc; i++)
		json_array_append_new(arr, json_pack("{s:s,s:s?,s:O*}", "device", a.o.src[i].device,
		                                     "volume_id", a.o.src[i].volume_id,
		                                     "source", a.o.src[i].info));
	json_t *o = json_pack("{s:s,s:o}", "status", "ok", "evidence", arr);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(o);
	free_sources(&a.o);
	return 0;
}

int cmd_forensics(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stderr);
		return 2;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(sub, "examine"))
		return run_examine(argc - 1, argv + 1, 0);
	if (!strcmp(sub, "baseline"))
		return run_examine(argc - 1, argv + 1, 1);
	if (!strcmp(sub, "verify-log"))
		return run_verify(argc - 1, argv + 1);
	if (!strcmp(sub, "discover"))
		return run_discover(argc - 1, argv + 1);
	fprintf(stderr, "ssrfguard forensics: unknown command '%s'\n\n%s", sub, usage_text);
	return 2;
}
