"""SSM Run Command: SendCommand (AWS-RunShellScript), GetCommandInvocation,
ListCommandInvocations, ListCommands, DescribeInstanceInformation,
CancelCommand.  What happens to a command on the instance (delivery, the run
limit, output to S3) is the agent's business: services/ssm_agent.

Each invocation goes Pending -> InProgress -> Success (or the scripted
Failed/TimedOut) over ssm_seconds per step, once the instance's agent can
reach Systems Manager (services/ssm_agent: it signs with the instance's role
session, so a revocation of that role's sessions stops delivery).  What a command "prints" is
scripted by tests: rules {"match": substring of the joined commands,
"instance_id": optional, "stdout", "stderr", "exit_code", "status",
"once": true to print it for one invocation only (a cause fixed after)} —
first match wins; no match prints nothing and exits 0.
"""
import datetime
import re
import sys
import uuid

from errors import ApiError
from services import ec2, op, register, ssm_agent

register(sys.modules[__name__])

STDOUT_MAX = 24000      # GetCommandInvocation truncates here
STDERR_MAX = 8000       # ... and here (botocore ssm GetCommandInvocation)
PLUGIN_OUTPUT_MAX = 2500  # ListCommandInvocations Details truncate here
RUN_LIMIT_MAX = 172800  # executionTimeout's maximum
DOCS = {"AWS-RunShellScript": "aws:runShellScript"}
_ID_RE = re.compile(r"^(i|mi)-[0-9a-f]{8,17}$")


def st(world):
    return world.ns.setdefault("ssm", {"managed": [], "scripts": [], "commands": {}, "invocations": {},
                                       "pings": {}, "agents_down": {}})


def seed(world, sc):
    s = sc.get("ssm") or {}
    for i in s.get("managed_instances") or []:
        if i not in st(world)["managed"]:
            st(world)["managed"].append(i)
    for r in s.get("scripts") or []:
        add_script(world, r)


def filler(n):
    """n bytes of numbered lines: a large output a test can compute again
    ("%015d\\n" % i for i = 0, 1, ..., cut at n)."""
    lines, size, i = [], 0, 0
    while size < n:
        lines.append("%015d\n" % i)
        size += 16
        i += 1
    return "".join(lines)[:n]


def add_script(world, r):
    if not isinstance(r.get("match", ""), str):
        raise ValueError("script match must be a string")
    stdout = filler(int(r["stdout_bytes"])) if r.get("stdout_bytes") is not None else r.get("stdout", "")
    st(world)["scripts"].append({"match": r.get("match", ""), "instance_id": r.get("instance_id"),
                                 "stdout": stdout, "stderr": r.get("stderr", ""),
                                 "exit_code": int(r.get("exit_code", 0)), "status": r.get("status"),
                                 "seconds": None if r.get("seconds") is None else float(r["seconds"]),
                                 "run": bool(r.get("run")),
                                 "memory_bytes": r.get("memory_bytes"),
                                 "memory_tamper": bool(r.get("memory_tamper")),
                                 "once": bool(r.get("once"))})


def control(world, method, path, q, data):
    if path == "/ssm/script" and method == "POST":
        with world.lock:
            for r in data.get("scripts", [data]):
                add_script(world, r)
        return 200, {"ok": True}
    if path == "/ssm/agent" and method == "POST":
        # {"instance_id", "online": false, "ping_lag_seconds": N}: the agent
        # stops (crashed, no route to Systems Manager) on a running
        # instance; services/ssm_agent.ping says how that shows
        with world.lock:
            down = st(world)["agents_down"]
            if data.get("online", True):
                down.pop(data["instance_id"], None)
            else:
                down[data["instance_id"]] = {"since": world.now(),
                                             "ping_lag_seconds": float(data.get("ping_lag_seconds", 0))}
        return 200, {"ok": True}
    if path == "/ssm/managed" and method == "POST":
        with world.lock:
            for i in data.get("instance_ids", []):
                if i not in st(world)["managed"]:
                    st(world)["managed"].append(i)
        return 200, {"ok": True}
    return None


def dump(world):
    s = st(world)
    return {"managed_instances": s["managed"], "agents_down": s["agents_down"], "scripts": s["scripts"],
            "commands": s["commands"],
            "invocations": {f"{k[0]}/{k[1]}": v for k, v in s["invocations"].items()}}


def _script(world, iid, text):
    for r in st(world)["scripts"]:
        if r["match"] in text and r["instance_id"] in (None, iid):
            if r.get("once"):
                st(world)["scripts"].remove(r)
            return r
    return {"stdout": "", "stderr": "", "exit_code": 0, "status": None, "seconds": None, "run": False}


def _iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        "%03dZ" % int((t % 1) * 1000)


