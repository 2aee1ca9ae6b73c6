"""EventBridge on the default bus: rules with event patterns and SQS targets.

Per the EventBridge user guide ("Amazon EventBridge event patterns",
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html;
"Content filtering",
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html;
"Amazon EventBridge events" for the envelope): a pattern's leaves are lists
of allowed values (any matches; an event array matches if any element
does), nested objects recurse, and the content filters prefix, anything-but,
exists and numeric apply.  A matching event goes to each target: an SQS
queue gets the event's JSON envelope (or the target's Input).  PutEvents
refuses sources that start with "aws." (those are AWS services' own events:
tests inject them, e.g. a GuardDuty finding, with POST /_emulator/events).
A target queue gets the event only if its policy lets events.amazonaws.com
send for this rule (sqs.service_may_send; EventBridge user guide, "Using
resource-based policies for Amazon EventBridge", Amazon SQS permissions);
otherwise the delivery fails (recorded, as EventBridge's FailedInvocations
metric would count it).  Not emulated: other buses, schedules, input
transformers.
"""
import datetime
import json
import sys
import uuid

from errors import ApiError
from services import op, register, sqs

register(sys.modules[__name__])


def st(world):
    return world.ns.setdefault("events", {"rules": {}, "delivered": []})


def dump(world):
    s = st(world)
    return {"rules": s["rules"], "delivered": s["delivered"]}


def control(world, method, path, q, data):
    if path == "/events" and method == "POST":
        with world.lock:
            ids = [emit(world, e) for e in data.get("entries", [data])]
        return 200, {"event_ids": ids}
    return None


def _bus(p):
    if p.get("EventBusName") not in (None, "default"):
        raise ApiError("ResourceNotFoundException", f"Event bus {p['EventBusName']} does not exist.")


def _rule(w, name):
    r = st(w)["rules"].get(name)
    if r is None:
        raise ApiError("ResourceNotFoundException", f"Rule {name} does not exist on EventBus default.")
    return r


def _check_pattern(pat, depth=0):
    if not isinstance(pat, dict) or not pat or depth > 10:
        raise ApiError("InvalidEventPatternException", "Event pattern is not valid: an object with fields expected")
    for k, v in pat.items():
        if isinstance(v, dict):
            _check_pattern(v, depth + 1)
        elif not isinstance(v, list) or not v:
            raise ApiError("InvalidEventPatternException", f"Event pattern is not valid. Reason: \"{k}\" must be an "
                           "object or an array")


def _leaf_matches(rule, value):
    if isinstance(rule, dict):
        (kind, arg), = rule.items()
        if kind == "prefix":
            return isinstance(value, str) and value.startswith(arg)
        if kind == "anything-but":
            bad = arg if isinstance(arg, list) else [arg]
            return value is not None and value not in bad
        if kind == "numeric":
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                return False
            ops = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
                   ">=": lambda a, b: a >= b, "=": lambda a, b: a == b}
            return all(ops[arg[i]](value, arg[i + 1]) for i in range(0, len(arg), 2))
        raise ApiError("InvalidEventPatternException", f"Unsupported content filter {kind}")
    return rule == value


def matches(pattern, event):
    for k, want in pattern.items():
        have = event.get(k) if isinstance(event, dict) else None
        if isinstance(want, dict):
            items = have if isinstance(have, list) else [have]
            if not any(isinstance(x, dict) and matches(want, x) for x in items):
                return False
            continue
        exists = [r for r in want if isinstance(r, dict) and "exists" in r]
        if exists:
            if (k in (event or {})) != bool(exists[0]["exists"]):
                return False
            continue
        values = have if isinstance(have, list) else [have]
        if not any(_leaf_matches(r, v) for r in want for v in values):
            return False
    return True


