/* answers.c — the per-call decoders of AWS answers (see answers.h). */
#include "aws/answers.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/json.h"

#define REVOKE_MAX 1000 /* permissions, and ranges of one permission */

/* src into dst[cap] when it is a non-empty string shorter than cap. */
static sg_err copy_bounded(const char *src, char *dst, size_t cap)
{
	size_t n = src ? strlen(src) : 0;
	if (!n || n >= cap) {
		if (cap)
			dst[0] = '\0';
		return SG_ERR_PROTOCOL;
	}
	memcpy(dst, src, n + 1);
	return SG_OK;
}

/* The next row of the JSON array rows, from row *i on, whose string field
 * key is want, or NULL; *i is left just past it, so a caller that does not
 * like the row can go on from there. */
static const json_t *find_row(const json_t *rows, const char *key, const char *want, size_t *i)
{
	while (*i < json_array_size(rows)) {
		const json_t *row = json_array_get(rows, (*i)++);
		const char *v = aws_json_str(row, key);
		if (v && !strcmp(v, want))
			return row;
	}
	return NULL;
}

/* ---- EC2 ---- */

sg_err aws_answer_id(const struct aws_xml *r, const char *path, char *dst, size_t cap)
{
	return copy_bounded(aws_xml_str(r, path), dst, cap);
}

bool aws_ec2_answer_shared_with(const struct aws_xml *r, const char *account_id)
{
	for (AWS_XML_EACH(it, aws_xml_get(r, "createVolumePermission")))
		if (!strcmp(aws_xml_str_or(it, "userId", ""), account_id))
			return true;
	return false;
}

sg_err aws_ec2_answer_template_profile(const struct aws_xml *r, char *dst, size_t cap)
{
	const char *path = "launchTemplateVersionSet/item/launchTemplateData/iamInstanceProfile";
	const struct aws_xml *p = aws_xml_get(r, path);
	const char *v = aws_xml_str(p, "arn");
	if (!v)
		v = aws_xml_str(p, "name");
	if (!v) {
		dst[0] = '\0';
		return SG_OK;
	}
	return copy_bounded(v, dst, cap);
}

/* The lists of one described permission: its path and member in the
 * answer, its name and field in the request. */
static const struct range_kind {
	const char *path, *field, *name, *param;
} range_kinds[] = {
	{"ipRanges", "cidrIp", "IpRanges", "CidrIp"},
	{"ipv6Ranges", "cidrIpv6", "Ipv6Ranges", "CidrIpv6"},
	{"groups", "groupId", "Groups", "GroupId"},
	{"prefixListIds", "prefixListId", "PrefixListIds", "PrefixListId"},
};

/* One permission's ranges of kind r as IpPermissions.k.<Name>.j.<Field>. */
static sg_err add_ranges(struct aws_params *p, const struct aws_xml *perm, size_t k,
                         const struct range_kind *r)
{
	size_t j = 0;
	for (AWS_XML_EACH(rg, aws_xml_get(perm, r->path))) {
		if (++j > REVOKE_MAX)
			return SG_ERR_RANGE;
		sg_err rc = aws_params_addf(p, aws_xml_str_or(rg, r->field, ""),
		                            "IpPermissions.%zu.%s.%zu.%s", k, r->name, j, r->param);
		if (rc)
			return rc;
	}
	return SG_OK;
}

/* Permission number k: its protocol, its ports when given, its ranges. */
static sg_err add_permission(struct aws_params *p, const struct aws_xml *perm, size_t k)
{
	const char *from = aws_xml_str(perm, "fromPort"), *to = aws_xml_str(perm, "toPort");
	sg_err rc = aws_params_addf(p, aws_xml_str_or(perm, "ipProtocol", "-1"),
	                            "IpPermissions.%zu.IpProtocol", k);
	if (!rc && from)
		rc = aws_params_addf(p, from, "IpPermissions.%zu.FromPort", k);
	if (!rc && to)
		rc = aws_params_addf(p, to, "IpPermissions.%zu.ToPort", k);
	for (size_t i = 0; !rc && i < sizeof range_kinds / sizeof range_kinds[0]; i++)
		rc = add_ranges(p, perm, k, &range_kinds[i]);
	return rc;
}