def _execution_timeout(params):
    """AWS-RunShellScript's executionTimeout: a string of 1..172800 seconds,
    default 3600 (the document's parameter; SSM user guide, "AWS-RunShellScript",
    https://docs.aws.amazon.com/systems-manager/latest/userguide/documents-command-ssm-plugin-reference.html#aws-runShellScript)."""
    v = params.get("executionTimeout") or ["3600"]
    if len(v) != 1 or not re.match(r"^[0-9]{1,6}$", v[0]) or not 1 <= int(v[0]) <= RUN_LIMIT_MAX:
        raise ApiError("InvalidParameters", "Parameter \"executionTimeout\" has a value that does not match "
                       "the allowed pattern: 1 to 172800 seconds.")
    return int(v[0])


@op("ssm", "SendCommand")
def send_command(ctx, p):
    """AWS-RunShellScript on running managed instances.  Accepted for an
    agent that is ConnectionLost too: the invocation stays Pending ("The
    command hasn't been sent to the managed node") until the agent polls,
    or ends TimedOut / DeliveryTimedOut at TimeoutSeconds (SSM API
    reference, SendCommand and GetCommandInvocation's StatusDetails,
    https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_SendCommand.html,
    https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetCommandInvocation.html)."""
    w = ctx.world
    s = st(w)
    doc = p["DocumentName"]
    if doc not in DOCS:
        raise ApiError("InvalidDocument", f"Document with name {doc} does not exist.")
    ids = p.get("InstanceIds") or []
    if not ids:
        raise ApiError("ValidationException", "InstanceIds or Targets must be specified")
    for iid in ids:
        if not _ID_RE.match(iid):
            raise ApiError("InvalidInstanceId", f"Instances [[{iid}]] not in a valid state for account "
                           f"{w.account_id}")
        inst = ec2.st(w)["instances"].get(iid)
        if iid not in s["managed"] or inst is None or inst["State"]["Name"] != "running":
            raise ApiError("InvalidInstanceId", "Instances [[%s]] not in a valid state for account %s"
                           % (iid, w.account_id))
    params = p.get("Parameters") or {}
    for k in params:
        if k not in ("commands", "workingDirectory", "executionTimeout"):
            raise ApiError("InvalidParameters", f"Parameter \"{k}\" is not defined in the document.")
    cmds = params.get("commands")
    if not cmds:
        raise ApiError("InvalidParameters", "Parameter \"commands\" is required.")
    run_limit = _execution_timeout(params)
    cid = str(uuid.UUID(int=w.rng.getrandbits(128), version=4))
    now = w.now()
    timeout = p.get("TimeoutSeconds") or 3600
    cmd = {"CommandId": cid, "DocumentName": doc, "DocumentVersion": "$DEFAULT", "Comment": p.get("Comment", ""),
           "ExpiresAfter": now + timeout, "Parameters": params, "InstanceIds": ids, "Targets": [],
           "RequestedDateTime": now, "Status": "Pending", "StatusDetails": "Pending", "OutputS3Region": w.region,
           "OutputS3BucketName": p.get("OutputS3BucketName", ""), "OutputS3KeyPrefix": p.get("OutputS3KeyPrefix", ""),
           "MaxConcurrency": p.get("MaxConcurrency", "50"), "MaxErrors": p.get("MaxErrors", "0"),
           "TargetCount": len(ids), "CompletedCount": 0, "ErrorCount": 0, "DeliveryTimedOutCount": 0,
           "ServiceRole": "", "NotificationConfig": {"NotificationArn": "", "NotificationEvents": [],
                                                      "NotificationType": ""},
           "CloudWatchOutputConfig": {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False},
           "TimeoutSeconds": timeout}
    s["commands"][cid] = cmd
    w.created(cid)
    text = "\n".join(cmds)
    step = w.timing["ssm_seconds"]
    for iid in ids:
        sc = _script(w, iid, text)
        inv = {"CommandId": cid, "InstanceId": iid, "Status": "Pending", "StatusDetails": "Pending",
               "RequestedDateTime": now, "Comment": cmd["Comment"], "DocumentName": doc,
               "ResponseCode": -1, "start": None, "end": None, "stdout": "", "stderr": "", "_script": sc,
               "commands": cmds, "run_limit": run_limit, "visible_at": now + w.timing["ssm_visible_seconds"],
               "stdout_url": "", "stderr_url": "", "s3_upload": None}
        s["invocations"][(cid, iid)] = inv
        w.at(step, lambda inv=inv: ssm_agent.poll(w, cmd, inv, lambda: _roll(cmd, s)))
    return {"Command": _cmd_out(cmd)}


def _cmd_out(cmd):
    return {k: v for k, v in cmd.items()}


