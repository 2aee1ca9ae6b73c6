/*
 * cmd_forensics.c — `ssrfguard forensics examine|baseline|verify-log|discover`.
 * The command line is the responder's interface: docs/forensics.md.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "commands.h"
#include "opt/cmdline.h"
#include "aws/s3.h"
#include "forensics/custlog.h"
#include "forensics/discover.h"
#include "forensics/disctags.h"
#include "forensics/evmanifest.h"
#include "forensics/examine.h"
#include "forensics/fsprobe.h"
#include "forensics/memcap.h"
#include "forensics/sha256x2.h"
#include "playbook/playbook.h"

#define MAX_SOURCES 64

/* The options of every forensics subcommand, as the user wrote them. */
typedef struct fx_cli {
	char *incident, *emanifest, *baseline, *baseline_strip, *out, *custody_log, *examiner;
	char *sysfs_root, *dev_root, *expect_head, *report;
	char *instance_id, *evidence_bucket;
	cmdline_aws aws;
	char *yara_shipped_dir, *incident_time;
	opt_list volume, device, yara_rules;
	int64_t partition, workers, max_memory, timeline, wait_device;
	int64_t yara_max_file, yara_timeout, window_hours, window_max;
	int yara_scope; /* fx_scan_scope */
	bool yara_shipped;
	int format; /* 0 jsonl, 1 hashdeep */
	int progress; /* 0 auto, 1 on, 2 off */
	bool device_hash, hash_windows, openssl_only, fail_on_findings, from_tags;
} fx_cli;

