/* steps.c — the playbook's step table, order checks and next-step choice. */
#include "playbook/playbook.h"

#include <stdio.h>
#include <string.h>

#include "common/msg.h"

#define B(s) PB_BIT(PB_##s)

static const struct {
	const char *name;
	const char *title;
	pb_mask needs;
	pb_mask after;
} table[PB_STEP__COUNT] = {
	[PB_RECORD] = {"record", "record the instance as it is (release data)", 0, 0},
	[PB_TAG] = {"tag", "tag the instance with the incident", B(RECORD), 0},
	[PB_IMDS] = {"imds", "require IMDSv2 tokens, hop limit 1, wait until applied", B(RECORD), 0},
	[PB_REVOKE] = {"revoke", "deny the role's sessions issued before now, for this instance only", B(RECORD), 0},
	[PB_PRESERVE] = {"preserve", "termination/stop protection, shutdown=stop, keep volumes", B(RECORD), 0},
	[PB_ASG] = {"asg", "detach from its Auto Scaling group", B(RECORD), 0},
	[PB_LB] = {"lb", "deregister from every target group and classic ELB", B(RECORD), 0},
	[PB_SNAPSHOT] = {"snapshot", "snapshot every volume at one point in time", B(RECORD), B(PRESERVE)},
	[PB_CAPTURE] = {"capture", "capture volatile data over SSM", B(RECORD), 0},
	/* The ASG ignores termination protection: never change the network of
	 * an instance still in its group.  LB and capture only need to be over. */
	[PB_ISOLATE] = {"isolate", "quarantine every ENI (all-open group first)", B(RECORD) | B(ASG),
	                B(LB) | B(CAPTURE) | B(SNAPSHOT)},
	[PB_STRIP] = {"strip", "disassociate or replace the instance profile", B(RECORD), B(CAPTURE) | B(REVOKE)},
	[PB_FORENSICS] = {"forensics", "volumes from the snapshots to the forensic instance, start collection",
	                  B(RECORD) | B(SNAPSHOT), 0},
	[PB_FINISH] = {"finish", "final status tag, report, then the end notification", 0,
	               (PB_BIT(PB_FINISH) - 1u)},
};

static const char *const state_names[PB_STATE__COUNT] = {
	[PB_PENDING] = "pending", [PB_RUNNING] = "running", [PB_DONE] = "done",
	[PB_FAILED] = "failed",   [PB_SKIPPED] = "skipped", [PB_BLOCKED] = "blocked",
	[PB_OFF] = "off",
};

static bool valid_step(pb_step s) { return (unsigned)s < PB_STEP__COUNT; }

const char *pb_step_name(pb_step s) { return valid_step(s) ? table[s].name : "unknown"; }
const char *pb_step_title(pb_step s) { return valid_step(s) ? table[s].title : "unknown step"; }

const char *pb_state_name(pb_state st)
{
	return (unsigned)st < PB_STATE__COUNT ? state_names[st] : "unknown";
}

sg_err pb_step_parse(const char *name, pb_step *out)
{
	if (!name || !out)
		return SG_ERR_INVAL;
	for (unsigned i = 0; i < PB_STEP__COUNT; i++)
		if (!strcmp(name, table[i].name)) {
			*out = (pb_step)i;
			return SG_OK;
		}
	return SG_ERR_NOTFOUND;
}

sg_err pb_state_parse(const char *name, pb_state *out)
{
	if (!name || !out)
		return SG_ERR_INVAL;
	for (unsigned i = 0; i < PB_STATE__COUNT; i++)
		if (!strcmp(name, state_names[i])) {
			*out = (pb_state)i;
			return SG_OK;
		}
	return SG_ERR_NOTFOUND;
}

pb_mask pb_step_needs(pb_step s) { return valid_step(s) ? table[s].needs : 0; }
pb_mask pb_step_after(pb_step s) { return valid_step(s) ? table[s].after : 0; }

bool pb_state_terminal(pb_state st)
{
	return st == PB_DONE || st == PB_FAILED || st == PB_SKIPPED || st == PB_BLOCKED ||
	       st == PB_OFF;
}

bool pb_state_satisfies(pb_state st) { return st == PB_DONE || st == PB_SKIPPED; }

bool pb_step_mutates_network(pb_step s) { return s == PB_ISOLATE || s == PB_STRIP; }

bool pb_step_contains(pb_step s)
{
	return s == PB_IMDS || s == PB_REVOKE || s == PB_ISOLATE || s == PB_STRIP;
}

