/*
 * params.h — parameters of an AWS Query-protocol request (EC2, Auto Scaling,
 * ELB, ELBv2, IAM, STS, SNS) and their form encoding.
 *
 * A params list owns copies of its names and values.  Builders never fail
 * midway silently: the first failure is kept and returned by every later
 * call and by aws_params_encode(), so a caller may add many and check once.
 * Lists follow each protocol's convention, chosen by the caller through
 * the name it passes:
 *   EC2:   aws_params_add_list(p, "InstanceId", ...)       -> InstanceId.1=..
 *   Query: aws_params_add_list(p, "InstanceIds.member", ..) -> InstanceIds.member.1=..
 * Filters (EC2 Filter.N.Name / Filter.N.Value.M) have their own helper.
 */
#ifndef SG_AWS_PARAMS_H
#define SG_AWS_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/sigv4.h"
#include "ssrfguard/error.h"

struct aws_params;

struct aws_filter {
	const char *name;                /* e.g. "instance-id", "tag:Name" */
	const char *const *values;
	size_t nvalues;
};

struct aws_tag {
	const char *key;
	const char *value;
};

/* NULL on allocation failure. */
struct aws_params *aws_params_new(void);
void aws_params_free(struct aws_params *p);           /* NULL-safe */
struct aws_params *aws_params_dup(const struct aws_params *p);

/* Add name=value (value "" allowed, NULL is SG_ERR_INVAL). */
sg_err aws_params_add(struct aws_params *p, const char *name, const char *value);
/* Name from a printf format. */
sg_err aws_params_addf(struct aws_params *p, const char *value, const char *name_fmt, ...)
	__attribute__((format(printf, 3, 4)));
sg_err aws_params_add_bool(struct aws_params *p, const char *name, bool v);
sg_err aws_params_add_int(struct aws_params *p, const char *name, long long v);
/* prefix.1=values[0] ... prefix.n=values[n-1] */
sg_err aws_params_add_list(struct aws_params *p, const char *prefix,
                           const char *const *values, size_t n);
/* EC2 Filter.K.Name / Filter.K.Value.M, K counting on from earlier filters. */
sg_err aws_params_add_filters(struct aws_params *p, const struct aws_filter *f, size_t n);
/* prefix.N.Key / prefix.N.Value (e.g. "Tag" for EC2 CreateTags,
 * "Tags.member" for Query services). */
sg_err aws_params_add_tags(struct aws_params *p, const char *prefix,
                           const struct aws_tag *tags, size_t n);
/* Replace (or add) name's value. */
sg_err aws_params_set(struct aws_params *p, const char *name, const char *value);
/* Value of the first param called name, or NULL. */
const char *aws_params_get(const struct aws_params *p, const char *name);
sg_err aws_params_remove(struct aws_params *p, const char *name);

/* View as name/value pairs (valid until the next change). */
const struct aws_kv *aws_params_items(const struct aws_params *p, size_t *n);

/* The x-www-form-urlencoded body: RFC 3986 percent-encoding, names sorted
 * (byte order) so identical params always give identical bytes.
 * *out malloc'd, caller frees. */
sg_err aws_params_encode(const struct aws_params *p, char **out, size_t *len);

/* The first error any builder call met (SG_OK if none). */
sg_err aws_params_error(const struct aws_params *p);

#endif
