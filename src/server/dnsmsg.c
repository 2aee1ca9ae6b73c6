/* dnsmsg.c — DNS query building and reply parsing; see dnsmsg.h. */
#include "server/dnsmsg.h"

#include <string.h>

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

size_t dnsmsg_query(uint8_t *out, size_t cap, uint16_t id, const char *name, uint16_t qtype)
{
	size_t nl = strlen(name);
	if (nl && name[nl - 1] == '.')
		nl--;
	/* header 12 + name (nl + 2) + qtype/qclass 4 + OPT 11 */
	if (nl == 0 || nl > 253 || cap < 12 + nl + 2 + 4 + 11)
		return 0;
	memset(out, 0, 12);
	put16(out, id);
	out[2] = 0x01;          /* RD */
	put16(out + 4, 1);      /* QDCOUNT */
	put16(out + 10, 1);     /* ARCOUNT: the OPT record */
	size_t o = 12, start = 0;
	for (size_t i = 0; i <= nl; i++) {
		if (i < nl && name[i] != '.')
			continue;
		size_t len = i - start;
		if (len == 0 || len > 63)
			return 0;
		out[o++] = (uint8_t)len;
		memcpy(out + o, name + start, len);
		o += len;
		start = i + 1;
	}
	out[o++] = 0;
	put16(out + o, qtype);
	put16(out + o + 2, 1);  /* IN */
	o += 4;
	out[o++] = 0;           /* OPT: root name */
	put16(out + o, 41);
	put16(out + o + 2, DNSMSG_PAYLOAD);
	memset(out + o + 4, 0, 6); /* extended rcode, version, flags, rdlen 0 */
	return o + 10;
}

/* Skip a (possibly compressed) name at *off; pointers only go backwards. */
static int skip_name(const uint8_t *m, size_t len, size_t *off)
{
	size_t o = *off;
	for (int labels = 0; labels < 128; labels++) {
		if (o >= len)
			return -1;
		uint8_t c = m[o];
		if (c == 0) {
			*off = o + 1;
			return 0;
		}
		if ((c & 0xc0) == 0xc0) {
			if (o + 1 >= len || (size_t)(((c & 0x3f) << 8) | m[o + 1]) >= o)
				return -1;
			*off = o + 2; /* the rest of the name is elsewhere: done */
			return 0;
		}
		if (c & 0xc0)
			return -1; /* 0x40, 0x80: reserved label types */
		o += 1u + c;
	}
	return -1;
}

sg_err dnsmsg_reply_parse(const uint8_t *m, size_t len, uint16_t id, uint16_t qtype,
                          dnsmsg_reply *out)
{
	out->rcode = 0;
	out->truncated = 0;
	out->count = out->n = 0;
	if (!m || len < 12 || get16(m) != id || !(m[2] & 0x80) || (m[2] & 0x78))
		return SG_ERR_PARSE; /* not a reply, or not to a standard query */
	out->truncated = (m[2] & 0x02) != 0;
	out->rcode = m[3] & 0x0f;
	if (get16(m + 4) != 1)
		return SG_ERR_PARSE;
	size_t an = get16(m + 6), o = 12;
	if (skip_name(m, len, &o) != 0 || o + 4 > len || get16(m + o) != qtype)
		return SG_ERR_PARSE;
	o += 4;
	if (an > DNSMSG_RR_MAX)
		return SG_ERR_PARSE;
	for (size_t i = 0; i < an; i++) {
		if (skip_name(m, len, &o) != 0 || o + 10 > len)
			return SG_ERR_PARSE;
		uint16_t type = get16(m + o), klass = get16(m + o + 2), rdlen = get16(m + o + 8);
		o += 10;
		if (rdlen > len - o)
			return SG_ERR_PARSE;
		size_t want = qtype == DNSMSG_TYPE_A ? 4 : 16;
		if (type == qtype && klass == 1) {
			if (rdlen != want)
				return SG_ERR_PARSE;
			if (out->n < DNSMSG_ADDRS_MAX) {
				memset(out->addr[out->n], 0, 16);
				memcpy(out->addr[out->n], m + o, want);
				out->n++;
			}
			out->count++;
		}
		o += rdlen;
	}
	return SG_OK;
}
