/* cmd_aws.c — `ssrfguard aws`: operator views of AWS (whoami, instance ID). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "aws/asg.h"
#include "aws/aws.h"
#include "aws/ec2.h"
#include "aws/elb.h"
#include "aws/sts.h"
#include "commands.h"

static void usage(FILE *to)
{
	fprintf(to,
	        "usage: ssrfguard aws [OPTIONS] whoami\n"
	        "       ssrfguard aws [OPTIONS] instance [--json] INSTANCE_ID\n\n"
	        "Operator views of AWS through ssrfguard's own client.\n\n"
	        "  whoami              the caller's account, ARN and user id (STS GetCallerIdentity)\n"
	        "  instance ID         what the responder sees of an instance: state, network\n"
	        "                      interfaces and their security groups, volumes, instance\n"
	        "                      profile and association, Auto Scaling group, target\n"
	        "                      groups and classic load balancers, metadata options\n\n"
	        "options:\n"
	        "  --region R          region (else AWS_REGION, AWS_DEFAULT_REGION, the profile,\n"
	        "                      or instance metadata)\n"
	        "  --profile P         shared-file profile (else AWS_PROFILE or default)\n"
	        "  --endpoint-url URL  one endpoint for every service (else AWS_ENDPOINT_URL_<SVC>,\n"
	        "                      AWS_ENDPOINT_URL, or AWS)\n"
	        "  --ca-bundle FILE    trust these CAs for HTTPS (else AWS_CA_BUNDLE, the system)\n"
	        "  --json              (instance) print the view as JSON\n"
	        "  -v, --verbose       log each API attempt to stderr (never a secret)\n"
	        "  -h, --help          this help\n\n"
	        "Credentials come from the SDKs' chain: environment, shared files, container\n"
	        "endpoint, instance metadata (IMDSv2).  AWS_MAX_ATTEMPTS bounds retries.\n"
	        "Exit status: 0 ok, 1 not found, 2 error.\n");
}

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

static int whoami(struct aws_client *c)
{
	struct aws_caller_identity id;
	struct aws_error e;
	sg_err rc = aws_sts_get_caller_identity(c, &id, &e);
	if (rc)
		return report("GetCallerIdentity", rc, &e);
	printf("account  %s\narn      %s\nuser_id  %s\nregion   %s\n", id.account, id.arn,
	       id.user_id, aws_client_region(c));
	return 0;
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

static int instance(struct aws_client *c, const char *id, int json)
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

int cmd_aws(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"region", required_argument, NULL, 'r'},
		{"profile", required_argument, NULL, 'p'},
		{"endpoint-url", required_argument, NULL, 'e'},
		{"ca-bundle", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct aws_client_opts o = {0};
	int json = 0, opt;
	optind = 0; /* full getopt re-initialisation: options may follow the subcommand */
	while ((opt = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': o.region = optarg; break;
		case 'p': o.profile = optarg; break;
		case 'e': o.endpoint_url = optarg; break;
		case 'c': o.ca_bundle = optarg; break;
		case 'j': json = 1; break;
		case 'v': o.log = log_stderr; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	const char *sub = argv[optind++];
	int want_args = !strcmp(sub, "whoami") ? 0 : !strcmp(sub, "instance") ? 1 : -1;
	if (want_args < 0 || argc - optind != want_args) {
		usage(stderr);
		return 2;
	}
	struct aws_client *c = NULL;
	struct aws_error e;
	sg_err rc = aws_client_new(&o, &c, &e);
	if (rc)
		return report("client", rc, &e);
	int status = want_args == 0 ? whoami(c) : instance(c, argv[optind], json);
	aws_client_free(c);
	return status;
}