sg_err aws_ec2_answer_revoke_params(struct aws_params *p, const struct aws_xml *ip_permissions,
                                    size_t *n)
{
	size_t k = 0;
	*n = 0;
	for (AWS_XML_EACH(perm, ip_permissions)) {
		if (++k > REVOKE_MAX)
			return SG_ERR_RANGE;
		sg_err rc = add_permission(p, perm, k);
		if (rc)
			return rc;
	}
	*n = k;
	return SG_OK;
}

static int b64_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

sg_err aws_answer_base64(const char *b64, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	size_t n = strlen(b64);
	while (n && b64_space(b64[n - 1]))
		n--;
	while (n && b64_space(*b64)) {
		b64++;
		n--;
	}
	if (n % 4 || n > INT_MAX)
		return SG_ERR_PROTOCOL;
	unsigned char *buf = malloc(n / 4 * 3 + 1);
	if (!buf)
		return SG_ERR_NOMEM;
	int got = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)n);
	/* EVP_DecodeBlock counts the padding as bytes: take them back off */
	size_t pad = n >= 2 && b64[n - 1] == '=' ? (b64[n - 2] == '=' ? 2 : 1) : 0;
	if (got < 0 || (size_t)got < pad) {
		free(buf);
		return SG_ERR_PROTOCOL;
	}
	*len = (size_t)got - pad;
	buf[*len] = '\0';
	*out = (char *)buf;
	return SG_OK;
}

/* ---- SQS ---- */

void aws_sqs_messages_free(struct aws_sqs_message *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++) {
		free(m[i].receipt_handle);
		free(m[i].body);
	}
	free(m);
}

/* The value of msg's attribute name, NULL when absent. */
static const char *attr_value(const struct aws_xml *msg, const char *name)
{
	for (const struct aws_xml *a = aws_xml_child(msg, "Attribute"); a; a = aws_xml_next(a))
		if (!strcmp(aws_xml_str_or(a, "Name", ""), name))
			return aws_xml_str_or(a, "Value", "");
	return NULL;
}

/* The number attribute name of msg: 0 when absent, -1 when not a
 * non-negative decimal. */
static long long attr_number(const struct aws_xml *msg, const char *name)
{
	const char *v = attr_value(msg, name);
	if (!v)
		return 0;
	char *end = NULL;
	errno = 0;
	long long x = *v >= '0' && *v <= '9' ? strtoll(v, &end, 10) : -1;
	return (x < 0 || errno || end == v || *end) ? -1 : x;
}

static sg_err decode_message(const struct aws_xml *x, struct aws_sqs_message *m)
{
	const char *handle = aws_xml_str(x, "ReceiptHandle");
	const char *body = aws_xml_str(x, "Body");
	if (copy_bounded(aws_xml_str(x, "MessageId"), m->message_id, sizeof m->message_id) ||
	    !handle || !*handle || !body)
		return SG_ERR_PROTOCOL;
	long long count = attr_number(x, "ApproximateReceiveCount");
	long long sent = attr_number(x, "SentTimestamp");
	if (count < 0 || count > 0xffffffffLL || sent < 0)
		return SG_ERR_PROTOCOL;
	m->receipt_handle = strdup(handle);
	m->body = strdup(body);
	m->receive_count = (unsigned)count;
	m->sent_ms = sent;
	(void)copy_bounded(attr_value(x, "SenderId"), m->sender_id, sizeof m->sender_id);
	return m->receipt_handle && m->body ? SG_OK : SG_ERR_NOMEM;
}