#define AT(f) .off = offsetof(fx_cli, f)
static const opt_def fx_opts[] = {
	{.type = OPT_SECTION, .help = "Evidence (examine, baseline, discover)"},
	{.type = OPT_STR, .name = "incident", .arg = "ID", AT(incident),
	 .help = "the incident: its AWS key INC-N-STORE (the responder's), or INC-N or N (read "
	         "as INC-N), or a label of your own; alone, examines every volume of its evidence "
	         "manifest (or, with --from-tags, its tags)"},
	{.type = OPT_LIST, .name = "volume", .arg = "vol-ID", AT(volume),
	 .help = "an attached EBS volume (found by NVMe serial); repeatable"},
	{.type = OPT_LIST, .name = "device", .arg = "PATH", AT(device),
	 .help = "a block device or raw image; repeatable"},
	{.type = OPT_STR, .name = "evidence-manifest", .arg = "FILE", AT(emanifest),
	 .help = "the incident's evidence manifest (default: /var/lib/ssrfguard/evidence/ID.json)"},
	{.type = OPT_SWITCH, .name = "from-tags", .dflt = "off", AT(from_tags),
	 .help = "with --incident: ask EC2 (DescribeVolumes) for the volumes tagged IncidentId=INC-N "
	         "(and ssrfguard:store=STORE when ID names it) and attached to this instance instead "
	         "of reading an evidence manifest"},
	{.type = OPT_INT, .name = "wait-device", .arg = "SECONDS", .dflt = "120", .lo = 0, .hi = 3600,
	 AT(wait_device), .help = "wait this long for a just-attached volume's device"},
	{.type = OPT_SECTION, .help = "Examination (examine, baseline)"},
	{.type = OPT_STR, .name = "out", .arg = "DIR|FILE", AT(out),
	 .help = "examine: output directory (created 0700; must be empty); baseline: the manifest "
	         "file; required"},
	{.type = OPT_STR, .name = "baseline", .arg = "FILE", AT(baseline),
	 .help = "examine: known-good manifest (ssrfguard forensics baseline) or hashdeep known-file "
	         "list"},
	{.type = OPT_STR, .name = "baseline-strip", .arg = "PREFIX", AT(baseline_strip),
	 .help = "remove PREFIX from hashdeep file names"},
	{.type = OPT_CHOICE, .name = "format", .arg = "jsonl|hashdeep", .dflt = "jsonl", AT(format),
	 .help = "baseline: the manifest's format"},
	{.type = OPT_STR, .name = "custody-log", .arg = "FILE", AT(custody_log),
	 .help = "chain-of-custody log (default: DIR/custody.log)"},
	{.type = OPT_STR, .name = "examiner", .arg = "NAME", AT(examiner),
	 .help = "who examines (default: user@host)"},
	{.type = OPT_INT, .name = "partition", .arg = "N", .lo = 1, .hi = 4096, AT(partition),
	 .help = "only partition N (paths then carry no pN: prefix)"},
	{.type = OPT_INT, .name = "workers", .arg = "N", .dflt = "2", .lo = 0, .hi = 64,
	 AT(workers), .help = "hashing threads"},
	{.type = OPT_SWITCH, .name = "device-hash", .dflt = "on", AT(device_hash),
	 .help = "the whole-device acquisition hash (--no-device-hash skips it)"},
	{.type = OPT_SWITCH, .name = "hash-windows", .dflt = "off", AT(hash_windows),
	 .help = "examine: also a SHA-256 of every 1 MiB of the device (windows.txt), to locate a "
	         "later disagreement; costs a second core's worth of hashing"},
	{.type = OPT_SWITCH, .name = "openssl-only", .dflt = "off", AT(openssl_only),
	 .help = "hash files with OpenSSL alone, not the two-lane SHA-NI code (a cross-check of "
	         "the fast path)"},
	{.type = OPT_INT, .name = "max-memory", .arg = "MIB", .lo = 256, .hi = INT64_C(1) << 24,
	 AT(max_memory),
	 .help = "memory ceiling while reading images (default: half the machine's memory, at "
	         "least 1024)"},
	{.type = OPT_INT, .name = "timeline", .arg = "N", .dflt = "200", .lo = 0, .hi = 100000,
	 AT(timeline), .help = "newest N change events in the report"},
	{.type = OPT_SECTION, .help = "YARA and the timeline around the incident (examine)"},
	{.type = OPT_CHOICE, .name = "yara-scope", .arg = "off|changed|all", .dflt = "changed",
	 AT(yara_scope),
	 .help = "which files YARA reads: changed = new or changed since the baseline (without a "
	         "baseline: persistence places, writable places, scripts and executables); all = "
	         "every live regular file; both also read every ext orphan inode (a file "
	         "unlinked while it ran)"},
	{.type = OPT_LIST, .name = "yara-rules", .arg = "DIR|FILE", AT(yara_rules),
	 .flags = OPT_NONEMPTY,
	 .help = "more YARA rules: a .yar/.yara file, or a directory of them; repeatable.  A rule "
	         "that does not compile is an error naming file and line (exit 2)"},
	{.type = OPT_SWITCH, .name = "yara-shipped", .dflt = "on", AT(yara_shipped),
	 .help = "the project's ruleset (webshells, reverse shells, miners, credential harvesters); "
	         "--no-yara-shipped: only --yara-rules"},
	{.type = OPT_STR, .name = "yara-shipped-dir", .arg = "DIR", AT(yara_shipped_dir),
	 .help = "where the shipped ruleset is (default: the installed share/ssrfguard/yara, or the "
	         "source tree's rules/yara for a build-tree binary)"},
	{.type = OPT_INT, .name = "yara-max-file", .arg = "MIB", .dflt = "4096", .lo = 1,
	 .hi = 1048576, AT(yara_max_file), .help = "scan at most the first MIB of a file (files "
	 "are read in 16 MiB windows, so any size fits in memory); a file cut there makes the "
	 "examination incomplete"},
	{.type = OPT_INT, .name = "yara-timeout", .arg = "SECONDS", .dflt = "10", .lo = 1,
	 .hi = 3600, AT(yara_timeout), .help = "give up scanning one file after this long; a file "
	                                      "that timed out makes the examination incomplete"},
	{.type = OPT_STR, .name = "incident-time", .arg = "UTC", AT(incident_time),
	 .help = "when the incident was detected, e.g. 2026-12-04T16:20:00Z (default: the "
	         "responder's ssrfguard:incident-time tag on the evidence)"},
	{.type = OPT_INT, .name = "window-hours", .arg = "H", .dflt = "24", .lo = 0, .hi = 24 * 365,
	 AT(window_hours), .help = "the timeline around the incident: changes (MACB) from H hours "
	                           "before it on; 0: none"},
	{.type = OPT_INT, .name = "window-max", .arg = "N", .dflt = "1000", .lo = 1, .hi = 1000000,
	 AT(window_max), .help = "newest N events of that window in the report"},
	{.type = OPT_SWITCH, .name = "fail-on-findings", .dflt = "off", AT(fail_on_findings),
	 .help = "exit 1 when the diff finds anything (of a complete examination)"},
	{.type = OPT_CHOICE, .name = "progress", .arg = "auto|on|off", .dflt = "auto", AT(progress),
	 .help = "bytes and files done, rate and ETA on stderr; auto: only when stderr is a "
	         "terminal"},
	{.type = OPT_STR, .name = "sysfs-root", .arg = "DIR", .dflt = "/sys", AT(sysfs_root),
	 .help = "where to look for /sys/block (tests)"},
	{.type = OPT_STR, .name = "dev-root", .arg = "DIR", AT(dev_root),
	 .help = "where the device nodes are (default: /dev; tests)"},
	{.type = OPT_SECTION, .help = "verify-log"},
	{.type = OPT_STR, .name = "expect-head", .arg = "SHA256", AT(expect_head),
	 .help = "the head the custody log must end with (the custody_head an examination "
	         "printed, recorded in the incident)"},
	{.type = OPT_STR, .name = "report", .arg = "FILE", AT(report),
	 .help = "an examination's report.json, or its anchor object from the evidence bucket: "
	         "the log must still hold the head it recorded, and after it an entry with that "
	         "file's own SHA-256"},
	{.type = OPT_SECTION, .help = "AWS, with --from-tags or --evidence-bucket (credentials from "
	                              "the environment, shared files, container endpoint or the "
	                              "instance role)"},
	{.type = OPT_STR, .name = "evidence-bucket", .arg = "BUCKET", AT(evidence_bucket),
	 .help = "examine: write the custody log's head and the report's hashes to this S3 bucket "
	         "(ssrfguard-custody/INCIDENT/...); a failed write makes the result incomplete"},
	{.type = OPT_STR, .name = "instance-id", .arg = "i-ID", AT(instance_id),
	 .help = "this instance (default: from instance metadata)"},
	CMDLINE_AWS_ROWS(fx_cli, aws),
	{.type = OPT_END},
};
#undef AT