def _roll(cmd, s):
    """The command's status from its invocations': all alike -> theirs;
    some not Success -> Failed / Incomplete (SSM user guide, "Understanding
    command statuses",
    https://docs.aws.amazon.com/systems-manager/latest/userguide/monitor-commands.html)."""
    invs = [s["invocations"][(cmd["CommandId"], i)] for i in cmd["InstanceIds"]]
    done = [i for i in invs if i["Status"] not in ("Pending", "InProgress", "Delayed", "Cancelling")]
    cmd["CompletedCount"] = len(done)
    cmd["ErrorCount"] = sum(1 for i in done if i["Status"] == "Failed")
    cmd["DeliveryTimedOutCount"] = sum(1 for i in done if i["StatusDetails"] == "DeliveryTimedOut")
    if any(i["Status"] == "Cancelling" for i in invs):
        cmd["Status"] = cmd["StatusDetails"] = "Cancelling"
        return
    if len(done) < len(invs):
        if any(i["Status"] != "Pending" for i in invs):
            cmd["Status"] = cmd["StatusDetails"] = "InProgress"
        return
    kinds = {(i["Status"], i["StatusDetails"]) for i in invs}
    if len(kinds) == 1:
        cmd["Status"], cmd["StatusDetails"] = kinds.pop()
    else:
        cmd["Status"], cmd["StatusDetails"] = "Failed", "Incomplete"


# AWS: Systems Manager API reference, CancelCommand: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CancelCommand.html
@op("ssm", "CancelCommand")
def cancel_command(ctx, p):
    """Invocations not yet finished go Cancelling, then Cancelled (botocore
    ssm CancelCommand: "Attempts to cancel the command specified by the
    Command ID. There is no guarantee that the command will be terminated")."""
    w = ctx.world
    s = st(w)
    cmd = s["commands"].get(p["CommandId"])
    if cmd is None or not w.visible(p["CommandId"]):
        raise ApiError("InvalidCommandId", "")
    ids = p.get("InstanceIds") or cmd["InstanceIds"]
    if len(set(ids)) != len(ids):
        raise ApiError("DuplicateInstanceId", "")
    for iid in ids:
        if iid not in cmd["InstanceIds"]:
            raise ApiError("InvalidInstanceId", "")
    for iid in ids:
        ssm_agent.cancel(w, s["invocations"][(cmd["CommandId"], iid)], lambda: _roll(cmd, s))
    return {}


# AWS: Systems Manager API reference, GetCommandInvocation: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetCommandInvocation.html
@op("ssm", "GetCommandInvocation")
def get_command_invocation(ctx, p):
    w = ctx.world
    s = st(w)
    cid, iid = p["CommandId"], p["InstanceId"]
    if not re.match(r"^[0-9a-f-]{36}$", cid):
        raise ApiError("InvalidCommandId", "")
    if not _ID_RE.match(iid):
        raise ApiError("InvalidInstanceId", "")
    inv = s["invocations"].get((cid, iid))
    if inv is None or not w.visible(cid) or w.now() < inv["visible_at"]:
        raise ApiError("InvocationDoesNotExist", "")
    plugin = DOCS[inv["DocumentName"]]
    if p.get("PluginName") not in (None, plugin):
        raise ApiError("InvalidPluginName", "")
    out = {"CommandId": cid, "InstanceId": iid, "Comment": inv["Comment"], "DocumentName": inv["DocumentName"],
           "DocumentVersion": "1", "PluginName": plugin, "ResponseCode": inv["ResponseCode"],
           "ExecutionStartDateTime": _iso(inv["start"]) if inv["start"] else "",
           "ExecutionElapsedTime": "", "ExecutionEndDateTime": _iso(inv["end"]) if inv["end"] else "",
           "Status": inv["Status"], "StatusDetails": inv["StatusDetails"],
           "StandardOutputContent": inv["stdout"][:STDOUT_MAX], "StandardOutputUrl": inv["stdout_url"],
           "StandardErrorContent": inv["stderr"][:STDERR_MAX], "StandardErrorUrl": inv["stderr_url"],
           "CloudWatchOutputConfig": {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False}}
    if inv["start"] and inv["end"]:
        el = inv["end"] - inv["start"]
        out["ExecutionElapsedTime"] = "PT%.3fS" % el
    return out


