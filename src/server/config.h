/*
 * config.h — `ssrfguard serve` settings: defaults, the config file, flags.
 * Prefix: srvcfg_.
 *
 * Every setting is one row of srvcfg_opts[] (lib/common/opt.h): the same
 * name is `name = value` under [serve] in the config file, `--name VALUE`
 * on the command line, a paragraph of --help and of the man page.
 * Precedence: flags > config file > environment > the table's defaults.
 * Repeatable settings (rule) accumulate from file and flags.
 *
 * Errors are SG_ERR_PARSE / SG_ERR_RANGE with a message naming the setting
 * (and FILE:LINE for the file) in err.
 *
 * Ownership: srvcfg owns every string in it; srvcfg_free() releases them
 * (NULL-safe).  Not thread-safe; read-only once the server runs.
 */
#ifndef SSRFGUARD_SERVER_CONFIG_H
#define SSRFGUARD_SERVER_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "backstop/bscfg.h"
#include "common/opt.h"
#include "opt/cmdline.h"
#include "store/store.h"
#include "ssrfguard/error.h"

typedef struct sg_policy sg_policy; /* ssrfguard/guard.h */

#define SRVCFG_RULES_MAX 1024

/*
 * The limits and timeouts: every one a reload takes, as it takes `policy`,
 * `rule` and `contain` (server/rules.c carries them in each reading of the
 * guard's rules; a loop reads them through its reading, never from here,
 * and srvcfg_restart_needed never names them).  In a reading the four
 * shared ones (max_concurrent, max_queue, max_connections, max_reply_bytes)
 * are each loop's share, max_connections the limit in effect (0 resolved).
 */
typedef struct srvcfg_limits {
	int64_t max_body;        /* bytes of upstream body */
	int64_t max_header_bytes;/* bytes of upstream response headers */
	int64_t total_timeout_ms;
	int64_t connect_timeout_ms;
	int64_t max_redirects;
	int64_t max_concurrent;  /* fetches in flight; more wait in a queue */
	int64_t max_queue;       /* waiting fetches; beyond that 503 */
	int64_t client_timeout_s;/* idle/read/write timeout of client sockets */
	int64_t max_request_bytes;/* client request line + headers */
	int64_t max_connections; /* client connections; 0 = what the descriptor
	                            limit leaves (conn.c) */
	int64_t max_reply_bytes; /* upstream bodies held + answers queued to
	                            clients (/go's, the proxy's), all together */
	int64_t dns_cache_s;     /* judged-answer cache lifetime (<= 300 used), 0 = off */
	int64_t drain_s;         /* SIGTERM: longest wait for in-flight work */
	int64_t proxy_idle_s;    /* idle client/upstream/tunnel connection */
	int64_t proxy_stall_s;   /* a client holding its bytes unread, budget short */
	int64_t proxy_tunnel_s;  /* whole life of a CONNECT tunnel */
	int64_t proxy_drain_s;   /* SIGTERM: longest wait for tunnels and proxied requests */
} srvcfg_limits;

