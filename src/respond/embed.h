/*
 * embed.h — the responder embedded in `ssrfguard serve` (respond = on), the
 * single-process layout of the original script.  cli/cmd_serve.c picks
 * this header up and registers respond_embedded() with the server.
 *
 * The embedded responder runs respond_loop() on its own threads with its
 * own store handles: the service's event loop never waits for it.  Its
 * playbook options come from the [respond] section (and the shared names)
 * of the same --config files serve read (cfg->configs), else defaults; the
 * store and lease are serve's; AWS from the standard environment, the
 * region falling back to the service's own identity.  A new incident wakes
 * a worker at once (notify), so containment starts within milliseconds.
 * With `queue = URL` in [respond] it also runs the SQS intake (queue.h),
 * exactly as `ssrfguard respond --queue` does; the intake not starting
 * (store, AWS client) makes the responder "failing" until it does.
 */
#ifndef SSRFGUARD_RESPOND_EMBED_H
#define SSRFGUARD_RESPOND_EMBED_H

#include "server/server.h"

const srv_responder *respond_embedded(void);

/* The detector side in serve (serve --deliver-to URL): no playbook here;
 * respond_deliver_loop (deliver.h) sends each open incident of serve's
 * store to the remote responder or SQS queue, retried until acknowledged,
 * with the [respond] section's detector, key-file, ca-bundle, region and
 * endpoint-url.  /healthz reports it as the responder: failing when it
 * cannot start (no key, no store, no AWS client). */
const srv_responder *respond_embedded_delivery(void);

/* serve --check-config: would the embedded responder accept its settings
 * (and build its responder)?  err names the file and line. */
sg_err respond_embedded_check(const srvcfg *cfg, char *err, size_t errlen);

#endif
