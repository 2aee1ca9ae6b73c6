/* cmd_aws.c — `ssrfguard aws`: operator views of AWS (whoami, instance ID). */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/asg.h"
#include "aws/aws.h"
#include "aws/ec2.h"
#include "aws/elb.h"
#include "aws/sts.h"
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
	         "whoami: the caller's account, ARN and user id (STS GetCallerIdentity) and the "
	         "region.\n\n"
	         "instance ID: what the responder sees of an instance: state, network interfaces and "
	         "their security groups, volumes, instance profile and association, Auto Scaling "
	         "group, target groups and classic load balancers, metadata options.",
	.opts = aws_opts,
	.epilog = "Credentials come from the SDKs' chain: environment, shared files, container "
	          "endpoint, instance metadata (IMDSv2).  AWS_MAX_ATTEMPTS bounds retries.\n\n"
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

static int whoami(struct aws_client *c, bool json)
{
	struct aws_caller_identity id;
	struct aws_error e;
	sg_err rc = aws_sts_get_caller_identity(c, &id, &e);
	if (rc)
		return report("GetCallerIdentity", rc, &e);
	if (!json) {
		printf("account  %s\narn      %s\nuser_id  %s\nregion   %s\n", id.account, id.arn,
		       id.user_id, aws_client_region(c));
		return 0;
	}
	json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "account", id.account, "arn", id.arn, "user_id",
	                      id.user_id, "region", aws_client_region(c));
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
	const struct aws_instance_view *v = ctx;
	return !strcmp(target_id, v->instance_id) || aws_instance_view_has_address(v, target_id);
}

static sg_err registration(void *ctx, const struct aws_lb_registration *reg)
{
	return aws_instance_view_add_target(ctx, reg->kind, reg->lb, reg->target_id, reg->state,
	                                    reg->port);
}

/* Every target group and classic load balancer holding the instance (the
 * scan the responder's record step makes too).  A refused scan is a
 * warning: the rest of the view still stands. */
static sg_err add_target_groups(struct aws_client *c, struct aws_instance_view *v)
{
	struct aws_error e;
	sg_err rc = aws_elb_find_registrations(c, v->instance_id, is_ours, registration, v, &e);
	if (rc == SG_ERR_NOMEM || rc == SG_ERR_RANGE)
		return rc;
	if (rc)
		warn("load balancer scan", rc, &e);
	return SG_OK;
}

static void print_groups(const struct aws_group_ref *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%s%s (%s)", i ? ", " : "", g[i].id, g[i].name);
	if (!n)
		printf("-");
	putchar('\n');
}

static void print_view(const struct aws_instance_view *v)
{
	printf("instance        %s\n", v->instance_id);
	printf("state           %s\n", v->state);
	printf("type            %s  image %s  launched %s\n", v->instance_type, v->image_id,
	       v->launch_time);
	printf("placement       %s  vpc %s  subnet %s\n", v->az, v->vpc_id, v->subnet_id);
	printf("addresses       private %s  public %s\n", v->private_ip,
	       v->public_ip[0] ? v->public_ip : "-");
	printf("groups          ");
	print_groups(v->groups, v->ngroups);
	printf("profile         %s", v->iam_profile_arn[0] ? v->iam_profile_arn : "-");
	if (v->iam_association_id[0])
		printf("  association %s", v->iam_association_id);
	putchar('\n');
	printf("metadata        tokens %s  endpoint %s  hop-limit %d  tags %s  (%s)\n",
	       v->md_http_tokens, v->md_http_endpoint, v->md_hop_limit, v->md_instance_tags,
	       v->md_state);
	printf("auto scaling    %s\n", v->asg_name[0] ? v->asg_name : "-");
	for (size_t i = 0; i < v->nenis; i++) {
		const struct aws_eni_view *e = &v->enis[i];
		printf("eni %d           %s  %s  subnet %s  ip %s%s%s  delete-on-termination %s\n",
		       e->device_index, e->id, e->attachment_id, e->subnet_id, e->private_ip,
		       e->public_ip[0] ? " public " : "", e->public_ip,
		       e->delete_on_termination ? "yes" : "no");
		printf("  groups        ");
		print_groups(e->groups, e->ngroups);
		if (e->naddresses > 1) {
			printf("  addresses    ");
			for (size_t k = 0; k < e->naddresses; k++)
				printf(" %s", e->addresses[k]);
			putchar('\n');
		}
	}
	for (size_t i = 0; i < v->nvolumes; i++) {
		const struct aws_volume_view *x = &v->volumes[i];
		printf("volume          %s  %s  %s  %d GiB %s  delete-on-termination %s%s\n",
		       x->device_name, x->volume_id, x->status, x->size_gib, x->volume_type,
		       x->delete_on_termination ? "yes" : "no",
		       !strcmp(x->device_name, v->root_device_name) ? "  (root)" : "");
	}
	for (size_t i = 0; i < v->ntargets; i++) {
		const struct aws_target_view *t = &v->targets[i];
		printf("target          %s %s  %s", t->kind, t->name, t->target_id);
		if (t->port)
			printf(" port %d", t->port);
		if (t->state[0])
			printf(" %s", t->state);
		putchar('\n');
	}
	for (size_t i = 0; i < v->ntags; i++)
		printf("tag             %s=%s\n", v->tags[i].key, v->tags[i].value);
}

static int instance(struct aws_client *c, const char *id, bool json)
{
	struct aws_instance_view *v = NULL;
	struct aws_error e;
	sg_err rc = aws_ec2_instance_view(c, id, &v, &e);
	if (rc)
		return report(id, rc, &e);
	struct aws_xml *asg = NULL;
	rc = aws_asg_describe_instances(c, &id, 1, &asg, &e);
	if (rc)
		warn("DescribeAutoScalingInstances", rc, &e);
	else
		rc = aws_instance_view_merge_asg(v, asg);
	aws_xml_free(asg);
	rc = add_target_groups(c, v);
	int status = 0;
	if (rc) {
		fprintf(stderr, "ssrfguard aws: %s\n", sg_strerror(rc));
		status = 2;
	} else if (json) {
		char *text = NULL;
		rc = aws_instance_view_json(v, &text);
		if (rc)
			status = 2;
		else
			printf("%s\n", text);
		free(text);
	} else {
		print_view(v);
	}
	aws_instance_view_free(v);
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
