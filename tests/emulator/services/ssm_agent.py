"""The SSM agent on each managed instance: a client of AWS like any other.

AWS, Systems Manager user guide, "SSM Agent technical reference" ("SSM Agent
credentials precedence",
https://docs.aws.amazon.com/systems-manager/latest/userguide/ssm-agent-technical-details.html):
on EC2 the agent's permissions come from the instance profile attached to the
instance, i.e. the role credentials IMDS serves.  "Reference: ec2messages,
ssmmessages, and other API operations"
(https://docs.aws.amazon.com/systems-manager/latest/userguide/systems-manager-setting-up-messageAPIs.html):
the agent fetches its commands with ec2messages:GetMessages and reports with
ssm:UpdateInstanceInformation, signed with those credentials.

So the agent reaches Systems Manager only while the instance is running and
its role session (services/role_sessions: the one IMDS hands out) may call
those actions.  A role policy denying sessions issued before T (the IAM
guide's "Revoke IAM role temporary security credentials") denies the agent
too, until IMDS issues it credentials after T (only near expiry) or the
instance gets another profile.  Default Host Management Configuration (an
account-wide agent role) is not modelled.

What the agent does with a command (poll): it gets it once it can reach
Systems Manager, before the delivery limit (TimeoutSeconds); runs it for the
script's `seconds` (default ssm_seconds) but at most the document's
executionTimeout; then uploads stdout/stderr to OutputS3BucketName, signed
with the same role session (so it needs s3:PutObject; a failed upload leaves
the command's result alone).
"""
import os
import subprocess
import tempfile
import threading

from errors import ApiError
from services import disks, ec2, role_sessions, s3

AGENT_ACTIONS = ("ec2messages:GetMessages", "ssm:UpdateInstanceInformation")


def running(world, iid):
    inst = ec2.st(world)["instances"].get(iid)
    return inst is not None and inst["State"]["Name"] == "running"


def _down(world, iid):
    """The agent stopped by a test (POST /ssm/agent online=false), or None."""
    return world.ns.get("ssm", {}).get("agents_down", {}).get(iid)


def reachable(world, iid, t=None):
    """True if the agent on iid can poll for commands at time t (default now)."""
    if not running(world, iid) or _down(world, iid):
        return False
    return not any(role_sessions.denied(world, iid, a, t) for a in AGENT_ACTIONS)


def ping(world, pings, iid):
    """(PingStatus, LastPingDateTime) as DescribeInstanceInformation shows
    them; `pings` keeps each agent's last successful ping.  The status
    follows the agent's pings (InstanceInformation's LastPingDateTime, SSM
    API reference): an agent stopped with ping_lag_seconds still shows
    Online for that long after it stopped, at its last ping; then
    ConnectionLost."""
    now = world.now()
    if reachable(world, iid):
        pings[iid] = now
        return "Online", now
    down = _down(world, iid)
    if down and running(world, iid) and now < down["since"] + down["ping_lag_seconds"]:
        return "Online", pings.get(iid, down["since"])
    return "ConnectionLost", pings.get(iid, now)


def poll(w, cmd, inv, changed):
    """The agent's next poll for `inv` (changed(): roll the command up).
    Past the delivery limit (TimeoutSeconds: "If this time is reached and the
    command hasn't already started running, it won't run", botocore ssm
    SendCommand) it ends TimedOut / DeliveryTimedOut; while the instance is
    not running it is Delayed."""
    if inv["Status"] not in ("Pending", "Delayed"):
        return
    step = w.timing["ssm_seconds"]
    now = w.now()
    iid = inv["InstanceId"]
    if reachable(w, iid, min(now, cmd["ExpiresAfter"] - 0.001)):
        inv["Status"] = inv["StatusDetails"] = "InProgress"
        inv["start"] = now
        changed()
        if inv["_script"].get("run"):
            _run_for_real(w, cmd, inv, changed)
            return
        took = inv["_script"].get("seconds")
        took = step if took is None else took
        if took > inv["run_limit"]:
            w.at(inv["run_limit"], lambda: _end(w, cmd, inv, changed, timed_out=True))
        else:
            w.at(took, lambda: _end(w, cmd, inv, changed))
        return
    if now >= cmd["ExpiresAfter"]:
        inv["Status"], inv["StatusDetails"] = "TimedOut", "DeliveryTimedOut"
        inv["end"] = now
        changed()
        return
    if not running(w, iid):
        inv["Status"] = inv["StatusDetails"] = "Delayed"
    nxt = now + step
    if w.horizon() > nxt:
        # the clock jumps: poll again when something can change (new
        # credentials, the delivery limit) instead of every step on the way
        rot = role_sessions.next_rotation(w, iid, now)
        nxt = max(nxt, min(x for x in (cmd["ExpiresAfter"], w.horizon(), rot) if x is not None))
    w.at(nxt - now, lambda: poll(w, cmd, inv, changed))


