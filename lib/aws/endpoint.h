/*
 * endpoint.h — where each service lives and how it signs.
 *
 * Resolution order (the SDKs' "service-specific endpoints"):
 *   1. AWS_ENDPOINT_URL_<SERVICE_ID>  (EC2, AUTO_SCALING,
 *      ELASTIC_LOAD_BALANCING_V2, ELASTIC_LOAD_BALANCING, SSM, IAM, STS, SNS, S3, SQS,
 *      SSO)
 *   2. AWS_ENDPOINT_URL
 *   3. the public endpoint: https://{prefix}.{region}.amazonaws.com (.com.cn in
 *      China), IAM at its partition's endpoint (iam.amazonaws.com signed as
 *      us-east-1; iam.cn-north-1.amazonaws.com.cn as cn-north-1;
 *      iam.us-gov.amazonaws.com as us-gov-west-1), STS regional, the SSO
 *      portal at portal.sso.{region}.amazonaws.com.
 * The environment is passed in as a lookup function so this stays pure.
 */
#ifndef SG_AWS_ENDPOINT_H
#define SG_AWS_ENDPOINT_H

#include <stddef.h>

#include "ssrfguard/error.h"

enum aws_service {
	AWS_EC2 = 0,
	AWS_AUTOSCALING,
	AWS_ELBV2,
	AWS_ELB,
	AWS_SSM,
	AWS_IAM,
	AWS_STS,
	AWS_SNS,
	AWS_S3,
	AWS_SQS,
	AWS_DYNAMODB,
	AWS_SSO,        /* the IAM Identity Center portal (credentials only) */
	AWS__SERVICE_COUNT
};

enum aws_protocol {
	AWS_PROTO_EC2,     /* Query with Name.N lists, <item> replies, <Response><Errors> */
	AWS_PROTO_QUERY,   /* Query with Name.member.N, <member>, <ErrorResponse> */
	AWS_PROTO_JSON11,  /* X-Amz-Target + application/x-amz-json-1.1 */
	AWS_PROTO_JSON10,  /* the same with application/x-amz-json-1.0 (DynamoDB) */
	AWS_PROTO_REST_XML, /* S3: method + path, x-amz-content-sha256, <Error> */
	AWS_PROTO_REST_JSON, /* the SSO portal: a bearer token, never SigV4 */
};

struct aws_service_info {
	const char *name;          /* "ec2", "autoscaling", ... (for messages) */
	const char *signing_name;  /* SigV4 service */
	const char *env_id;        /* suffix of AWS_ENDPOINT_URL_<...> */
	const char *api_version;   /* Query Version= ("" for JSON) */
	const char *json_prefix;   /* X-Amz-Target prefix ("AmazonSSM"), JSON only */
	enum aws_protocol proto;
	int global;                /* signs in us-east-1 on one global endpoint */
};

const struct aws_service_info *aws_service_info(enum aws_service svc);

typedef const char *(*aws_getenv_fn)(const char *name);

/*
 * Endpoint URL (no trailing '/') into url[urllen] and the signing region
 * into sign_region[rlen] for svc in region.  override, if non-NULL, beats
 * the environment (an explicit --endpoint-url).  getenv may be NULL.
 * SG_ERR_INVAL: region missing/bad (only [a-z0-9-]), URL not http(s);
 * SG_ERR_RANGE: does not fit.
 */
sg_err aws_endpoint_resolve(enum aws_service svc, const char *region, const char *override,
                            aws_getenv_fn getenv_fn, char *url, size_t urllen,
                            char *sign_region, size_t rlen);

#endif