# AWS: Systems Manager API reference, ListCommandInvocations: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_ListCommandInvocations.html
@op("ssm", "ListCommandInvocations")
def list_command_invocations(ctx, p):
    w = ctx.world
    s = st(w)
    rows = []
    for (cid, iid), inv in s["invocations"].items():
        if p.get("CommandId") and cid != p["CommandId"]:
            continue
        if p.get("InstanceId") and iid != p["InstanceId"]:
            continue
        if not w.visible(cid) or w.now() < inv["visible_at"]:
            continue
        cmd = s["commands"][cid]
        r = {"CommandId": cid, "InstanceId": iid, "InstanceName": "", "Comment": inv["Comment"],
             "DocumentName": inv["DocumentName"], "DocumentVersion": "1", "RequestedDateTime": inv["RequestedDateTime"],
             "Status": inv["Status"], "StatusDetails": inv["StatusDetails"], "TraceOutput": "",
             "StandardOutputUrl": inv["stdout_url"], "StandardErrorUrl": inv["stderr_url"], "CommandPlugins": [],
             "ServiceRole": "",
             "NotificationConfig": {"NotificationArn": "", "NotificationEvents": [], "NotificationType": ""},
             "CloudWatchOutputConfig": {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False}}
        if p.get("Details"):
            plug = {"Name": DOCS[inv["DocumentName"]], "Status": inv["Status"], "StatusDetails": inv["StatusDetails"],
                    "ResponseCode": inv["ResponseCode"], "Output": (inv["stdout"] + inv["stderr"])[:PLUGIN_OUTPUT_MAX],
                    "StandardOutputUrl": inv["stdout_url"], "StandardErrorUrl": inv["stderr_url"],
                    "OutputS3Region": w.region, "OutputS3BucketName": cmd["OutputS3BucketName"],
                    "OutputS3KeyPrefix": cmd["OutputS3KeyPrefix"]}
            if inv["start"]:
                plug["ResponseStartDateTime"] = inv["start"]
            if inv["end"]:
                plug["ResponseFinishDateTime"] = inv["end"]
            r["CommandPlugins"] = [plug]
        rows.append(r)
    if p.get("CommandId") and not rows and p["CommandId"] not in s["commands"]:
        raise ApiError("InvalidCommandId", "")
    n = p.get("MaxResults") or 50
    start = int(p["NextToken"], 16) if p.get("NextToken") else 0
    out = {"CommandInvocations": rows[start:start + n]}
    if start + n < len(rows):
        out["NextToken"] = "%x" % (start + n)
    return out


@op("ssm", "ListCommands")
def list_commands(ctx, p):
    """Pages of MaxResults (1..50; botocore ssm CommandMaxResults) with a
    NextToken, and eventually consistent: a command sent a moment ago may be
    missing (an "invisible" fault hides it; SSM API reference, ListCommands,
    https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_ListCommands.html,
    and "Eventual consistency" in the Systems Manager API reference's
    introduction)."""
    w = ctx.world
    s = st(w)
    cmds = [c for c in s["commands"].values() if w.visible(c["CommandId"])]
    if p.get("CommandId"):
        cmds = [c for c in cmds if c["CommandId"] == p["CommandId"]]
        if not cmds:
            raise ApiError("InvalidCommandId", "")
    if p.get("InstanceId"):
        cmds = [c for c in cmds if p["InstanceId"] in c["InstanceIds"]]
    n = p.get("MaxResults") or 50
    try:
        start = int(p["NextToken"], 16) if p.get("NextToken") else 0
    except ValueError:
        raise ApiError("InvalidNextToken", "The specified token is not valid.")
    out = {"Commands": [_cmd_out(c) for c in cmds[start:start + n]]}
    if start + n < len(cmds):
        out["NextToken"] = "%x" % (start + n)
    return out


@op("ssm", "DescribeInstanceInformation")
def describe_instance_information(ctx, p):
    """Managed instances with the agent's PingStatus (Online or
    ConnectionLost; Inactive is deprecated) and LastPingDateTime ("The date
    and time when the agent last pinged the Systems Manager service"; SSM
    API reference, InstanceInformation,
    https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_InstanceInformation.html).
    services/ssm_agent.ping decides both."""
    w = ctx.world
    rows = []
    for iid in st(w)["managed"]:
        inst = ec2.st(w)["instances"].get(iid)
        if inst is None:
            continue
        status, last = ssm_agent.ping(w, st(w)["pings"], iid)
        rows.append({"InstanceId": iid, "PingStatus": status, "LastPingDateTime": last, "AgentVersion": "3.2.1630.0", "IsLatestVersion": True,
                     "PlatformType": "Linux", "PlatformName": "Amazon Linux", "PlatformVersion": "2023",
                     "ResourceType": "EC2Instance", "IPAddress": ec2._instance_out(w, inst).get("PrivateIpAddress"),
                     "ComputerName": ec2._instance_out(w, inst).get("PrivateDnsName")})
    for f in p.get("Filters") or []:
        if f["Key"] == "InstanceIds":
            rows = [r for r in rows if r["InstanceId"] in f["Values"]]
        elif f["Key"] == "PingStatus":
            rows = [r for r in rows if r["PingStatus"] in f["Values"]]
        else:
            raise ApiError("InvalidFilterKey", "")
    for f in p.get("InstanceInformationFilterList") or []:
        if f["key"] == "InstanceIds":
            rows = [r for r in rows if r["InstanceId"] in f["valueSet"]]
    return {"InstanceInformationList": rows}
