/*
 * playbook.h — the containment playbook as pure data and decisions.
 *
 * The playbook is a fixed set of steps (pb_step).  Each step declares two
 * kinds of predecessor in one static table:
 *
 *   needs   steps that must have *succeeded* (DONE, or SKIPPED because not
 *           applicable) before this one may run; if one of them FAILED,
 *           was BLOCKED or is turned OFF, this step is BLOCKED, never run
 *           (pb_order_check refuses a configuration that turns off a step
 *           a turned-on step needs: skip asg alone, skip snapshot alone).
 *   after   steps that must merely be *finished* (any terminal state) before
 *           this one starts: ordering without a success requirement.
 *
 * The ordering invariants of the issue live in that table and are checked
 * in code by pb_table_check() (the table itself) and pb_order_check() (any
 * order a configuration asks for): RECORD first; ASG detach and LB
 * deregistration before any network change (ISOLATE); volatile capture
 * before the network (ISOLATE) and the identity (STRIP) go; snapshots
 * before forensics; FINISH last.  The runner also asks pb_may_start()
 * before each step, so a runner bug cannot break an invariant silently.
 *
 * pb_next() picks the next decision for one incident from its step states:
 * steps run one at a time in the configured order; a failed step does not
 * stop later steps that do not need it.
 *
 * Everything here is pure: no I/O, no clock, no globals.
 */
#ifndef SSRFGUARD_PLAYBOOK_H
#define SSRFGUARD_PLAYBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "playbook/incname.h" /* an incident as people write it: pb_incident_id */
#include "ssrfguard/error.h"

typedef enum pb_step {
	PB_RECORD = 0, /* describe the instance: the release data */
	PB_TAG,        /* IncidentId, InvestigationTicket, status tags */
	PB_IMDS,       /* HttpTokens=required, hop limit 1, wait until applied */
	PB_REVOKE,     /* inline deny on the role for sessions issued before now */
	PB_PRESERVE,   /* termination/stop protection, shutdown=stop, keep volumes */
	PB_ASG,        /* DetachInstances */
	PB_LB,         /* every target group and classic ELB */
	PB_SNAPSHOT,   /* CreateSnapshots, tagged */
	PB_CAPTURE,    /* volatile data over SSM */
	PB_ISOLATE,    /* all-open group, then the quarantine group, per ENI */
	PB_STRIP,      /* disassociate (or replace) the instance profile */
	PB_FORENSICS,  /* volumes in the forensic AZ, attach, start collection */
	PB_FINISH,     /* final status tag, notify, report */
	PB_STEP__COUNT
} pb_step;

typedef enum pb_state {
	PB_PENDING = 0, /* not started */
	PB_RUNNING,     /* started; after a crash it is run again (idempotent) */
	PB_DONE,
	PB_FAILED,      /* retries exhausted */
	PB_SKIPPED,     /* nothing to do (no ASG, no profile, no agent, ...) */
	PB_BLOCKED,     /* a step it needs failed or was blocked */
	PB_OFF,         /* turned off (config `skip`, observe mode): not attempted */
	PB_STATE__COUNT
} pb_state;

typedef uint32_t pb_mask; /* bit (1u << step) */
#define PB_BIT(s) ((pb_mask)1u << (unsigned)(s))

/* Stable lower-case names: "record", "tag", ..., and "pending", "done", ... */
const char *pb_step_name(pb_step s);
const char *pb_state_name(pb_state st);
/* Name to value; SG_ERR_NOTFOUND for an unknown name. */
sg_err pb_step_parse(const char *name, pb_step *out);
sg_err pb_state_parse(const char *name, pb_state *out);

/* One line describing a step, for --help and reports.  Never NULL. */
const char *pb_step_title(pb_step s);

pb_mask pb_step_needs(pb_step s);
pb_mask pb_step_after(pb_step s);
/* True for DONE, FAILED, SKIPPED, BLOCKED, OFF. */
bool pb_state_terminal(pb_state st);
/* True for DONE and SKIPPED (nothing to do): a dependent step may run.
 * Not OFF: a turned-off step proved nothing (AUDIT6 H2). */
