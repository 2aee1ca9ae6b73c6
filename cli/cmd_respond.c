/* cmd_respond.c — `ssrfguard respond`: contain and preserve instances. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "respond/deliver.h"
#include "respond/listen.h"
#include "respond/respond.h"
#include "respond/respond_cli.h"
#include "store/store.h"

static const char usage_text[] =
	"usage: ssrfguard respond [OPTIONS]\n"
	"\n"
	"Contain and preserve EC2 instances for SSRF incidents: runs the playbook\n"
	"(record, tag, imds, revoke, preserve, asg, lb, snapshot, capture, isolate,\n"
	"strip, forensics, finish) against AWS, durably: kill it at any moment and\n"
	"run it again, it continues where it stopped and repeats nothing.\n"
	"\n"
	"What to run (default: a daemon that claims open incidents from the store):\n"
	"  --instance ID           open an incident for instance ID and run it now,\n"
	"                          printing each step\n"
	"  --incident N            run (or resume) incident N now\n"
	"  --once                  run every claimable incident, then exit\n"
	"  --listen ADDR:PORT      also accept signed incidents from detectors over\n"
	"                          HTTPS (needs --key-file, --tls-cert, --tls-key)\n"
	"  --deliver-to URL        detector side: send this host's open incidents to\n"
	"                          a remote responder (https://HOST:PORT/v1/incidents)\n"
	"                          signed with --key-file, retrying until acknowledged;\n"
	"                          --ca-bundle verifies it; --detector NAME names us\n"
	"  --preflight             with --instance: check every changing call of the\n"
	"                          plan (EC2 with DryRun, the rest with IAM's policy\n"
	"                          simulator) and print what the role lacks, by step;\n"
	"                          no changes; exit 1 when something is denied\n"
	"  --observe               record and plan only; change nothing\n"
	"\n"
	"Playbook:\n"
	"  --forensic-instance ID  where evidence volumes are attached (else skipped)\n"
	"  --quarantine-group SG   use this group in its VPC (default: found or\n"
	"                          created per VPC, tagged ssrfguard:role=quarantine)\n"
	"  --quarantine-profile ARN  replace the profile instead of removing it\n"
	"  --skip STEP             turn a step off (repeatable; not record/finish)\n"
	"  --order LIST            a full comma-separated order (checked against the\n"
	"                          ordering invariants)\n"
	"  --decrement-desired     let the ASG shrink instead of replacing the instance\n"
	"  --asg-standby           EnterStandby instead of detaching: kept in its group,\n"
	"                          not health-checked, undone by ExitStandby on release\n"
	"  --no-conntrack          do not shorten connection-tracking timeouts\n"
	"  --ticket TEXT           InvestigationTicket tag value (SSRF_Detected)\n"
	"  --capture-cmd CMD       a volatile-capture command (repeatable; replaces\n"
	"                          the built-in list)\n"
	"  --capture-timeout S     the longest capture may delay isolation (60)\n"
	"  --evidence-bucket NAME  S3 bucket for the whole SSM output (OutputS3BucketName),\n"
	"                          hashed from the object; without it only the first\n"
	"                          24,000 characters exist and are marked truncated\n"
	"  --forensics-cmd CMD     forensic command (ssrfguard forensics examine)\n"
	"  --baseline FILE         --baseline passed to the forensic command\n"
	"\n"
	"Notify and report:\n"
	"  --webhook URL           POST JSON at start, on failures and at the end\n"
	"  --sns-topic ARN         also publish to SNS\n"
	"  --report-dir DIR        write INC-N.json and INC-N.md there\n"
	"\n"
	"Runtime:\n"
	"  --store PATH            incident store (default $SSRFGUARD_STORE or\n"
	"                          /var/lib/ssrfguard/incidents.db)\n"
	"  --config FILE           read options from FILE: one 'name value' per line\n"
	"                          (option names without --; # comments)\n"
	"  --parallel N            incidents at once (4)\n"
	"  --owner NAME            lease owner id (default respond:HOST:PID)\n"
	"  --lease-ms N            claim lease (60000)\n"
	"  --region R, --endpoint-url URL, --ca-bundle FILE   AWS client\n"
	"  --aws-max-attempts N, --aws-backoff-ms N           AWS retries\n"
	"  --step-attempts N, --step-backoff-ms N             step retries (3, 1000)\n"
	"  --poll-ms N             interval of every wait (1000)\n"
	"  --imds-wait S, --asg-wait S, --snapshot-wait S     wait limits\n"
	"  --key-file F            shared HMAC key for --listen (>= 16 bytes)\n"
	"  --tls-cert F, --tls-key F   certificate and key for --listen\n"
	"  -q, --quiet             do not print steps\n"
	"  -h, --help\n"
	"\n"
	"Exit status: 0 contained (or observed, merged, already contained), 1 the\n"
	"playbook ended partial or failed, 2 usage or setup error, 3 the incident is\n"
	"held by another responder's lease.\n"
	"\n"
	"Environment: the standard AWS variables (AWS_REGION, AWS_ACCESS_KEY_ID,\n"
	"AWS_PROFILE, AWS_ENDPOINT_URL, ...).  See docs/respond.md.\n";

static volatile int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void print_progress(void *ctx, int64_t incident, const char *line)
{
	(void)ctx;
	char ts[16];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof ts, "%H:%M:%S", &tm);
	printf("%s INC-%lld %s\n", ts, (long long)incident, line);
	fflush(stdout);
}

int cmd_respond(int argc, char **argv)
{
	respond_cli o;
	respond_cli_init(&o);
	char msg[512];
	int rc = respond_cli_parse(&o, argc, argv, msg, sizeof msg);
	if (rc == 1) {
		fputs(usage_text, stdout);
		respond_cli_free(&o);
		return 0;
	}
	if (rc) {
		fprintf(stderr, "ssrfguard respond: %s\n%s", msg,
		        "Try 'ssrfguard respond --help'.\n");
		respond_cli_free(&o);
		return 2;
	}
	if (!o.quiet) {
		o.cfg.progress = print_progress;
		o.cfg.progress_ctx = NULL;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT); /* before any worker thread */
	responder *r = NULL;
	if (respond_new(&o.cfg, &r, msg, sizeof msg)) {
		fprintf(stderr, "ssrfguard respond: %s\n", msg);
		respond_cli_free(&o);
		return 2;
	}
	int status = 0;
	if (o.deliver_to) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sg_err err = respond_deliver_loop(&o.deliver_cfg, &stop_flag, o.once, msg, sizeof msg);
		if (err)
			fprintf(stderr, "ssrfguard respond: --deliver-to: %s\n", msg);
		status = err ? 2 : 0;
	} else if (o.preflight) {
		sg_err err = respond_preflight(r, o.instance, stdout);
		status = err == SG_OK ? 0 : 1;
	} else if (o.instance || o.incident) {
		int64_t id = o.incident;
		sg_err err = SG_OK;
		if (o.instance) {
			err = respond_open_manual(r, o.instance, o.cfg.region, "respond --instance", &id);
			if (err)
				fprintf(stderr, "ssrfguard respond: cannot open an incident: %s\n", sg_strerror(err));
		}
		char outcome[32] = "";
		if (!err)
			err = respond_run_incident(r, id, outcome, sizeof outcome);
		if (err == SG_ERR_STATE && o.instance) {
			/* the instance's incident had failed (or was only observed): an
			 * operator asking again means "run it again" */
			char actor[96];
			const char *u = getenv("USER");
			snprintf(actor, sizeof actor, "operator:%s", u && *u ? u : "unknown");
			if (respond_retry(r, id, actor, msg, sizeof msg) == SG_OK)
				err = respond_run_incident(r, id, outcome, sizeof outcome);
		}
		if (err == SG_ERR_BUSY) {
			/* another responder (or a killed run of this one) holds the lease */
			store *st = NULL;
			store_incident inc = {0};
			if (store_open(o.cfg.store_path, NULL, &st, msg, sizeof msg) == SG_OK &&
			    store_get(st, id, &inc) == SG_OK) {
				long long left = (long long)(inc.lease_until_ms - (int64_t)time(NULL) * 1000) / 1000;
				fprintf(stderr,
				        "ssrfguard respond: INC-%lld is held by %s for %lld more second(s); run "
				        "again then (a killed run's lease expires), or with --owner %s if that "
				        "run is dead\n",
				        (long long)id, inc.lease_owner, left > 0 ? left : 0, inc.lease_owner);
				store_incident_free(&inc);
			} else
				fprintf(stderr, "ssrfguard respond: INC-%lld: %s\n", (long long)id, sg_strerror(err));
			store_close(st);
			status = 3;
		} else if (err) {
			fprintf(stderr, "ssrfguard respond: INC-%lld: %s\n", (long long)id, sg_strerror(err));
			status = 1;
		} else {
			printf("INC-%lld %s\n", (long long)id, outcome);
			if (o.cfg.report_dir)
				printf("report: %s/INC-%lld.md\n", o.cfg.report_dir, (long long)id);
			status = !strcmp(outcome, "contained") || !strcmp(outcome, "observed") ||
			                 !strcmp(outcome, "merged") || !strcmp(outcome, "already contained")
			                 ? 0
			                 : 1;
		}
	} else {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		respond_listener *l = NULL;
		if (o.listen) {
			if (respond_listen_start(&o.listen_cfg, &l, msg, sizeof msg)) {
				fprintf(stderr, "ssrfguard respond: --listen: %s\n", msg);
				respond_free(r);
				respond_cli_free(&o);
				return 2;
			}
			fprintf(stderr, "respond: listening on %s\n", o.listen);
		}
		sg_err err = respond_loop(r, &stop_flag, o.once && !o.listen);
		respond_listen_stop(l);
		status = err ? 1 : 0;
	}
	respond_free(r);
	respond_cli_free(&o);
	return status;
}