static pb_mask preds(pb_step s) { return table[s].needs | table[s].after; }

/* The ordering invariants; must_succeed ones are `needs`. */
static const struct {
	pb_step first, then;
	bool must_succeed;
	const char *why;
} inv[] = {
	{PB_ASG, PB_ISOLATE, true, "the ASG ignores termination protection"},
	{PB_LB, PB_ISOLATE, false, "leave the load balancers before the network changes"},
	{PB_CAPTURE, PB_ISOLATE, false, "capture volatile data before the network goes"},
	{PB_CAPTURE, PB_STRIP, false, "capture volatile data before the profile goes"},
	{PB_SNAPSHOT, PB_FORENSICS, true, "forensics works on the snapshots"},
};

static const char *why_needed(pb_step first, pb_step then)
{
	for (size_t i = 0; i < sizeof inv / sizeof inv[0]; i++)
		if (inv[i].first == first && inv[i].then == then)
			return inv[i].why;
	return "it must succeed first";
}

sg_err pb_table_check(char *msg, size_t msglen)
{
	SG_MSG_BEGIN(msg, msglen);
	for (size_t i = 0; i < sizeof inv / sizeof inv[0]; i++) {
		pb_mask m = inv[i].must_succeed ? table[inv[i].then].needs : preds(inv[i].then);
		if (!(m & PB_BIT(inv[i].first))) {
			snprintf(msg, msglen, "table: %s must precede %s (%s)", pb_step_name(inv[i].first),
			         pb_step_name(inv[i].then), inv[i].why);
			return SG_ERR_CORRUPT;
		}
	}
	for (unsigned s = 0; s < PB_STEP__COUNT; s++) {
		if (s != PB_RECORD && s != PB_FINISH && !(table[s].needs & PB_BIT(PB_RECORD))) {
			snprintf(msg, msglen, "table: %s does not need record", table[s].name);
			return SG_ERR_CORRUPT;
		}
		if (s != PB_FINISH && (preds(PB_FINISH) & PB_BIT(s)) == 0) {
			snprintf(msg, msglen, "table: finish does not wait for %s", table[s].name);
			return SG_ERR_CORRUPT;
		}
		/* The enum order is the default order, so predecessors must have
		 * smaller values: that also proves the table acyclic. */
		if (preds((pb_step)s) >> s) {
			snprintf(msg, msglen, "table: %s has a later predecessor", table[s].name);
			return SG_ERR_CORRUPT;
		}
	}
	return SG_OK;
}

void pb_order_default(pb_order *out)
{
	for (unsigned i = 0; i < PB_STEP__COUNT; i++)
		out->steps[i] = (pb_step)i;
	out->enabled = PB_BIT(PB_STEP__COUNT) - 1u;
}

sg_err pb_order_check(const pb_order *o, char *msg, size_t msglen)
{
	SG_MSG_BEGIN(msg, msglen);
	if (!o)
		return SG_ERR_INVAL;
	pb_mask seen = 0;
	for (unsigned i = 0; i < PB_STEP__COUNT; i++) {
		pb_step s = o->steps[i];
		if (!valid_step(s)) {
			snprintf(msg, msglen, "order: position %u holds no step", i);
			return SG_ERR_INVAL;
		}
		if (seen & PB_BIT(s)) {
			snprintf(msg, msglen, "order: %s appears twice", pb_step_name(s));
			return SG_ERR_INVAL;
		}
		pb_mask missing = preds(s) & ~seen;
		if (missing) {
			unsigned p = 0;
			while (!(missing & PB_BIT(p)))
				p++;
			snprintf(msg, msglen, "order: %s must come before %s", pb_step_name((pb_step)p),
			         pb_step_name(s));
			return SG_ERR_INVAL;
		}
		seen |= PB_BIT(s);
	}
	if (!(o->enabled & PB_BIT(PB_RECORD)) || !(o->enabled & PB_BIT(PB_FINISH))) {
		snprintf(msg, msglen, "order: record and finish cannot be turned off");
		return SG_ERR_INVAL;
	}
	/* off never satisfies a need: the step that needs it goes off too */
	for (unsigned s = 0; s < PB_STEP__COUNT; s++) {
		pb_mask off = (o->enabled & PB_BIT(s)) ? table[s].needs & ~o->enabled : 0;
		if (off) {
			unsigned p = 0;
			while (!(off & PB_BIT(p)))
				p++;
			snprintf(msg, msglen, "skip: %s needs %s, which is turned off (%s); skip %s too",
			         table[s].name, table[p].name, why_needed((pb_step)p, (pb_step)s), table[s].name);
			return SG_ERR_INVAL;
		}
	}
	return SG_OK;
}