typedef struct srvcfg {
	char *listen;            /* "127.0.0.1:5001", "[::1]:5001" */
	char *store;             /* SQLite path (default: cmdline_default_store) */
	cmdline_store where;     /* --state-table: DynamoDB instead */
	cmdline_aws aws;         /* the table's --profile, --endpoint-url and
	                            --ca-bundle (its region: region below) */
	int store_sync_normal;   /* store_sync = normal */
	int64_t store_busy_ms;   /* wait this long for another writer's lock */
	int64_t store_max_bytes; /* past it attempts are only counted; 0 = no cap */
	int64_t store_detail_max;/* attempt rows kept per incident; 0 = all */
	int64_t log_max_bytes;   /* the log file is rotated to PATH.1 past it */
	char *policy;            /* policy file (sg_policy_parse), "" = none */
	char **rules;            /* extra policy rules */
	size_t nrules;
	unsigned contain_mask;   /* bit per sg_category that asks for containment */
	srvcfg_limits lim;       /* the limits and timeouts (a reload takes them) */
	int64_t workers;         /* event loops (threads); 0 = one per CPU */
	bool pin_loops;          /* with one loop per CPU: each loop on its own CPU */
	char *ca_file;           /* CA bundle for upstream TLS, "" = system */
	char *log;               /* "-" = stderr, else a file appended to */
	char *instance_id, *region, *az;  /* identity; "" = ask IMDSv2 */
	char *imds_endpoint;     /* "" = AWS_EC2_METADATA_SERVICE_ENDPOINT or
	                            the default */
	bool imds;               /* false = never ask IMDSv2 */
	bool respond;            /* start the embedded responder */
	int64_t lease_ms;        /* responder lease (embedded responder) */
	char *deliver_to;        /* "" = off; else the detector side: incidents go to
	                            this responder or SQS queue URL (respond/deliver.h) */
	bool check_config;       /* --check-config: validate, print, exit */
	opt_list configs;        /* the --config files read, for the embedded
	                            responder's [respond] section */
	bscfg backstop;          /* the kernel backstop's rows (backstop/bscfg.h) */
	/* the egress proxy (proxy.h) */
	char *proxy_listen;      /* "" = off; "ADDR:PORT" or "unix:PATH" */
	char *proxy_roles;       /* roles file (lib/proxy/roles.h), "" = one open role */
	bool proxy_protocol;     /* expect a PROXY protocol v1/v2 header */
	char *proxy_tls_cert, *proxy_tls_key; /* "" = plain; else the listener speaks TLS */
	char *proxy_client_ca;   /* verify (and require) client certificates */
	char *proxy_client_crl;  /* ... and check them against these CRLs */
	/* the command line serve started with (borrowed, may be NULL): the
	 * settings are read again from it on SIGHUP for those a reload takes */
	const opt_command *cmd;
	int argc;
	char **argv;
} srvcfg;

/* The rows of every setting; opt_command serve in cli/cmd_serve.c. */
extern const opt_def srvcfg_opts[];

/* Defaults (the table's, then the environment: AWS_REGION,
 * AWS_DEFAULT_REGION, AWS_EC2_METADATA_DISABLED,
 * AWS_EC2_METADATA_SERVICE_ENDPOINT, SSRFGUARD_STORE). */
sg_err srvcfg_init(srvcfg *c);
void srvcfg_free(srvcfg *c);

/* Apply a config file's text (len bytes); name is the file's name. */
sg_err srvcfg_parse(srvcfg *c, const char *text, size_t len, const char *name,
                    char *err, size_t errlen);

/*
 * The guard's policy from cfg: the policy file (at most 1 MiB), then each
 * rule.  *out is NULL on error; err names the file line or the rule.
 */
sg_err srvcfg_policy(const srvcfg *c, sg_policy **out, char *err, size_t errlen);

/*
 * The settings read again as at the start (the environment, the --config
 * files, then c's command line) into *fresh, which the caller frees with
 * srvcfg_free.  Without a command line (c->cmd NULL) *fresh is a copy of
 * c's `policy`, `rule`, `contain` and limits.  SIGHUP takes those from it
 * (rules.c: one reading of the guard's rules).
 */
sg_err srvcfg_reread(const srvcfg *c, srvcfg *fresh, char *err, size_t errlen);

/*
 * The settings a reload does not take (all but `policy`, `rule`, `contain`
 * and the limits, c->lim) whose values differ between the running c and
 * fresh (srvcfg_reread's, with a command line): their names,
 * comma-separated, into out ("" when none; a list longer than cap ends in
 * "...").  They take effect only on restart.
 */
void srvcfg_restart_needed(const srvcfg *c, const srvcfg *fresh, char *out, size_t cap);

/* The limits whose values differ between a and b (as the settings give
 * them, before any sharing out): their names, as srvcfg_restart_needed's. */
void srvcfg_limits_changed(const srvcfg_limits *a, const srvcfg_limits *b, char *out,
                           size_t cap);

/* The store options serve's settings give (engine, sync, busy wait, caps;
 * the state table's region, profile, endpoint and CA bundle). */
store_opts srvcfg_store_opts(const srvcfg *c);

/* Print the effective settings as a config file ([serve] section). */
void srvcfg_print(const srvcfg *c, FILE *to);

#endif
