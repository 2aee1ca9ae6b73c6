/* pin.c — judged address sets, CURLOPT_RESOLVE pins, the judged-set cache.
 * See pin.h. */
#include "server/pin.h"

#include <arpa/inet.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssrfguard/guard.h"

int pin_set_add(pin_set *set, const struct sockaddr *sa, socklen_t len)
{
	pin_sa a;
	memset(&a, 0, sizeof a);
	if (!sa)
		return -1;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof a.in4) {
		a.in4.sin_family = AF_INET;
		a.in4.sin_addr = ((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof a.in6) {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_addr = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	} else {
		return -1;
	}
	if (pin_set_has(set, &a.sa, sizeof a))
		return 1;
	if (set->n >= PIN_ADDRS)
		return -1;
	set->a[set->n++] = a;
	return 0;
}

int pin_set_has(const pin_set *set, const struct sockaddr *sa, socklen_t len)
{
	if (!set || !sa)
		return 0;
	for (size_t i = 0; i < set->n; i++) {
		const pin_sa *p = &set->a[i];
		if (p->sa.sa_family != sa->sa_family)
			continue;
		if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in) &&
		    !memcmp(&p->in4.sin_addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		            sizeof p->in4.sin_addr))
			return 1;
		if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6) &&
		    !memcmp(&p->in6.sin6_addr,
		            &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		            sizeof p->in6.sin6_addr))
			return 1;
	}
	return 0;
}

int pin_addr_text(const pin_set *set, size_t i, char *out, size_t cap)
{
	if (!set || i >= set->n || cap < INET6_ADDRSTRLEN)
		return -1;
	const pin_sa *p = &set->a[i];
	const void *src = p->sa.sa_family == AF_INET ? (const void *)&p->in4.sin_addr
	                                             : (const void *)&p->in6.sin6_addr;
	return inet_ntop(p->sa.sa_family, src, out, (socklen_t)cap) ? 0 : -1;
}

int pin_line(char *out, size_t cap, const char *host, unsigned port, const pin_set *set)
{
	if (!out || !cap || !host || !*host || !set || !set->n || strpbrk(host, ":,"))
		return -1;
	int n = snprintf(out, cap, "+%s:%u:", host, port);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	size_t len = (size_t)n;
	for (size_t i = 0; i < set->n; i++) {
		char t[INET6_ADDRSTRLEN];
		if (pin_addr_text(set, i, t, sizeof t) != 0)
			return -1;
		int v6 = set->a[i].sa.sa_family == AF_INET6;
		n = snprintf(out + len, cap - len, "%s%s%s%s", i ? "," : "", v6 ? "[" : "", t,
		             v6 ? "]" : "");
		if (n < 0 || (size_t)n >= cap - len)
			return -1;
		len += (size_t)n;
	}
	return (int)len;
}

int pin_unline(char *out, size_t cap, const char *host, unsigned port)
{
	if (!out || !cap || !host || !*host || strpbrk(host, ":,"))
		return -1;
	int n = snprintf(out, cap, "-%s:%u", host, port);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int pin_token(char *out, size_t cap, const pin_set *set)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char bytes[PIN_ADDRS * 17], md[SHA256_DIGEST_LENGTH];
	size_t n = 0;
	if (!out || cap < PIN_TOKEN_SIZE || !set || !set->n || set->n > PIN_ADDRS)
		return -1;
	for (size_t i = 0; i < set->n; i++) { /* family byte, then the address */
		const pin_sa *a = &set->a[i];
		int v6 = a->sa.sa_family == AF_INET6;
		bytes[n++] = v6 ? 6 : 4;
		memcpy(bytes + n, v6 ? (const void *)&a->in6.sin6_addr : (const void *)&a->in4.sin_addr,
		       v6 ? 16 : 4);
		n += v6 ? 16 : 4;
	}
	SHA256(bytes, n, md);
	memcpy(out, "sgpin-", 6);
	for (size_t i = 0; i < 16; i++) {
		out[6 + 2 * i] = hex[md[i] >> 4];
		out[7 + 2 * i] = hex[md[i] & 15];
	}
	out[PIN_TOKEN_SIZE - 1] = '\0';
	return 0;
}

/* ---- the cache ---- */

typedef struct dnsc_ent {
	char host[SG_HOST_MAX];
	int64_t expires_ms;
	pin_set set;
} dnsc_ent;

struct dnsc {
	size_t slots;
	dnsc_ent *e;
};

dnsc *dnsc_new(size_t slots)
{
	if (!slots || slots > (size_t)1 << 20)
		return NULL;
	dnsc *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->e = calloc(slots, sizeof *c->e);
	if (!c->e) {
		free(c);
		return NULL;
	}
	c->slots = slots;
	return c;
}

void dnsc_free(dnsc *c)
{
	if (!c)
		return;
	free(c->e);
	free(c);
}

static size_t slot_of(const dnsc *c, const char *host)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)host; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (size_t)(h % c->slots);
}

int dnsc_get(dnsc *c, const char *host, int64_t now_ms, pin_set *out)
{
	if (!c || !host || !out)
		return 0;
	dnsc_ent *e = &c->e[slot_of(c, host)];
	if (!e->host[0] || strcmp(e->host, host) || e->expires_ms <= now_ms)
		return 0;
	*out = e->set;
	return 1;
}

void dnsc_put(dnsc *c, const char *host, const pin_set *set, int64_t expires_ms)
{
	size_t n;
	if (!c || !host || !set || !set->n || (n = strlen(host)) >= SG_HOST_MAX)
		return;
	dnsc_ent *e = &c->e[slot_of(c, host)];
	memcpy(e->host, host, n + 1);
	e->expires_ms = expires_ms;
	e->set = *set;
}
