/*
 * embed.h — the responder embedded in `ssrfguard serve` (respond = on), the
 * single-process layout of the original script.  cli/cmd_serve.c picks
 * this header up and registers respond_embedded() with the server.
 *
 * The embedded responder runs respond_loop() on its own threads with its
 * own store handles: the service's event loop never waits for it.  Its
 * playbook options come from the file named by SSRFGUARD_RESPOND_CONFIG
 * (the `ssrfguard respond --config` format: forensic-instance, report-dir,
 * webhook, ...), else defaults; AWS from the standard environment, the
 * region falling back to the service's own identity.  A new incident wakes
 * a worker at once (notify), so containment starts within milliseconds.
 */
#ifndef SSRFGUARD_RESPOND_EMBED_H
#define SSRFGUARD_RESPOND_EMBED_H

#include "server/server.h"

const srv_responder *respond_embedded(void);

#endif
