/*
 * config.h — `ssrfguard serve` settings: defaults, the config file, flags.
 * Prefix: srvcfg_.
 *
 * Every setting has one name used three ways: `name = value` in the config
 * file (one a line, '#' comments), `--name VALUE` (dashes or underscores)
 * on the command line, and a row of srvcfg_keys[] for --help.  Precedence:
 * flags > config file > AWS environment variables > built-in defaults
 * (the file named by --config is read before the other flags apply).
 * Repeatable settings (rule) accumulate from file and flags.
 *
 * Parsing is bounded: a line is at most SRVCFG_LINE_MAX bytes, numbers are
 * checked with strtoll and their ranges, unknown keys are errors.  Errors
 * are SG_ERR_PARSE / SG_ERR_RANGE with a message naming the key (and the
 * file line) in err.
 *
 * Ownership: srvcfg owns every string in it; srvcfg_free() releases them
 * (NULL-safe).  Not thread-safe; read-only once the server runs.
 */
#ifndef SSRFGUARD_SERVER_CONFIG_H
#define SSRFGUARD_SERVER_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "ssrfguard/error.h"

#define SRVCFG_LINE_MAX 4096
#define SRVCFG_RULES_MAX 1024

typedef struct srvcfg {
	char *listen;            /* "127.0.0.1:5001", "[::1]:5001" */
	char *store;             /* SQLite path */
	int store_sync_normal;   /* store_sync = normal */
	int64_t store_busy_ms;   /* wait this long for another writer's lock */
	char *policy;            /* policy file (sg_policy_parse), "" = none */
	char **rules;            /* extra policy rules */
	size_t nrules;
	unsigned contain_mask;   /* bit per sg_category that asks for containment */
	int64_t max_body;        /* bytes of upstream body */
	int64_t max_header_bytes;/* bytes of upstream response headers */
	int64_t total_timeout_ms;
	int64_t connect_timeout_ms;
	int64_t max_redirects;
	int64_t max_concurrent;  /* fetches in flight; more wait in a queue */
	int64_t max_queue;       /* waiting fetches; beyond that 503 */
	int64_t client_timeout_s;/* idle/read/write timeout of client sockets */
	int64_t max_request_bytes;/* client request line + headers */
	int64_t dns_cache_s;     /* judged-answer cache lifetime (<= 300 used), 0 = off */
	int64_t drain_s;         /* SIGTERM: longest wait for in-flight work */
	char *ca_file;           /* CA bundle for upstream TLS, "" = system */
	char *log;               /* "-" = stderr, else a file appended to */
	char *instance_id, *region, *az;  /* identity; "" = ask IMDSv2 */
	char *imds_endpoint;     /* "" = AWS_EC2_METADATA_SERVICE_ENDPOINT or
	                            the default */
	int imds;                /* 0 = never ask IMDSv2 */
	int respond;             /* start the embedded responder */
	int64_t lease_ms;        /* responder lease (embedded responder) */
	/* the egress proxy (proxy.h) */
	char *proxy_listen;      /* "" = off; "ADDR:PORT" or "unix:PATH" */
	char *proxy_roles;       /* roles file (roles.h), "" = one open role */
	int proxy_protocol;      /* expect a PROXY protocol v1/v2 header */
	int64_t proxy_idle_s;    /* idle client/upstream/tunnel connection */
	int64_t proxy_tunnel_s;  /* whole life of a CONNECT tunnel */
	char *proxy_tls_cert, *proxy_tls_key; /* "" = plain; else the listener speaks TLS */
	char *proxy_client_ca;   /* verify (and require) client certificates */
	char *proxy_client_crl;  /* ... and check them against these CRLs */
} srvcfg;

typedef struct srvcfg_key {
	const char *name;
	const char *arg;         /* "N", "PATH", ... NULL for a switch */
	const char *help;
} srvcfg_key;

extern const srvcfg_key srvcfg_keys[];

/* Defaults (and the AWS environment variables). */
sg_err srvcfg_init(srvcfg *c);
void srvcfg_free(srvcfg *c);

/* Set one key from text.  value NULL is allowed only for switches (=1). */
sg_err srvcfg_set(srvcfg *c, const char *key, const char *value,
                  char *err, size_t errlen);

/* Apply a config file's text (len bytes). */
sg_err srvcfg_parse(srvcfg *c, const char *text, size_t len, const char *name,
                    char *err, size_t errlen);
sg_err srvcfg_load(srvcfg *c, const char *path, char *err, size_t errlen);

/*
 * Apply argv (after the command name): --config FILE first, then every
 * other --key [VALUE] in order.  Positional arguments are errors.
 * Sets *help when --help / -h was given.
 */
sg_err srvcfg_args(srvcfg *c, int argc, char **argv, int *help,
                   char *err, size_t errlen);

/* Print the option list for --help. */
void srvcfg_usage(FILE *to);

#endif