def emit(w, entry):
    """Put one event on the default bus and deliver it; returns its id."""
    eid = str(uuid.UUID(int=w.rng.getrandbits(128), version=4))
    detail = entry.get("Detail") or "{}"
    event = {"version": "0", "id": eid, "detail-type": entry.get("DetailType"), "source": entry.get("Source"),
             "account": w.account_id,
             "time": datetime.datetime.fromtimestamp(w.now(), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "region": w.region, "resources": entry.get("Resources") or [],
             "detail": json.loads(detail) if isinstance(detail, str) else detail}
    for r in st(w)["rules"].values():
        if r["State"] != "ENABLED" or not matches(json.loads(r["EventPattern"]), event):
            continue
        for t in r["targets"].values():
            body = t.get("Input") or json.dumps(event)
            allowed = sqs.service_may_send(w, t["Arn"], "events.amazonaws.com", r["Arn"])
            ok = t["Arn"].split(":")[2] == "sqs" and allowed and sqs.send_internal(w, t["Arn"], body)
            st(w)["delivered"].append({"rule": r["Name"], "target": t["Id"], "event": eid, "ok": bool(ok),
                                       **({} if allowed else {"error": "the queue policy does not allow "
                                                                       "events.amazonaws.com"})})
    return eid


# AWS: EventBridge API reference, PutRule: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html
@op("events", "PutRule")
def put_rule(ctx, p):
    w = ctx.world
    _bus(p)
    if not p.get("EventPattern"):
        raise ApiError("ValidationException", "Parameter(s) EventPattern must be specified (schedules are not "
                       "emulated).")
    try:
        pat = json.loads(p["EventPattern"])
    except ValueError:
        raise ApiError("InvalidEventPatternException", "Event pattern is not valid JSON")
    _check_pattern(pat)
    old = st(w)["rules"].get(p["Name"], {})
    r = {"Name": p["Name"], "Arn": f"arn:{w.partition()}:events:{w.region}:{w.account_id}:rule/{p['Name']}",
         "EventPattern": p["EventPattern"], "State": p.get("State") or "ENABLED",
         "Description": p.get("Description", ""), "EventBusName": "default", "targets": old.get("targets", {})}
    st(w)["rules"][p["Name"]] = r
    return {"RuleArn": r["Arn"]}


# AWS: EventBridge API reference, DescribeRule: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_DescribeRule.html
@op("events", "DescribeRule")
def describe_rule(ctx, p):
    _bus(p)
    r = _rule(ctx.world, p["Name"])
    return {k: v for k, v in r.items() if k != "targets"}


# AWS: EventBridge API reference, DeleteRule: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_DeleteRule.html
@op("events", "DeleteRule")
def delete_rule(ctx, p):
    _bus(p)
    r = st(ctx.world)["rules"].get(p["Name"])
    if r and r["targets"]:
        raise ApiError("ValidationException", "Rule can't be deleted since it has targets.")
    st(ctx.world)["rules"].pop(p["Name"], None)
    return {}


# AWS: EventBridge API reference, PutTargets: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutTargets.html
@op("events", "PutTargets")
def put_targets(ctx, p):
    _bus(p)
    r = _rule(ctx.world, p["Rule"])
    failed = []
    for t in p["Targets"]:
        if t["Arn"].split(":")[2:3] != ["sqs"]:
            failed.append({"TargetId": t["Id"], "ErrorCode": "EmulatorNotImplemented",
                           "ErrorMessage": "only SQS targets are emulated"})
            continue
        r["targets"][t["Id"]] = {k: v for k, v in t.items() if k in ("Id", "Arn", "Input")}
    return {"FailedEntryCount": len(failed), "FailedEntries": failed}


# AWS: EventBridge API reference, ListTargetsByRule: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_ListTargetsByRule.html
@op("events", "ListTargetsByRule")
def list_targets_by_rule(ctx, p):
    _bus(p)
    return {"Targets": list(_rule(ctx.world, p["Rule"])["targets"].values())}


# AWS: EventBridge API reference, RemoveTargets: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RemoveTargets.html
@op("events", "RemoveTargets")
def remove_targets(ctx, p):
    _bus(p)
    r = _rule(ctx.world, p["Rule"])
    for i in p["Ids"]:
        r["targets"].pop(i, None)
    return {"FailedEntryCount": 0, "FailedEntries": []}


# AWS: EventBridge API reference, PutEvents: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
@op("events", "PutEvents")
def put_events(ctx, p):
    out = []
    for e in p["Entries"]:
        if e.get("EventBusName") not in (None, "default"):
            out.append({"ErrorCode": "ResourceNotFoundException", "ErrorMessage": "Event bus does not exist."})
        elif not (e.get("Source") and e.get("DetailType") and e.get("Detail")):
            out.append({"ErrorCode": "InvalidArgument", "ErrorMessage": "Parameters Source, DetailType and Detail "
                        "are required."})
        elif e["Source"].startswith("aws."):
            out.append({"ErrorCode": "NotAuthorizedForSourceException",
                        "ErrorMessage": "Not authorized for the source."})
        else:
            try:
                json.loads(e["Detail"])
            except ValueError:
                out.append({"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."})
                continue
            out.append({"EventId": emit(ctx.world, e)})
    return {"FailedEntryCount": sum(1 for x in out if "ErrorCode" in x), "Entries": out}