def _run_for_real(w, cmd, inv, changed):
    """A script rule with "run": true: the commands really run here, under
    /bin/bash in a scratch directory, with EMULATOR_SYSFS_ROOT and
    EMULATOR_DEV_ROOT showing the instance's EBS volumes as its OS would
    (services/disks), killed at executionTimeout.  A thread waits for it, so
    the emulator keeps answering meanwhile."""
    sysfs, dev = disks.machine_view(w, inv["InstanceId"])
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": disks.data_dir(w), "LANG": "C.UTF-8",
           "EMULATOR_SYSFS_ROOT": sysfs, "EMULATOR_DEV_ROOT": dev, "EMULATOR_INSTANCE_ID": inv["InstanceId"]}
    cwd = tempfile.mkdtemp(prefix="ssm-", dir=disks.data_dir(w))
    script = "\n".join(inv["commands"])

    def wait():
        timed_out = False
        try:
            p = subprocess.run(["/bin/bash", "-c", script], cwd=cwd, env=env, capture_output=True,
                               timeout=inv["run_limit"])
            out, err, code = p.stdout, p.stderr, p.returncode
        except subprocess.TimeoutExpired as e:
            out, err, code, timed_out = e.stdout or b"", e.stderr or b"", -1, True
        with w.lock:
            inv["_script"] = dict(inv["_script"], stdout=out.decode("utf-8", "replace"),
                                  stderr=err.decode("utf-8", "replace"), exit_code=code)
            _end(w, cmd, inv, changed, timed_out=timed_out)
    threading.Thread(target=wait, daemon=True).start()


def _end(w, cmd, inv, changed, timed_out=False):
    """The run ends: as scripted, or killed at executionTimeout
    (TimedOut / ExecutionTimedOut, SSM "Understanding command statuses")."""
    if inv["Status"] != "InProgress":
        return
    sc = inv.pop("_script")
    if sc.get("memory_bytes") is not None and not timed_out:
        sc = _memory(w, inv, sc)
    inv["stdout"], inv["stderr"] = sc["stdout"], sc["stderr"]
    if timed_out:
        inv["Status"], inv["StatusDetails"], inv["ResponseCode"] = "TimedOut", "ExecutionTimedOut", -1
    else:
        code = sc["exit_code"]
        inv["Status"] = inv["StatusDetails"] = sc.get("status") or ("Success" if code == 0 else "Failed")
        inv["ResponseCode"] = code
    inv["end"] = w.now()
    if cmd["OutputS3BucketName"]:
        _upload(w, cmd, inv)
    changed()


def _memory(w, inv, sc):
    """The instance side of the documented memory acquisition (docs/respond.md,
    "Memory"; playbook/memory.h): AVML's image (here memory_bytes of numbered
    lines), its SHA-256 and size printed as the command prints them, then
    `aws s3 cp` to the s3:// URL in the command, signed with the instance's
    role session: refused without s3:PutObject (the AWS CLI's error on
    stderr, exit 1).  memory_tamper uploads other bytes than were hashed (a
    compromised instance, or a broken upload)."""
    import hashlib
    import re
    from services.ssm import filler
    image = filler(int(sc["memory_bytes"])).encode()
    out = (f"ssrfguard-memory-sha256 {hashlib.sha256(image).hexdigest()}\n"
           f"ssrfguard-memory-bytes {len(image)}\n")
    dest = re.findall(r"s3://([a-z0-9.-]+)/(\S+)", "\n".join(inv["commands"]))
    if not dest:
        return dict(sc, stdout=out, stderr="usage: aws s3 cp <LocalPath> <S3Uri>\n", exit_code=252)
    bucket, key = dest[-1]
    if role_sessions.denied(w, inv["InstanceId"], "s3:PutObject"):
        return dict(sc, stdout=out, exit_code=1,
                    stderr="upload failed: An error occurred (AccessDenied) when calling the PutObject "
                           "operation: Access Denied\n")
    body = image[:-1] + b"X" if sc.get("memory_tamper") else image
    try:
        s3.put(w, bucket, key, body)
    except ApiError as e:
        return dict(sc, stdout=out, exit_code=1, stderr=f"upload failed: An error occurred ({e.code})\n")
    return dict(sc, stdout=out, stderr="", exit_code=0)


def _upload(w, cmd, inv):
    """stdout/stderr to <prefix>/<command-id>/<instance-id>/awsrunShellScript/
    0.awsrunShellScript/{stdout,stderr} (SSM user guide, "Running commands
    using Run Command": output to S3 keeps the whole output, the console and
    API only its first 24,000 / 8,000 characters)."""
    iid = inv["InstanceId"]
    parts = [cmd["OutputS3KeyPrefix"].strip("/")] if cmd["OutputS3KeyPrefix"].strip("/") else []
    base = "/".join(parts + [cmd["CommandId"], iid, "awsrunShellScript", "0.awsrunShellScript"])
    url = f"https://s3.{w.region}.amazonaws.com/{cmd['OutputS3BucketName']}/{base}"
    inv["stdout_url"], inv["stderr_url"] = url + "/stdout", url + "/stderr"
    if role_sessions.denied(w, iid, "s3:PutObject"):
        inv["s3_upload"] = "AccessDenied"
        return
    try:
        for name in ("stdout", "stderr"):
            if inv[name]:
                s3.put(w, cmd["OutputS3BucketName"], f"{base}/{name}", inv[name].encode())
        inv["s3_upload"] = "ok"
    except ApiError as e:
        inv["s3_upload"] = e.code


def cancel(w, inv, changed):
    """CancelCommand: not yet finished -> Cancelling, then Cancelled."""
    if inv["Status"] not in ("Pending", "Delayed", "InProgress"):
        return False
    inv["Status"] = inv["StatusDetails"] = "Cancelling"
    changed()

    def done():
        inv["Status"] = inv["StatusDetails"] = "Cancelled"
        inv["end"] = w.now()
        changed()
    w.at(w.timing["ssm_seconds"], done)
    return True