const opt_command forensics_command = {
	.name = "forensics",
	.synopsis = "examine [--incident ID] [--volume vol-ID]... [--device PATH]... [OPTIONS] "
	            "--out DIR\n"
	            "baseline (--device PATH | --volume vol-ID) [OPTIONS] --out FILE\n"
	            "verify-log FILE [--expect-head SHA256] [--report FILE]\n"
	            "discover [--incident ID] [--volume vol-ID]... [--from-tags]",
	.summary = "examine preserved volumes on the forensic instance",
	.about = "Examine preserved volumes read-only: acquisition hash, file walk (libtsk, or a "
	         "read-only loop mount for XFS), per-file SHA-256, baseline diff, report, manifest, "
	         "bodyfile and a hash-chained custody log.\n\n"
	         "examine: examine evidence and write the report; prints one JSON line on stdout "
	         "(status ok, incomplete or error; report paths and SHA-256s, device hashes, "
	         "custody head).  An examination that could not read everything (walk errors, "
	         "files not hashed, an empty walk) is never ok: its status is incomplete.\n\n"
	         "baseline: walk a known-good device or image read-only and write its manifest "
	         "(JSON lines, or a hashdeep known-file list) for a later `examine --baseline FILE`.\n\n"
	         "verify-log FILE: re-compute the hash chain of a custody log; print the entry count "
	         "and the head.  An edit of the last line shows only against a head recorded "
	         "outside the log: --expect-head, --report.\n\n"
	         "discover: print the device of each volume (by NVMe serial) as JSON, with what the "
	         "evidence manifest or the volume's tags say of it; reads nothing from the devices.",
	.opts = fx_opts,
	.epilog = "Exit status: examine 0 complete, 1 findings (with --fail-on-findings), 2 error, "
	          "3 incomplete (baseline too: the list was written with gaps); verify-log 0 intact (and the head matches --expect-head), 1 edited, truncated "
	          "or reordered, 2 error.  See docs/forensics.md.",
	.words = "examine baseline verify-log discover",
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
	int hashdeep;
	long wait_device;
	long max_memory_mib; /* 0: memcap_default() */
	char incident[32];   /* --incident 7 as the responder names it: INC-7 */
} args;