sg_err aws_sqs_answer_messages(const struct aws_xml *res, struct aws_sqs_message **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	size_t count = 0;
	for (const struct aws_xml *x = aws_xml_child(res, "Message"); x; x = aws_xml_next(x))
		if (++count > 10)
			return SG_ERR_PROTOCOL; /* never more than MaxNumberOfMessages (10) */
	if (!count)
		return SG_OK;
	struct aws_sqs_message *m = calloc(count, sizeof *m);
	if (!m)
		return SG_ERR_NOMEM;
	size_t i = 0;
	sg_err rc = SG_OK;
	for (const struct aws_xml *x = aws_xml_child(res, "Message"); x && !rc; x = aws_xml_next(x))
		rc = decode_message(x, &m[i++]);
	if (rc) {
		aws_sqs_messages_free(m, count);
		return rc;
	}
	*out = m;
	*n = count;
	return SG_OK;
}

/* ---- SSM ---- */

sg_err aws_ssm_answer_command_id(const json_t *r, char id[64])
{
	return copy_bounded(aws_json_str(json_object_get(r, "Command"), "CommandId"), id, 64);
}

bool aws_ssm_answer_find(const json_t *page, const char *comment, char id[64])
{
	const json_t *rows = json_object_get(page, "Commands"), *c;
	for (size_t i = 0; (c = find_row(rows, "Comment", comment, &i));)
		if (!copy_bounded(aws_json_str(c, "CommandId"), id, 64))
			return true;
	return false;
}

sg_err aws_ssm_answer_ping(const json_t *r, const char *instance_id, char status[32])
{
	size_t i = 0;
	const json_t *row =
		find_row(json_object_get(r, "InstanceInformationList"), "InstanceId", instance_id, &i);
	status[0] = '\0';
	if (!row)
		return SG_ERR_NOTFOUND;
	const char *ping = aws_json_str(row, "PingStatus");
	snprintf(status, 32, "%s", ping ? ping : "");
	return SG_OK;
}

/* ---- IAM ---- */

sg_err aws_iam_answer_policy(const struct aws_xml *r, char **json)
{
	*json = NULL;
	const char *doc = aws_xml_str(r, "GetRolePolicyResult/PolicyDocument");
	if (!doc)
		return SG_ERR_PROTOCOL;
	int outlen = 0;
	char *dec = curl_easy_unescape(NULL, doc, 0, &outlen);
	if (!dec)
		return SG_ERR_NOMEM;
	sg_err rc = SG_OK;
	if (outlen < 0 || memchr(dec, '\0', (size_t)outlen)) /* "%00": no JSON holds it */
		rc = SG_ERR_PROTOCOL;
	else if (!(*json = strdup(dec)))
		rc = SG_ERR_NOMEM;
	curl_free(dec);
	return rc;
}

/* ---- DynamoDB ---- */

sg_err aws_ddb_answer_table_status(const json_t *r, char status[32])
{
	return copy_bounded(aws_json_str(json_object_get(r, "Table"), "TableStatus"), status, 32);
}

void aws_ddb_answer_index_status(const json_t *r, const char *index, char status[32])
{
	const json_t *rows = json_object_get(json_object_get(r, "Table"), "GlobalSecondaryIndexes");
	const json_t *g;
	status[0] = '\0';
	for (size_t i = 0; (g = find_row(rows, "IndexName", index, &i));)
		if (!copy_bounded(aws_json_str(g, "IndexStatus"), status, 32))
			return;
}

sg_err aws_ddb_answer_item(const json_t *r, const json_t **item)
{
	const json_t *it = json_object_get(r, "Item");
	*item = NULL;
	if (it && !json_is_object(it))
		return SG_ERR_PROTOCOL;
	*item = it;
	return SG_OK;
}

sg_err aws_ddb_answer_page(const json_t *r, sg_err (*each)(void *ctx, const json_t *item),
                           void *ctx, const json_t **next)
{
	*next = NULL;
	const json_t *items = json_object_get(r, "Items");
	if (!json_is_array(items))
		return SG_ERR_PROTOCOL;
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		sg_err rc = json_is_object(it) ? each(ctx, it) : SG_ERR_PROTOCOL;
		if (rc)
			return rc;
	}
	const json_t *start = json_object_get(r, "LastEvaluatedKey");
	*next = json_is_object(start) && json_object_size(start) ? start : NULL;
	return SG_OK;
}
