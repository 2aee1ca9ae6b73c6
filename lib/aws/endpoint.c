/* endpoint.c — service table and endpoint resolution (see endpoint.h). */
#include "aws/endpoint.h"

static const struct aws_service_info services[AWS__SERVICE_COUNT] = {
	[AWS_EC2] = {"ec2", "ec2", "EC2", "2016-11-15", "", AWS_PROTO_EC2, 0},
	[AWS_AUTOSCALING] = {"autoscaling", "autoscaling", "AUTO_SCALING", "2011-01-01", "",
	                     AWS_PROTO_QUERY, 0},
	[AWS_ELBV2] = {"elasticloadbalancing", "elasticloadbalancing",
	               "ELASTIC_LOAD_BALANCING_V2", "2015-12-01", "", AWS_PROTO_QUERY, 0},
	[AWS_ELB] = {"elasticloadbalancing", "elasticloadbalancing", "ELASTIC_LOAD_BALANCING",
	             "2012-06-01", "", AWS_PROTO_QUERY, 0},
	[AWS_SSM] = {"ssm", "ssm", "SSM", "", "AmazonSSM", AWS_PROTO_JSON11, 0},
	[AWS_IAM] = {"iam", "iam", "IAM", "2010-05-08", "", AWS_PROTO_QUERY, 1},
	[AWS_STS] = {"sts", "sts", "STS", "2011-06-15", "", AWS_PROTO_QUERY, 0},
	[AWS_SNS] = {"sns", "sns", "SNS", "2010-03-31", "", AWS_PROTO_QUERY, 0},
	[AWS_S3] = {"s3", "s3", "S3", "", "", AWS_PROTO_REST_XML, 0},
	[AWS_SQS] = {"sqs", "sqs", "SQS", "2012-11-05", "", AWS_PROTO_QUERY, 0},
	[AWS_DYNAMODB] = {"dynamodb", "dynamodb", "DYNAMODB", "", "DynamoDB_20120810",
	                  AWS_PROTO_JSON10, 0},
	[AWS_SSO] = {"sso", "awsssoportal", "SSO", "", "", AWS_PROTO_REST_JSON, 0},
};

const struct aws_service_info *aws_service_info(enum aws_service svc)
{
	if ((unsigned)svc >= AWS__SERVICE_COUNT)
		return NULL;
	return &services[svc];
}

static int valid_region(const char *r)
{
	if (!r || !*r || strlen(r) > 32)
		return 0;
	for (; *r; r++)
		if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') || *r == '-'))
			return 0;
	return 1;
}

static int valid_url(const char *u)
{
	if (strncmp(u, "https://", 8) && strncmp(u, "http://", 7))
		return 0;
	for (; *u; u++)
		if ((unsigned char)*u <= ' ' || *u == 0x7f)
			return 0;
	return 1;
}

sg_err aws_endpoint_resolve(enum aws_service svc, const char *region, const char *override,
                            aws_getenv_fn getenv_fn, char *url, size_t urllen, char *sign_region,
                            size_t rlen)
{
	const struct aws_service_info *si = aws_service_info(svc);
	if (!si || !url || !urllen || !sign_region || !rlen)
		return SG_ERR_INVAL;
	url[0] = sign_region[0] = '\0';
	if (!valid_region(region))
		return SG_ERR_INVAL;
	const char *chosen = override && *override ? override : NULL;
	if (!chosen && getenv_fn) {
		char name[96];
		snprintf(name, sizeof name, "AWS_ENDPOINT_URL_%s", si->env_id);
		chosen = getenv_fn(name);
		if (!chosen || !*chosen)
			chosen = getenv_fn("AWS_ENDPOINT_URL");
		if (chosen && !*chosen)
			chosen = NULL;
	}
	int n;
	if (chosen) {
		if (!valid_url(chosen))
			return SG_ERR_INVAL;
		size_t l = strlen(chosen);
		while (l > 0 && chosen[l - 1] == '/')
			l--;
		n = snprintf(url, urllen, "%.*s", (int)l, chosen);
	} else if (si->global) {
		/* IAM has one endpoint per partition (botocore endpoints.json:
		 * aws iam.amazonaws.com, aws-cn iam.cn-north-1.amazonaws.com.cn,
		 * aws-us-gov iam.us-gov.amazonaws.com) */
		if (!strncmp(region, "cn-", 3))
			n = snprintf(url, urllen, "https://%s.cn-north-1.amazonaws.com.cn",
			             si->signing_name);
		else if (!strncmp(region, "us-gov-", 7))
			n = snprintf(url, urllen, "https://%s.us-gov.amazonaws.com", si->signing_name);
		else
			n = snprintf(url, urllen, "https://%s.amazonaws.com", si->signing_name);
	} else {
		const char *prefix = svc == AWS_AUTOSCALING ? "autoscaling"
		                     : svc == AWS_SSO       ? "portal.sso"
		                                            : si->name;
		n = snprintf(url, urllen, "https://%s.%s.amazonaws.com", prefix, region);
		if (!strncmp(region, "cn-", 3) && n > 0 && (size_t)n < urllen)
			n = snprintf(url, urllen, "https://%s.%s.amazonaws.com.cn", prefix, region);
	}
	if (n < 0 || (size_t)n >= urllen) {
		url[0] = '\0';
		return SG_ERR_RANGE;
	}
	/* IAM signs in the partition's home region wherever it is reached. */
	const char *sr = si->global ? (!strncmp(region, "cn-", 3) ? "cn-north-1"
	                               : !strncmp(region, "us-gov-", 7) ? "us-gov-west-1"
	                                                                : "us-east-1")
	                            : region;
	n = snprintf(sign_region, rlen, "%s", sr);
	if (n < 0 || (size_t)n >= rlen)
		return SG_ERR_RANGE;
	return SG_OK;
}
