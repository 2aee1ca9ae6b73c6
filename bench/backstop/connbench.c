/*
 * connbench.c — TCP connections per second from one uid to one address:
 * `connbench ADDR PORT UID SECONDS`.  Listens on ADDR:PORT (accepting and
 * closing in a thread), then drops to UID and connects/closes in a loop for
 * SECONDS, printing "conns_per_s N conns_per_cpu_s M failed F": wall-clock
 * throughput, and connections per CPU second of this process (client and
 * acceptor; loopback delivery runs in their context), which other load on
 * a shared machine disturbs far less.  Run inside tests/netns-run only.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void *acceptor(void *arg)
{
	int ls = *(int *)arg;
	for (;;) {
		int c = accept(ls, NULL, NULL);
		if (c >= 0)
			close(c);
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: connbench ADDR PORT UID SECONDS\n");
		return 2;
	}
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)strtoul(argv[2], NULL, 10))};
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1)
		return 2;
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(ls, (struct sockaddr *)&sa, sizeof sa) || listen(ls, 4096)) {
		perror("listen");
		return 2;
	}
	pthread_t th;
	pthread_create(&th, NULL, acceptor, &ls);
	uid_t uid = (uid_t)strtoul(argv[3], NULL, 10);
	if (setgid(uid) || setuid(uid)) {
		perror("setuid");
		return 2;
	}
	double secs = strtod(argv[4], NULL), start = now(), end = start + secs;
	unsigned long n = 0, failed = 0;
	while (now() < end) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		struct linger lg = {1, 0}; /* RST on close: no TIME_WAIT pile-up */
		setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		if (connect(s, (struct sockaddr *)&sa, sizeof sa) == 0)
			n++;
		else
			failed++;
		close(s);
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	             (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	printf("conns_per_s %.0f conns_per_cpu_s %.0f failed %lu\n", n / (now() - start),
	       cpu > 0 ? n / cpu : 0.0, failed);
	return failed ? 1 : 0;
}