bool pb_state_satisfies(pb_state st);
/* Steps that change the instance's network or identity (ISOLATE, STRIP). */
bool pb_step_mutates_network(pb_step s);
/* Steps that contain (IMDS, REVOKE, ISOLATE, STRIP): with one of them
 * turned off, the playbook cannot end "contained". */
bool pb_step_contains(pb_step s);

/*
 * pb_table_check — verify the built-in table holds the invariants
 * (see above) and is acyclic.  SG_OK, or SG_ERR_CORRUPT with a sentence in
 * msg (may be NULL).
 */
sg_err pb_table_check(char *msg, size_t msglen);

/* An execution order: every step exactly once. */
typedef struct pb_order {
	pb_step steps[PB_STEP__COUNT];
	pb_mask enabled; /* steps turned on; RECORD and FINISH always are */
} pb_order;

/* The default order (the enum order) with every step on. */
void pb_order_default(pb_order *out);

/*
 * pb_order_check — SG_OK when every step appears exactly once and every
 * needs/after predecessor of each step comes earlier; SG_ERR_INVAL with the
 * offending pair in msg otherwise.  RECORD and FINISH cannot be turned off,
 * nor a step a turned-on step needs ("skip: isolate needs asg, which is
 * turned off (...); skip isolate too").
 */
sg_err pb_order_check(const pb_order *o, char *msg, size_t msglen);

/*
 * pb_order_parse — "record,tag,imds,..." (a full order, comma separated)
 * into *out, keeping out->enabled as it was.  Then pb_order_check().
 */
sg_err pb_order_parse(const char *text, pb_order *out, char *msg, size_t msglen);

/* pb_may_start — every predecessor of s is terminal and every need is
 * satisfied.  The runner's last guard before running a step. */
bool pb_may_start(pb_step s, const pb_state st[PB_STEP__COUNT]);

typedef enum pb_verdict {
	PB_NEXT_RUN = 0, /* run .step (it is PENDING or was RUNNING at a crash) */
	PB_NEXT_SKIP,    /* mark .step SKIPPED: turned off */
	PB_NEXT_BLOCK,   /* mark .step BLOCKED: .cause failed, was blocked or is off */
	PB_NEXT_END,     /* every step is terminal */
} pb_verdict;

typedef struct pb_decision {
	pb_verdict verdict;
	pb_step step;
	pb_step cause; /* PB_NEXT_BLOCK only */
} pb_decision;

/*
 * pb_next — the next thing to do for an incident whose steps are in st[].
 * Walks the order; the first non-terminal step is the subject.  Pure: the
 * caller persists the transition and calls again.
 */
pb_decision pb_next(const pb_order *o, const pb_state st[PB_STEP__COUNT]);

/* Overall outcome once pb_next() says END: "failed" when RECORD failed;
 * "partial" when a step failed or was blocked, or a containing step
 * (pb_step_contains) was turned off; else "contained" (every step DONE,
 * SKIPPED with nothing to do, or OFF without containing). */
const char *pb_outcome(const pb_state st[PB_STEP__COUNT]);

/* Why an outcome is not "contained", for the incident's reason and the
 * report: the failed, blocked and turned-off containing steps, e.g.
 * "isolate turned off; capture failed" (cut to cap).  Returns the number of
 * steps named (0: nothing stands in the way of "contained"). */
size_t pb_outcome_why(const pb_state st[PB_STEP__COUNT], char *out, size_t cap);

/* The outcome a report may state at any moment, from what happened only:
 * "not started" while no step has left PENDING, "in progress" until FINISH
 * is DONE, then pb_outcome().  A report never says "contained" (nor gives a
 * finish time) for a playbook that did not run to its end. */
const char *pb_outcome_so_far(const pb_state st[PB_STEP__COUNT]);

#endif
