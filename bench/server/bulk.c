/*
 * bulk.c — the proxy benchmark's bulk upstream: answers every connection's
 * first request head with "200, Content-Length: BYTES" and BYTES of zeros
 * written from one buffer, then closes.  One connection at a time (the
 * benchmark downloads one stream at a time).
 *
 * usage: sg-bulk ADDR PORT BYTES   (prints "ready" once listening)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int serve_one(int fd, long long total)
{
	static char buf[1 << 20];
	char head[128];
	size_t got = 0;
	while (got < sizeof head - 1) { /* the request head, at most 127 bytes read */
		ssize_t n = read(fd, buf + got, sizeof buf - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
		if (memmem(buf, got, "\r\n\r\n", 4))
			break;
	}
	memset(buf, 0, sizeof buf);
	int hn = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %lld\r\n"
	                  "Connection: close\r\n\r\n", total);
	if (write(fd, head, (size_t)hn) != hn)
		return -1;
	while (total > 0) {
		size_t k = total > (long long)sizeof buf ? sizeof buf : (size_t)total;
		ssize_t n = write(fd, buf, k);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		total -= n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: sg-bulk ADDR PORT BYTES\n");
		return 2;
	}
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)strtol(argv[2], NULL, 10))};
	long long total = strtoll(argv[3], NULL, 10);
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || inet_pton(AF_INET, argv[1], &a.sin_addr) != 1 ||
	    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 16) != 0) {
		perror("sg-bulk");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int fd = accept(l, NULL, NULL);
		if (fd < 0)
			continue;
		serve_one(fd, total);
		close(fd);
	}
}