sg_err pb_order_parse(const char *text, pb_order *out, char *msg, size_t msglen)
{
	SG_MSG_BEGIN(msg, msglen);
	if (!text || !out)
		return SG_ERR_INVAL;
	pb_order o = *out;
	unsigned n = 0;
	const char *p = text;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char name[32];
		if (len == 0 || len >= sizeof name) {
			snprintf(msg, msglen, "order: empty or overlong step name");
			return SG_ERR_INVAL;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		if (n >= PB_STEP__COUNT) {
			snprintf(msg, msglen, "order: more than %u steps", (unsigned)PB_STEP__COUNT);
			return SG_ERR_INVAL;
		}
		if (pb_step_parse(name, &o.steps[n]) != SG_OK) {
			snprintf(msg, msglen, "order: unknown step '%s'", name);
			return SG_ERR_INVAL;
		}
		n++;
		if (!e)
			break;
		p = e + 1;
	}
	if (n != PB_STEP__COUNT) {
		snprintf(msg, msglen, "order: %u steps given, all %u needed", n, (unsigned)PB_STEP__COUNT);
		return SG_ERR_INVAL;
	}
	sg_err err = pb_order_check(&o, msg, msglen);
	if (err == SG_OK)
		*out = o;
	return err;
}

bool pb_may_start(pb_step s, const pb_state st[PB_STEP__COUNT])
{
	if (!valid_step(s))
		return false;
	for (unsigned p = 0; p < PB_STEP__COUNT; p++) {
		if ((preds(s) & PB_BIT(p)) && !pb_state_terminal(st[p]))
			return false;
		if ((table[s].needs & PB_BIT(p)) && !pb_state_satisfies(st[p]))
			return false;
	}
	return true;
}

pb_decision pb_next(const pb_order *o, const pb_state st[PB_STEP__COUNT])
{
	pb_decision d = {PB_NEXT_END, PB_FINISH, PB_FINISH};
	for (unsigned i = 0; i < PB_STEP__COUNT; i++) {
		pb_step s = o->steps[i];
		if (pb_state_terminal(st[s]))
			continue;
		d.step = s;
		if (!(o->enabled & PB_BIT(s))) {
			d.verdict = PB_NEXT_SKIP;
			return d;
		}
		for (unsigned p = 0; p < PB_STEP__COUNT; p++)
			if ((table[s].needs & PB_BIT(p)) &&
			    (st[p] == PB_FAILED || st[p] == PB_BLOCKED || st[p] == PB_OFF)) {
				d.verdict = PB_NEXT_BLOCK;
				d.cause = (pb_step)p;
				return d;
			}
		d.verdict = PB_NEXT_RUN;
		return d;
	}
	return d;
}

const char *pb_outcome_so_far(const pb_state st[PB_STEP__COUNT])
{
	bool started = false;
	for (unsigned s = 0; s < PB_STEP__COUNT; s++)
		started = started || st[s] != PB_PENDING;
	if (!started)
		return "not started";
	return st[PB_FINISH] == PB_DONE ? pb_outcome(st) : "in progress";
}

/* Does step s's state keep the outcome from "contained"? */
static bool stands_in_way(pb_step s, pb_state st)
{
	return s != PB_FINISH &&
	       (st == PB_FAILED || st == PB_BLOCKED || (st == PB_OFF && pb_step_contains(s)));
}

const char *pb_outcome(const pb_state st[PB_STEP__COUNT])
{
	if (st[PB_RECORD] == PB_FAILED)
		return "failed";
	for (unsigned s = 0; s < PB_STEP__COUNT; s++)
		if (stands_in_way((pb_step)s, st[s]))
			return "partial";
	return "contained";
}

size_t pb_outcome_why(const pb_state st[PB_STEP__COUNT], char *out, size_t cap)
{
	size_t named = 0, len = 0;
	if (cap)
		out[0] = '\0';
	for (unsigned s = 0; s < PB_STEP__COUNT; s++) {
		if (!stands_in_way((pb_step)s, st[s]))
			continue;
		const char *what = st[s] == PB_OFF ? "turned off" : pb_state_name(st[s]);
		int n = len < cap ? snprintf(out + len, cap - len, "%s%s %s", named ? "; " : "",
		                             pb_step_name((pb_step)s), what)
		                  : 0;
		if (n > 0)
			len = len + (size_t)n < cap ? len + (size_t)n : cap;
		named++;
	}
	return named;
}
