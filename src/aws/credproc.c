/* credproc.c — credentials from an external process (see credproc.h). */
#include "aws/credproc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"

#define OUT_MAX (64u << 10)
#define ARGS_MAX 64

extern char **environ;

/* Split cmdline into argv (words in buf).  Returns argc, -1 if malformed. */
static int split_words(const char *s, char *buf, size_t cap, char *argv[ARGS_MAX + 1])
{
	int argc = 0;
	size_t o = 0;
	while (*s) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (argc == ARGS_MAX)
			return -1;
		argv[argc++] = buf + o;
		char quote = 0;
		for (; *s && (quote || (*s != ' ' && *s != '\t')); s++) {
			if (quote && *s == quote) {
				quote = 0;
				continue;
			}
			if (!quote && (*s == '\'' || *s == '"')) {
				quote = *s;
				continue;
			}
			if (*s == '\\' && quote != '\'' && s[1])
				s++;
			if (o + 2 > cap)
				return -1;
			buf[o++] = *s;
		}
		if (quote)
			return -1;
		buf[o++] = '\0';
	}
	argv[argc] = NULL;
	return argc;
}

/* Read fd to EOF into out[cap) within deadline; -1 on timeout/overflow. */
static long read_all(int fd, char *out, size_t cap, long long deadline)
{
	size_t n = 0;
	for (;;) {
		long long left = deadline - sg_mono_ms();
		if (left <= 0)
			return -1;
		struct pollfd p = {fd, POLLIN, 0};
		int r = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		if (n + 1 >= cap)
			return -1;
		ssize_t got = read(fd, out + n, cap - 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	out[n] = '\0';
	return (long)n;
}

sg_err aws_credential_process(const char *cmdline, long timeout_ms, struct aws_credentials *out,
                              char *why, size_t whylen)
{
	char words[4096], *argv[ARGS_MAX + 1];
	char *buf = NULL;
	int fds[2] = {-1, -1};
	pid_t pid = -1;
	sg_err rc = SG_ERR_AUTH;
	posix_spawn_file_actions_t fa;
	bool have_fa = false;
	if (!cmdline || strlen(cmdline) >= sizeof words ||
	    split_words(cmdline, words, sizeof words, argv) < 1) {
		snprintf(why, whylen, "credential_process: not a command line");
		return SG_ERR_AUTH;
	}
	if (!(buf = malloc(OUT_MAX)) || pipe2(fds, O_CLOEXEC) != 0 ||
	    posix_spawn_file_actions_init(&fa) != 0) {
		snprintf(why, whylen, "credential_process: %s", strerror(errno));
		goto fail;
	}
	have_fa = true;
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		pid = -1;
		snprintf(why, whylen, "credential_process: cannot run %.200s", argv[0]);
		goto fail;
	}
	close(fds[1]);
	fds[1] = -1;
	long n = read_all(fds[0], buf, OUT_MAX, sg_mono_ms() + (timeout_ms > 0 ? timeout_ms : 30000));
	if (n < 0)
		kill(pid, SIGKILL); /* ran too long, or said too much */
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (n < 0) {
		snprintf(why, whylen, "credential_process: no answer within %ld ms", timeout_ms);
		goto fail;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(why, whylen, "credential_process: %.200s exited with status %d", argv[0],
		         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		goto fail;
	}
	if (aws_credentials_from_json(buf, (size_t)n, "process", out) != SG_OK) {
		snprintf(why, whylen, "credential_process: %.200s printed no credentials document",
		         argv[0]);
		goto fail;
	}
	rc = SG_OK;
fail:
	if (have_fa)
		posix_spawn_file_actions_destroy(&fa);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (buf) {
		memset(buf, 0, OUT_MAX);
		free(buf);
	}
	memset(words, 0, sizeof words);
	return rc;
}
