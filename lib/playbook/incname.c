/* incname.c — an incident's names (see incname.h). */
#include "playbook/incname.h"

#include <stdio.h>
#include <string.h>

static bool lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool pb_store_id_ok(const char *s)
{
	if (!s)
		return false;
	size_t i = 0;
	for (; s[i] && i < PB_STORE_ID_LEN; i++)
		if (!lower_hex(s[i]))
			return false;
	return i == PB_STORE_ID_LEN && !s[i];
}

static sg_err refuse(pb_incident_ref *out, char *why, size_t whylen, const char *text)
{
	memset(out, 0, sizeof *out);
	if (why && whylen)
		snprintf(why, whylen, "%s", text);
	return SG_ERR_PARSE;
}

sg_err pb_incident_id_parse(const char *s, size_t len, bool allow_store, pb_incident_ref *out,
                            char *why, size_t whylen)
{
	const char *want = allow_store ? "not an incident: give N, INC-N or INC-N-STORE"
	                               : "not an incident: give N or INC-N";
	memset(out, 0, sizeof *out);
	if (!s)
		return refuse(out, why, whylen, want);
	size_t i = 0;
	bool prefixed = len >= 4 && !memcmp(s, "INC-", 4);
	if (prefixed)
		i = 4;
	size_t digits = i;
	int64_t n = 0;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (n > PB_INCIDENT_ID_MAX / 10)
			return refuse(out, why, whylen, "incident number too large");
		n = n * 10 + (s[i] - '0');
	}
	if (i == digits || n == 0)
		return refuse(out, why, whylen, want);
	if (n > PB_INCIDENT_ID_MAX)
		return refuse(out, why, whylen, "incident number too large");
	if (i < len) {
		/* only "INC-N-STORE" goes on */
		if (!prefixed || !allow_store || s[i] != '-' || len - i - 1 != PB_STORE_ID_LEN)
			return refuse(out, why, whylen, want);
		for (size_t k = i + 1; k < len; k++)
			if (!lower_hex(s[k]))
				return refuse(out, why, whylen,
				              "not an incident: STORE of INC-N-STORE is 16 lower-case hex digits");
		memcpy(out->store, s + i + 1, PB_STORE_ID_LEN);
		out->store[PB_STORE_ID_LEN] = 0;
	}
	out->n = n;
	return SG_OK;
}

int64_t pb_incident_id(const char *s)
{
	pb_incident_ref r;
	return s && pb_incident_id_parse(s, strlen(s), false, &r, NULL, 0) == SG_OK ? r.n : 0;
}

void pb_incident_name(int64_t n, char *out, size_t cap)
{
	snprintf(out, cap, "INC-%lld", (long long)n);
}

void pb_incident_key(const pb_incident_ref *r, char *out, size_t cap)
{
	if (r->store[0])
		snprintf(out, cap, "INC-%lld-%s", (long long)r->n, r->store);
	else
		pb_incident_name(r->n, out, cap);
}
