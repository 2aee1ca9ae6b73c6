/*
 * ec2_int.h — what the typed EC2 calls share (src/aws internal): each
 * wrapper fills its params and run() calls and frees them; the files are
 * split by what they act on:
 *
 *   ec2.c          instances: describe, attributes, metadata options, tags,
 *                  launch templates, instance profiles, console
 *   ec2_network.c  ENIs, security groups and their rules, Elastic IPs
 *   ec2_storage.c  snapshots (create, copy, share) and volumes
 *
 * ec2.h is the manual of every call.
 */
#ifndef SG_SRC_AWS_EC2_INT_H
#define SG_SRC_AWS_EC2_INT_H

#include "aws/answers.h"
#include "aws/ec2.h"

/* Each wrapper fills params, and this calls and frees them. */
static inline sg_err run(struct aws_client *c, const char *action, const char *target,
                  struct aws_params *p, unsigned flags, struct aws_xml **reply,
                  struct aws_error *err)
{
	return aws_query_take(c, AWS_EC2, action, target, p, flags, reply, err);
}

static inline struct aws_params *with_ids(const char *prefix, const char *const *ids, size_t n,
                                   const struct aws_filter *f, size_t nf)
{
	struct aws_params *p = aws_params_new();
	if (!p)
		return NULL;
	if (n)
		aws_params_add_list(p, prefix, ids, n);
	if (nf)
		aws_params_add_filters(p, f, nf);
	return p;
}

/* What a describe call is about, for the observer: its one id, else the
 * value of its first filter (a VPC, an incident tag), else nothing. */
static inline const char *about(const char *const *ids, size_t n, const struct aws_filter *f, size_t nf)
{
	if (n == 1)
		return ids[0];
	if (nf && f[0].nvalues)
		return f[0].values[0];
	return NULL;
}

#define NEED(p)                          \
	do {                                 \
		if (!(p))                        \
			return SG_ERR_NOMEM;         \
	} while (0)

/* The new resource's id at path of r into dst[dstlen] (answers.h). */
static inline sg_err copy_out(const struct aws_xml *r, const char *path, char *dst, size_t dstlen,
                       struct aws_error *err)
{
	if (!dst)
		return SG_OK;
	sg_err rc = aws_answer_id(r, path, dst, dstlen);
	if (rc)
		aws_error_set(err, NULL, "reply lacks the new resource id");
	return rc;
}


#endif
