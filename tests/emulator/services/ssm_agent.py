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
"""
from services import ec2, role_sessions

AGENT_ACTIONS = ("ec2messages:GetMessages", "ssm:UpdateInstanceInformation")


def running(world, iid):
    inst = ec2.st(world)["instances"].get(iid)
    return inst is not None and inst["State"]["Name"] == "running"


def reachable(world, iid, t=None):
    """True if the agent on iid can poll for commands at time t (default now)."""
    if not running(world, iid):
        return False
    return not any(role_sessions.denied(world, iid, a, t) for a in AGENT_ACTIONS)


def ping(world, pings, iid):
    """(PingStatus, LastPingDateTime) as DescribeInstanceInformation shows
    them; `pings` keeps each agent's last successful ping."""
    now = world.now()
    if reachable(world, iid):
        pings[iid] = now
        return "Online", now
    return "ConnectionLost", pings.get(iid, now)
