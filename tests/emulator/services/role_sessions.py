"""The role session each instance holds: the credentials IMDS hands out and
the SSM agent signs with (one source of truth for both).

AWS, EC2 user guide, "Retrieve security credentials from instance metadata"
(https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-security-credentials.html):
the role's credentials are temporary and rotated automatically; "we make new
credentials available at least five minutes before the expiration of the old
credentials".  So the session in force at time t is a pure function of when
the instance's profile association began (A), the credentials' lifetime (L,
timing imds_credentials_seconds) and t: session k was issued at
A + k*(L - 300) and expires L later.  A new association (another profile) is
a new A, so new credentials at once; POST /_emulator/imds/rotate moves A to now.

A seeded instance was launched, with its profile, an hour before the
scenario starts (ec2.SEEDED_AGE): on AWS a fleet's credentials were issued
long before an incident, so a revocation "sessions issued before now" covers
them.
"""
from services import ec2, iam

REFRESH_BEFORE = 300     # new credentials appear this long before expiry


def st(world):
    return world.ns.setdefault("role_sessions", {})


def association(world, iid):
    """The instance's live profile association (the one IMDS serves), or None."""
    for a in ec2.st(world)["assocs"].values():
        if a["InstanceId"] == iid and a["State"] in ("associated", "associating"):
            return a
    return None


def anchor(world, a):
    return st(world).get(("from", a["AssociationId"]), a["Timestamp"])


def rotate(world, iid):
    """Credentials issued now (the control API's imds/rotate)."""
    a = association(world, iid)
    if a is not None:
        st(world)[("from", a["AssociationId"])] = world.now()


def _window(world, start, t):
    life = world.timing["imds_credentials_seconds"]
    period = max(1.0, life - REFRESH_BEFORE)
    k = int((t - start) // period) if t > start else 0
    issued = start + k * period
    return k, issued, issued + life


def role_of(world, a):
    p = iam.profile_by_arn(world, a["IamInstanceProfile"]["Arn"])
    if p is None or not p["Roles"]:
        return None, p
    return p["Roles"][0], p


def session_at(world, iid, t=None):
    """What an IAM evaluation needs of the instance's session at time t
    (default now): {role, issued, expires, source_instance_arn}, or None when
    the instance has no profile (or the profile no role)."""
    a = association(world, iid)
    if a is None:
        return None
    role, _ = role_of(world, a)
    if role is None:
        return None
    _, issued, expires = _window(world, anchor(world, a), world.now() if t is None else t)
    return {"role": role, "issued": issued, "expires": expires, "association": a["AssociationId"],
            "source_instance_arn": instance_arn(world, iid)}


def next_rotation(world, iid, t):
    """When IMDS next serves new credentials to iid after time t (None: no profile)."""
    a = association(world, iid)
    if a is None:
        return None
    life = world.timing["imds_credentials_seconds"]
    _, issued, _ = _window(world, anchor(world, a), t)
    return issued + max(1.0, life - REFRESH_BEFORE)


def instance_arn(world, iid):
    return f"arn:{world.partition()}:ec2:{world.region}:{world.account_id}:instance/{iid}"


def credentials(world, iid, new_key):
    """The signing credentials of the session in force now, registered with
    the API side once per session (new_key() makes the key material)."""
    s = session_at(world, iid)
    if s is None:
        return None
    key = (s["association"], s["issued"])
    rec = st(world).get(key)
    if rec is None:
        c = new_key()
        r = iam.st(world)["roles"].get(s["role"])
        if r is not None:
            c["user_id"] = r["RoleId"]     # a role session's id is the role's (ROLEID:SESSION)
        c.update({"issued": s["issued"], "expires": s["expires"], "role": s["role"],
                  "source_instance_arn": s["source_instance_arn"],
                  "arn": f"arn:{world.partition()}:sts::{world.account_id}:assumed-role/{s['role']}/{iid}"})
        rec = world.add_credentials(c)
        rec["session_name"] = iid
        st(world)[key] = rec
    return rec


def denied(world, iid, action, t=None):
    """True if the instance's own session may not call `action` at time t:
    no profile, or a Deny in the role's inline policies covers it (the IAM
    guide's "Revoke IAM role temporary security credentials",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html,
    denies every session issued before the cut-off, whoever holds it)."""
    s = session_at(world, iid, t)
    if s is None:
        return True
    return iam.session_revoked(world, s, action)