/* The parsed options as the examiner's arguments (pointing into c). */
static int to_args(const fx_cli *c, args *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof *a);
	if (c->volume.n > MAX_SOURCES || c->device.n > MAX_SOURCES) {
		snprintf(err, errlen, "at most %d volumes and %d devices", MAX_SOURCES, MAX_SOURCES);
		return -1;
	}
	for (size_t i = 0; i < c->volume.n; i++)
		a->volumes[a->nvol++] = c->volume.v[i];
	for (size_t i = 0; i < c->device.n; i++)
		a->devices[a->ndev++] = c->device.v[i];
	/* "7" and "INC-7" alike, as every command takes an incident; the
	 * manifest and the IncidentId tag hold the name */
	int64_t id = pb_incident_id(c->incident);
	if (id)
		snprintf(a->incident, sizeof a->incident, "INC-%lld", (long long)id);
	a->o.incident = id ? a->incident : c->incident;
	a->o.baseline = c->baseline;
	a->o.baseline_strip = c->baseline_strip;
	a->o.out_dir = a->o.out_file = c->out;
	a->o.custody_log = c->custody_log;
	a->o.examiner = c->examiner;
	a->o.partition = (int)c->partition;
	a->o.workers = (unsigned)c->workers;
	a->o.no_device_hash = !c->device_hash;
	a->o.hash_windows = c->hash_windows;
	a->o.timeline = (size_t)c->timeline;
	a->o.yara_scope = c->yara_scope;
	a->o.yara_shipped = c->yara_shipped;
	a->o.yara_shipped_dir = c->yara_shipped_dir;
	a->o.yara_rules = (const char *const *)c->yara_rules.v;
	a->o.nyara_rules = c->yara_rules.n;
	a->o.yara_max_file = (uint64_t)c->yara_max_file << 20;
	a->o.yara_timeout = (int)c->yara_timeout;
	a->o.window_hours = (unsigned)c->window_hours;
	a->o.window_max = (size_t)c->window_max;
	a->o.incident_time = INT64_MIN;
	if (c->incident_time && fx_utc_parse(c->incident_time, &a->o.incident_time)) {
		snprintf(err, errlen, "--incident-time '%.64s': not a UTC time like "
		         "2026-12-04T16:20:00Z", c->incident_time);
		return -1;
	}
	a->o.fail_on_findings = c->fail_on_findings;
	if (c->openssl_only)
		sha2x_set_accel(0);
	a->emanifest = c->emanifest;
	a->sysfs = c->sysfs_root;
	a->dev_root = c->dev_root;
	a->from_tags = c->from_tags;
	a->tags.instance_id = c->instance_id;
	a->tags.region = c->aws.region;
	a->tags.profile = c->aws.profile;
	a->tags.endpoint_url = c->aws.endpoint_url;
	a->tags.ca_bundle = c->aws.ca_bundle;
	a->o.anchor = (anchor_opts){c->evidence_bucket, c->aws.region, c->aws.endpoint_url,
	                            c->aws.ca_bundle};
	if (c->evidence_bucket && !aws_s3_bucket_ok(c->evidence_bucket)) {
		snprintf(err, errlen, "--evidence-bucket: '%.100s' is not an S3 bucket name (3-63 of "
		         "a-z 0-9 . -)", c->evidence_bucket);
		return -1;
	}
	a->expect = c->expect_head;
	a->report = c->report;
	a->o.progress = c->progress == 0 ? -1 : c->progress == 1 ? 1 : 0;
	a->hashdeep = c->format == 1;
	a->wait_device = (long)c->wait_device;
	a->max_memory_mib = (long)c->max_memory;
	return 0;
}

/* Parse a subcommand's argv (argv[0] is the subcommand): CMDLINE_OK with
 * a filled in and positionals in pos (after the subcommand), or the exit
 * status already decided in *rc. */
static int parse_args(int argc, char **argv, fx_cli *c, args *a, const char **pos, int *npos,
                      int *rc)
{
	char err[1024];
	if (opt_defaults(fx_opts, c, err, sizeof err) != SG_OK) {
		*rc = cmdline_usage_error(&forensics_command, err);
		return CMDLINE_ERROR;
	}
	if (!cmdline_begin(&forensics_command, c, argc, argv, pos, npos, rc))
		return *rc ? CMDLINE_ERROR : CMDLINE_HELP;
	if (to_args(c, a, err, sizeof err) != 0) {
		*rc = cmdline_usage_error(&forensics_command, err);
		return CMDLINE_ERROR;
	}
	return CMDLINE_OK;
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
			pb_incident_ref ref = {0}; /* a key names INC-N and its store */
			char name[24];
			bool key = pb_incident_id_parse(a->o.incident, strlen(a->o.incident), true, &ref,
			                                NULL, 0) == SG_OK && ref.store[0];
			if (key)
				pb_incident_name(ref.n, name, sizeof name);
			snprintf(err + n, errlen - n, " (or ask EC2 for the volumes tagged IncidentId=%s%s%s: "
			         "--from-tags)", key ? name : a->o.incident,
			         key ? " and ssrfguard:store=" : "", ref.store);
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
	fx_cli c = {0};
	args a;
	char err[1024] = "";
	const char **pos = calloc((size_t)argc + 1, sizeof *pos);
	int npos = 0, rc = 2;
	if (!pos || parse_args(argc, argv, &c, &a, pos, &npos, &rc) != CMDLINE_OK)
		goto out;
	rc = 2;
	if (npos > 0) {
		snprintf(err, sizeof err, "unexpected argument '%.64s'", pos[0]);
		rc = cmdline_usage_error(&forensics_command, err);
		goto out;
	}
	if (!a.o.out_dir) {
		rc = cmdline_usage_error(&forensics_command, "--out is required");
		goto out;
	}
	if (baseline) {
		a.o.hashdeep_format = a.hashdeep;
		a.o.no_device_hash = 1;
	}
	char *cmdline = join_argv(argc, argv);
	a.o.argv_text = cmdline;
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
out:
	opt_free(fx_opts, &c);
	free(pos);
	return rc;
}

