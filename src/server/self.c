/* self.c — the service's own listeners, never a fetch's destination.
 *
 * Listening on a wildcard address, the service is reachable on every
 * address of the host: a fetch of any of them on a listening port would
 * reach the service itself (a loop that ties up fetch slots, and a way
 * around the route's own checks).  Every listener registers its port here
 * (self_add_listener); the fetcher refuses any destination whose port is
 * one of them and whose address is local: loopback, unspecified, or an
 * address of one of the host's interfaces (getifaddrs, re-read at most
 * every SELF_REFRESH_MS so addresses added later are known). */
#include "server/srv_int.h"
#include "common/clock.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define SELF_PORTS_MAX 16
#define SELF_ADDRS_MAX 256
#define SELF_REFRESH_MS 5000

struct self {
	uint16_t ports[SELF_PORTS_MAX];
	size_t nports;
	unsigned char addrs[SELF_ADDRS_MAX][16]; /* IPv4 as ::ffff:a.b.c.d */
	size_t naddrs;
	int64_t read_ms;
};

/* The address as 16 bytes (IPv4 mapped) and its port; 0 if not IP. */
static int addr16(const struct sockaddr *sa, socklen_t len, unsigned char out[16], uint16_t *port)
{
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &in->sin_addr, 4);
		*port = ntohs(in->sin_port);
		return 1;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		memcpy(out, &in6->sin6_addr, 16);
		*port = ntohs(in6->sin6_port);
		return 1;
	}
	return 0;
}

static int always_local(const unsigned char a[16])
{
	static const unsigned char zero[16], v4map[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const unsigned char one[16] = {[15] = 1};
	if (!memcmp(a, zero, 16) || !memcmp(a, one, 16))
		return 1; /* ::, ::1 */
	if (!memcmp(a, v4map, 12))
		return a[12] == 127 || a[12] == 0; /* 127/8, 0/8 */
	return 0;
}

static void read_interfaces(struct self *me)
{
	struct ifaddrs *list = NULL;
	me->read_ms = sg_mono_ms();
	if (getifaddrs(&list) != 0)
		return; /* keep the last known set */
	me->naddrs = 0;
	for (struct ifaddrs *i = list; i && me->naddrs < SELF_ADDRS_MAX; i = i->ifa_next) {
		uint16_t port;
		socklen_t len = !i->ifa_addr ? 0 : i->ifa_addr->sa_family == AF_INET
		                ? (socklen_t)sizeof(struct sockaddr_in)
		                : (socklen_t)sizeof(struct sockaddr_in6);
		if (i->ifa_addr && addr16(i->ifa_addr, len, me->addrs[me->naddrs], &port))
			me->naddrs++;
	}
	freeifaddrs(list);
}

void self_add_listener(struct srv *s, const struct sockaddr *sa, socklen_t len)
{
	unsigned char a[16];
	uint16_t port;
	if (!s->self && !(s->self = calloc(1, sizeof *s->self)))
		return;
	struct self *me = s->self;
	if (!addr16(sa, len, a, &port) || me->nports >= SELF_PORTS_MAX)
		return;
	for (size_t i = 0; i < me->nports; i++)
		if (me->ports[i] == port)
			return;
	me->ports[me->nports++] = port;
}

int self_is_own(struct srv *s, const struct sockaddr *sa, socklen_t len)
{
	struct self *me = s->self;
	unsigned char a[16];
	uint16_t port;
	if (!me || !addr16(sa, len, a, &port))
		return 0;
	int ours = 0;
	for (size_t i = 0; i < me->nports && !ours; i++)
		ours = me->ports[i] == port;
	if (!ours)
		return 0;
	if (always_local(a))
		return 1;
	if (!me->read_ms || sg_mono_ms() - me->read_ms > SELF_REFRESH_MS)
		read_interfaces(me);
	for (size_t i = 0; i < me->naddrs; i++)
		if (!memcmp(me->addrs[i], a, 16))
			return 1;
	return 0;
}

void self_free(struct srv *s)
{
	free(s->self);
	s->self = NULL;
}
