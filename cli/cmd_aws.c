/* cmd_aws.c — `ssrfguard aws`: operator views of AWS (whoami, instance ID). */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/asg.h"
#include "aws/aws.h"
#include "aws/ec2.h"
#include "aws/elb.h"
#include "aws/sts.h"
#include "aws_view.h"
#include "commands.h"
#include "opt/cmdline.h"

typedef struct aws_cli {
	cmdline_aws aws;
	bool json, verbose;
} aws_cli;

#define AT(f) .off = offsetof(aws_cli, f)
static const opt_def aws_opts[] = {
	CMDLINE_AWS_ROWS(aws_cli, aws),
	{.type = OPT_SWITCH, .name = "json", .dflt = "off", AT(json),
	 .help = "print the answer as one JSON object"},
	{.type = OPT_SWITCH, .name = "verbose", .short_name = 'v', .dflt = "off", AT(verbose),
	 .help = "log each API attempt to stderr (never a secret)"},
	{.type = OPT_END},
};
#undef AT

const opt_command aws_command = {
	.name = "aws",
	.synopsis = "[OPTIONS] whoami\n[OPTIONS] instance INSTANCE_ID",
	.summary = "operator views of AWS: whoami, instance ID",
	.about = "Operator views of AWS through ssrfguard's own client.\n\n"
	         "whoami: the caller's account, ARN and user id (STS GetCallerIdentity), the "
	         "region, where the credentials came from and when they expire.\n\n"
	         "instance ID: what the responder sees of an instance: state, network interfaces and "
	         "their security groups, volumes, instance profile and association, Auto Scaling "
	         "group, target groups and classic load balancers, metadata options.",
	.opts = aws_opts,
	.epilog = "Credentials come from the SDKs' chain: environment keys, web identity "
	          "(AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN), the profile (role_arn, IAM Identity "
	          "Center, keys, credential_process), the container endpoint (ECS, EKS Pod "
	          "Identity), instance metadata (IMDSv2).  AWS_MAX_ATTEMPTS bounds retries.\n\n"
	          "Exit status: 0 ok, 1 not found, 2 error.",
	.words = "whoami instance",
};

static void log_stderr(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "%s\n", line);
}

static int report(const char *what, sg_err rc, const struct aws_error *e)
{
	fprintf(stderr, "ssrfguard aws: %s: %s", what, sg_strerror(rc));
	if (e->code[0])
		fprintf(stderr, " [%s]", e->code);
	if (e->message[0])
		fprintf(stderr, ": %s", e->message);
	if (e->request_id[0])
		fprintf(stderr, " (request id %s)", e->request_id);
	fputc('\n', stderr);
	return rc == SG_ERR_NOTFOUND ? 1 : 2;
}

static void format_time(long long t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!t || !gmtime_r(&tt, &tm) || !strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, cap, "never");
}

static int whoami(struct aws_client *c, bool json)
{
	struct aws_caller_identity id;
	struct aws_error e;
	sg_err rc = aws_sts_get_caller_identity(c, &id, &e);
	if (rc)
		return report("GetCallerIdentity", rc, &e);
	char origin[320], expires[32];
	long long exp = 0;
	aws_client_credentials_origin(c, origin, sizeof origin, &exp);
	format_time(exp, expires, sizeof expires);
	if (!json) {
		printf("account      %s\narn          %s\nuser_id      %s\nregion       %s\n"
		       "credentials  %s\nexpires      %s\n",
		       id.account, id.arn, id.user_id, aws_client_region(c), origin, expires);
		return 0;
	}
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "account", id.account, "arn", id.arn,
	                      "user_id", id.user_id, "region", aws_client_region(c), "credentials",
	                      origin, "expires", expires);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (text)
		puts(text);
	free(text);
	json_decref(o);
	return text ? 0 : 2;
}

static void warn(const char *what, sg_err rc, const struct aws_error *e)
{
	fprintf(stderr, "ssrfguard aws: warning: %s: %s%s%s\n", what, sg_strerror(rc),
	        e->code[0] ? " " : "", e->code);
}

static bool is_ours(void *ctx, const char *target_id)
{
	return pb_instance_matches_target(ctx, target_id);
}

static sg_err registration(void *ctx, const struct aws_lb_registration *reg)
{
	return pb_instance_add_registration(ctx, reg->kind, reg->lb, reg->target_id, reg->port,
	                                    reg->az, reg->state);
}

/* Every target group and classic load balancer holding the instance (the
 * scan the responder's record step makes too).  A refused scan is a
 * warning: the rest of the view still stands. */
static sg_err add_target_groups(struct aws_client *c, pb_instance *v)
{
	struct aws_error e;
	sg_err rc = aws_elb_find_registrations(c, v->id, is_ours, registration, v, &e);
	if (rc == SG_ERR_NOMEM || rc == SG_ERR_RANGE)
		return rc;
	if (rc)
		warn("load balancer scan", rc, &e);
	return SG_OK;
}

static int instance(struct aws_client *c, const char *id, bool json)
{
	pb_instance *v = NULL;
	struct aws_error e;
	sg_err rc = aws_ec2_instance_view(c, id, &v, &e);
	if (rc)
		return report(id, rc, &e);
	struct aws_xml *asg = NULL;
	rc = aws_asg_describe_instances(c, &id, 1, &asg, &e);
	if (rc)
		warn("DescribeAutoScalingInstances", rc, &e);
	else
		rc = pb_instance_merge_asg(v, asg);
	aws_xml_free(asg);
	rc = add_target_groups(c, v);
	int status = 0;
	if (rc) {
		fprintf(stderr, "ssrfguard aws: %s\n", sg_strerror(rc));
		status = 2;
	} else if (json) {
		status = aws_view_print_json(v) ? 2 : 0;
	} else {
		aws_view_print(v);
	}
	pb_instance_free(v);
	return status;
}

static int run(const aws_cli *a, const char *instance_id)
{
	struct aws_client_opts o = {.region = a->aws.region, .profile = a->aws.profile,
	                            .endpoint_url = a->aws.endpoint_url, .ca_bundle = a->aws.ca_bundle,
	                            .log = a->verbose ? log_stderr : NULL};
	struct aws_client *c = NULL;
	struct aws_error e;
	sg_err rc = aws_client_new(&o, &c, &e);
	if (rc)
		return report("client", rc, &e);
	int status = instance_id ? instance(c, instance_id, a->json) : whoami(c, a->json);
	aws_client_free(c);
	return status;
}

int cmd_aws(int argc, char **argv)
{
	aws_cli a = {0};
	char err[512];
	int npos = 0, rc = 2;
	const char **pos = calloc((size_t)argc + 1, sizeof *pos);
	if (!pos || opt_defaults(aws_opts, &a, err, sizeof err) != SG_OK) {
		fprintf(stderr, "ssrfguard aws: out of memory\n");
		goto out;
	}
	if (!cmdline_begin(&aws_command, &a, argc, argv, pos, &npos, &rc))
		goto out;
	if (npos == 1 && !strcmp(pos[0], "whoami"))
		rc = run(&a, NULL);
	else if (npos == 2 && !strcmp(pos[0], "instance"))
		rc = run(&a, pos[1]);
	else
		rc = cmdline_usage_error(&aws_command, npos ? "want whoami, or instance INSTANCE_ID"
		                                             : "which view? whoami or instance");
out:
	opt_free(aws_opts, &a);
	free(pos);
	return rc;
}