static int verify_log(const args *a, const char *path);

static int run_verify(int argc, char **argv)
{
	fx_cli c = {0};
	args a;
	const char **pos = calloc((size_t)argc + 1, sizeof *pos);
	int npos = 0, rc = 2;
	if (pos && parse_args(argc, argv, &c, &a, pos, &npos, &rc) == CMDLINE_OK) {
		if (npos != 1)
			rc = cmdline_usage_error(&forensics_command, "verify-log takes one FILE");
		else
			rc = verify_log(&a, pos[0]);
	}
	opt_free(fx_opts, &c);
	free(pos);
	return rc;
}

static int verify_log(const args *a, const char *path)
{
	fx_custody_state st;
	fx_custody_anchor anchor;
	char err[1024] = "", head[FX_SHA256_HEX];
	if (a->report && custlog_anchor_from_file(a->report, &anchor, err, sizeof err)) {
		fail_json(err);
		return 2;
	}
	memset(&st, 0, sizeof st);
	sg_err rc = custlog_verify(path, a->report ? &anchor : NULL, &st, err, sizeof err);
	sg_hex_encode(st.head, FX_SHA256_LEN, head);
	if ((rc == SG_ERR_CORRUPT || rc == SG_ERR_PARSE) && !st.bad_line && a->report) {
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
	if (a->expect && strcmp(a->expect, head)) {
		printf("{\"status\":\"head-mismatch\",\"entries\":%llu,\"head\":\"%s\"}\n",
		       (unsigned long long)st.entries, head);
		fprintf(stderr, "ssrfguard forensics verify-log: the head is %s, expected %s: "
		        "entries were removed from the end or the log was replaced\n", head, a->expect);
		return 1;
	}
	printf("{\"status\":\"ok\",\"entries\":%llu,\"head\":\"%s\"}\n",
	       (unsigned long long)st.entries, head);
	return 0;
}

static int discover_print(const args *a);

static int run_discover(int argc, char **argv)
{
	fx_cli c = {0};
	args a;
	char err[1024] = "";
	const char **pos = calloc((size_t)argc + 1, sizeof *pos);
	int npos = 0, rc = 2;
	if (pos && parse_args(argc, argv, &c, &a, pos, &npos, &rc) == CMDLINE_OK) {
		rc = 2;
		if (npos > 0) {
			snprintf(err, sizeof err, "unexpected argument '%.64s'", pos[0]);
			rc = cmdline_usage_error(&forensics_command, err);
		} else if (resolve_sources(&a, err, sizeof err))
			fail_json(err);
		else
			rc = discover_print(&a);
		free_sources(&a.o);
	}
	opt_free(fx_opts, &c);
	free(pos);
	return rc;
}

static int discover_print(const args *pa)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < pa->o.nsrc; i++)
		json_array_append_new(arr, json_pack("{s:s,s:s?,s:O*}", "device", pa->o.src[i].device,
		                                     "volume_id", pa->o.src[i].volume_id,
		                                     "source", pa->o.src[i].info));
	json_t *o = json_pack("{s:s,s:o}", "status", "ok", "evidence", arr);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(o);
	return 0;
}

int cmd_forensics(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	if (!strcmp(sub, "examine"))
		return run_examine(argc - 1, argv + 1, 0);
	if (!strcmp(sub, "baseline"))
		return run_examine(argc - 1, argv + 1, 1);
	if (!strcmp(sub, "verify-log"))
		return run_verify(argc - 1, argv + 1);
	if (!strcmp(sub, "discover"))
		return run_discover(argc - 1, argv + 1);
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
		cmdline_help(&forensics_command, stdout);
		return 0;
	}
	char err[128];
	snprintf(err, sizeof err, argc > 1 ? "unknown subcommand '%.64s'" : "which subcommand? %s",
	         argc > 1 ? sub : "examine, baseline, verify-log or discover");
	return cmdline_usage_error(&forensics_command, err);
}
