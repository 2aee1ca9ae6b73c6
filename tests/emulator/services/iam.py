"""IAM: roles with inline policies, instance profiles.

PutRolePolicy documents are kept as given; Get returns them URL-encoded as
IAM does.  A Deny-all statement conditioned on aws:TokenIssueTime (the
console's "revoke active sessions") really revokes older role sessions: the
dispatcher asks session_revoked() for every request signed with role
credentials.
"""
import fnmatch
import json
from urllib.parse import quote

from errors import ApiError
from services import op, register
import sys
from wire import parse_time, project, shape_of

register(sys.modules[__name__])


def st(world):
    return world.ns.setdefault("iam", {"roles": {}, "profiles": {}})


def _role_out(world, r):
    out = project(shape_of("iam", "Role"), r)
    out["AssumeRolePolicyDocument"] = quote(r.get("AssumeRolePolicyDocument") or "", safe="")
    return out


def role(world, name):
    r = st(world)["roles"].get(name)
    if r is None:
        raise ApiError("NoSuchEntity", f"The role with name {name} cannot be found.", 404)
    return r


def profile(world, name):
    p = st(world)["profiles"].get(name)
    if p is None:
        raise ApiError("NoSuchEntity", f"Instance Profile {name} cannot be found.", 404)
    return p


def profile_by_arn(world, arn):
    for p in st(world)["profiles"].values():
        if p["Arn"] == arn:
            return p
    return None


def add_role(world, spec):
    s = st(world)
    name = spec["RoleName"]
    path = spec.get("Path", "/")
    doc = spec.get("AssumeRolePolicyDocument") or {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}
    if not isinstance(doc, str):
        doc = json.dumps(doc)
    r = {"RoleName": name, "Path": path, "RoleId": spec.get("RoleId") or world.new_id("AROA", 17).replace("-", "").upper()[:21],
         "Arn": f"arn:{world.partition()}:iam::{world.account_id}:role{path}{name}", "CreateDate": world.now(),
         "AssumeRolePolicyDocument": doc, "_policies": {}}
    for pname, pdoc in (spec.get("Policies") or {}).items():
        r["_policies"][pname] = pdoc if isinstance(pdoc, str) else json.dumps(pdoc)
    s["roles"][name] = r
    return r


def add_profile(world, spec):
    s = st(world)
    name = spec["InstanceProfileName"]
    path = spec.get("Path", "/")
    roles = spec.get("Roles") or []
    for rn in roles:
        if rn not in s["roles"]:
            add_role(world, {"RoleName": rn})
    p = {"InstanceProfileName": name, "Path": path,
         "InstanceProfileId": spec.get("InstanceProfileId") or world.new_id("AIPA", 17).replace("-", "").upper()[:21],
         "Arn": f"arn:{world.partition()}:iam::{world.account_id}:instance-profile{path}{name}", "CreateDate": world.now(),
         "Roles": list(roles)}
    s["profiles"][name] = p
    return p


def seed(world, sc):
    iam = sc.get("iam") or {}
    for r in iam.get("roles") or []:
        add_role(world, r)
    for p in iam.get("instance_profiles") or []:
        add_profile(world, p)


def dump(world):
    s = st(world)
    return {"roles": {n: {**{k: v for k, v in r.items() if k != "_policies"},
                          "Policies": {pn: json.loads(d) for pn, d in r["_policies"].items()}}
                      for n, r in s["roles"].items()},
            "instance_profiles": s["profiles"]}


def _profile_out(world, p):
    out = project(shape_of("iam", "InstanceProfile"), {k: v for k, v in p.items() if k != "Roles"})
    out["Roles"] = [_role_out(world, role(world, rn)) for rn in p["Roles"]]
    return out


# AWS: IAM API reference, GetInstanceProfile: https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetInstanceProfile.html
@op("iam", "GetInstanceProfile")
def get_instance_profile(ctx, p):
    return {"InstanceProfile": _profile_out(ctx.world, profile(ctx.world, p["InstanceProfileName"]))}


# AWS: IAM API reference, ListInstanceProfilesForRole: https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListInstanceProfilesForRole.html
@op("iam", "ListInstanceProfilesForRole")
def list_profiles_for_role(ctx, p):
    role(ctx.world, p["RoleName"])
    ps = [_profile_out(ctx.world, x) for x in st(ctx.world)["profiles"].values() if p["RoleName"] in x["Roles"]]
    return {"InstanceProfiles": ps, "IsTruncated": False}


# AWS: IAM API reference, GetRole: https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html
@op("iam", "GetRole")
def get_role(ctx, p):
    return {"Role": _role_out(ctx.world, role(ctx.world, p["RoleName"]))}


# AWS: IAM API reference, PutRolePolicy: https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html
@op("iam", "PutRolePolicy")
def put_role_policy(ctx, p):
    r = role(ctx.world, p["RoleName"])
    try:
        doc = json.loads(p["PolicyDocument"])
        if not isinstance(doc, dict) or "Statement" not in doc:
            raise ValueError
    except ValueError:
        raise ApiError("MalformedPolicyDocument", "Syntax errors in policy.")
    others = sum(_policy_size(d) for n, d in r["_policies"].items() if n != p["PolicyName"])
    if others + _policy_size(p["PolicyDocument"]) > ROLE_POLICY_MAX:
        raise ApiError("LimitExceeded", f"Maximum policy size of {ROLE_POLICY_MAX} bytes exceeded for role "
                       f"{r['RoleName']}", 409)
    r["_policies"][p["PolicyName"]] = p["PolicyDocument"]
    return {}


ROLE_POLICY_MAX = 10240   # all of a role's inline policies together


def _policy_size(doc):
    """IAM quotas ("IAM and AWS STS quotas", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html):
    a role's inline policies total at most 10,240 characters, and "IAM does
    not count white space when calculating the size of a policy"."""
    return sum(1 for c in doc if not c.isspace())


# AWS: IAM API reference, GetRolePolicy: https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html
@op("iam", "GetRolePolicy")
def get_role_policy(ctx, p):
    r = role(ctx.world, p["RoleName"])
    d = r["_policies"].get(p["PolicyName"])
    if d is None:
        raise ApiError("NoSuchEntity", f"The role policy with name {p['PolicyName']} cannot be found.", 404)
    return {"RoleName": r["RoleName"], "PolicyName": p["PolicyName"], "PolicyDocument": quote(d, safe="")}


# AWS: IAM API reference, DeleteRolePolicy: https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRolePolicy.html
@op("iam", "DeleteRolePolicy")
def delete_role_policy(ctx, p):
    r = role(ctx.world, p["RoleName"])
    if p["PolicyName"] not in r["_policies"]:
        raise ApiError("NoSuchEntity", f"The role policy with name {p['PolicyName']} cannot be found.", 404)
    del r["_policies"][p["PolicyName"]]
    return {}


# AWS: IAM API reference, ListRolePolicies: https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRolePolicies.html
@op("iam", "ListRolePolicies")
def list_role_policies(ctx, p):
    r = role(ctx.world, p["RoleName"])
    names = sorted(r["_policies"])
    start = 0
    if p.get("Marker"):
        try:
            start = int(p["Marker"], 16)
        except ValueError:
            raise ApiError("ValidationError", "Invalid Marker")
    n = p.get("MaxItems") or 100
    page = names[start:start + n]
    out = {"PolicyNames": page, "IsTruncated": start + n < len(names)}
    if out["IsTruncated"]:
        out["Marker"] = "%x" % (start + n)
    return out


# Actions no policy can deny: "No permissions are required to perform this
# operation. If an administrator attaches a policy to your identity that
# explicitly denies access to the sts:GetCallerIdentity action, you can still
# perform this operation" (STS API reference, GetCallerIdentity,
# https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
NEVER_DENIED = ("sts:GetCallerIdentity",)


# Tags given at creation are authorized as ec2:CreateTags, with the
# condition key ec2:CreateAction set to the creating action ("In the IAM
# policy definition for the ec2:CreateTags action, use the Condition element
# with the ec2:CreateAction condition key to give tagging permissions to the
# action that creates the resource"; "The ec2:CreateTags action is only
# evaluated if tags are applied during the resource-creating action": EC2
# user guide, "Grant permission to tag Amazon EC2 resources during
# creation", https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html).
# A CreateTags call of its own has no ec2:CreateAction.
NO_CREATE_ACTION = None


def _entry_covers(d, name, resource, create_action=NO_CREATE_ACTION):
    """One deny-list entry: an action pattern ("ec2:TerminateInstances",
    "ec2:*", "*") for every request, or a dict:
      {"Action": pattern, "Resource": glob} for the resources it names (it
        applies only where the call's resource is known: iam:PassRole's
        role, a simulation's ResourceArns);
      {"Action": "ec2:CreateTags", "CreateAction": glob} for tags given at
        the creation of a matching action only (a policy whose CreateTags
        grant lacks that ec2:CreateAction);
      {"Action": "ec2:CreateTags", "CreateAction": None} for CreateTags
        calls of their own only (the user guide's example policy: tags
        allowed at creation, existing resources never tagged)."""
    if isinstance(d, dict):
        if "CreateAction" in d:
            want = d["CreateAction"]
            if want is None and create_action is not NO_CREATE_ACTION:
                return False
            if want is not None and (create_action is NO_CREATE_ACTION or
                                     not fnmatch.fnmatchcase(create_action, want)):
                return False
        if "Resource" in d or "CreateAction" not in d:
            if resource is None or not fnmatch.fnmatchcase(resource, d.get("Resource", "*")):
                return False
        d = d.get("Action", "")
    return d == name or d == "*" or (d.endswith(":*") and name.startswith(d[:-1]))


def key_denies(cred, name, resource=None, create_action=NO_CREATE_ACTION):
    """True if the key's own deny list covers name (on resource, when known;
    for ec2:CreateTags, create_action is the request's ec2:CreateAction)."""
    if name in NEVER_DENIED:
        return False
    return any(_entry_covers(d, name, resource, create_action) for d in cred.get("deny") or [])


def check_pass_role(world, cred, profile):
    """Giving an instance a profile passes its role: the caller needs
    iam:PassRole on the role (EC2 user guide, "IAM roles for Amazon EC2",
    "Grant a user permission to pass an IAM role to an instance",
    https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html#permission-to-pass-iam-roles;
    AssociateIamInstanceProfile, ReplaceIamInstanceProfileAssociation and
    RunInstances alike).  EC2 answers UnauthorizedOperation."""
    for rn in profile.get("Roles") or []:
        arn = st(world)["roles"][rn]["Arn"] if rn in st(world)["roles"] else rn
        if key_denies(cred, "iam:PassRole", arn):
            raise ApiError("UnauthorizedOperation", f"You are not authorized to perform this operation. User: "
                           f"{cred['arn']} is not authorized to perform: iam:PassRole on resource: {arn}")


def allowed(world, cred, name):
    """What the emulator's IAM decides for this caller and action: neither its
    key's deny list nor a Deny on its role session covers it."""
    return not key_denies(cred, name) and not session_revoked(world, cred, name)


def session_revoked(world, cred, action="*"):
    """True if an inline Deny on the session's role covers this call.

    Role sessions only (IMDS credentials, or keys added with a "role").
    Statements are evaluated as IAM does for what the emulator knows: Action
    or NotAction patterns, and every condition operator/key must hold (AND; several values
    of one key: OR).  Keys: aws:TokenIssueTime, ec2:SourceInstanceARN,
    aws:PrincipalArn.  A key the session lacks, or an operator not listed in
    _OPS, makes the statement not apply.  Resource is not evaluated.
    """
    rn = cred.get("role")
    if not rn or action in NEVER_DENIED:
        return False
    r = st(world)["roles"].get(rn)
    if r is None:
        return True  # the role is gone: its sessions no longer work
    ctx = {"aws:tokenissuetime": cred.get("issued", 0),
           "ec2:sourceinstancearn": cred.get("source_instance_arn"),
           "aws:principalarn": r["Arn"]}
    for d in r["_policies"].values():
        try:
            doc = json.loads(d)
        except ValueError:
            continue
        stmts = doc.get("Statement")
        if isinstance(stmts, dict):
            stmts = [stmts]
        for s in stmts or []:
            if isinstance(s, dict) and s.get("Effect") == "Deny" and _statement_covers(s, action) \
                    and _conditions_hold(s.get("Condition") or {}, ctx):
                return True
    return False


def _statement_covers(s, action):
    """Action: the listed patterns; NotAction: every action but those (IAM
    JSON policy reference, "IAM JSON policy elements: NotAction",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html)."""
    if "NotAction" in s:
        return not _action_matches(s["NotAction"], action)
    return _action_matches(s.get("Action"), action)


def _action_matches(acts, action):
    if isinstance(acts, str):
        acts = [acts]
    return any(isinstance(a, str) and fnmatch.fnmatchcase(action.lower(), a.lower()) for a in acts or [])


def _date(v):
    if isinstance(v, (int, float)):
        return float(v)
    return parse_time(v).timestamp()


_OPS = {
    "DateLessThan": lambda have, want: _date(have) < _date(want),
    "DateLessThanEquals": lambda have, want: _date(have) <= _date(want),
    "DateGreaterThan": lambda have, want: _date(have) > _date(want),
    "DateGreaterThanEquals": lambda have, want: _date(have) >= _date(want),
    "StringEquals": lambda have, want: have == want,
    "StringNotEquals": lambda have, want: have != want,
    "StringLike": lambda have, want: fnmatch.fnmatchcase(have, want),
    "ArnEquals": lambda have, want: have == want,
    "ArnLike": lambda have, want: fnmatch.fnmatchcase(have, want),
    "ArnNotEquals": lambda have, want: have != want,
}


def _conditions_hold(cond, ctx):
    if not isinstance(cond, dict):
        return False
    for opname, pairs in cond.items():
        fn = _OPS.get(opname)
        if fn is None or not isinstance(pairs, dict):
            return False
        for key, want in pairs.items():
            have = ctx.get(key.lower())
            if have is None:
                return False
            wants = want if isinstance(want, list) else [want]
            try:
                ok = any(fn(have, w) for w in wants) if not opname.endswith("NotEquals") \
                    else all(fn(have, w) for w in wants)
            except (TypeError, ValueError):
                return False
            if not ok:
                return False
    return True


# AWS: IAM API reference, SimulatePrincipalPolicy: https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html
@op("iam", "SimulatePrincipalPolicy")
def simulate_principal_policy(ctx, p):
    """What the dispatcher would decide for that principal, per action (and
    per ResourceArns entry, matched against a deny entry's Resource glob where
    it has one: "*" otherwise, as the inline Deny statements' Resource is
    not evaluated): a user's key `deny` list; for a role, its keys' deny lists and its inline
    Deny statements without conditions (conditions need the request's
    context, which a simulation without ContextEntries lacks: AWS reports
    them as missing and so do we).  Everything else is allowed."""
    src = p["PolicySourceArn"]
    world = ctx.world
    denies, conditional = [], []
    role_name = next((n for n, r in st(world)["roles"].items() if r["Arn"] == src), None)
    creds = [c for c in world.credentials.values()
             if c["arn"] == src or (role_name and c.get("role") == role_name)]
    if role_name is None and not creds:
        raise ApiError("NoSuchEntity", f"The principal {src} cannot be found.", 404)
    for c in creds:    # a key's deny list, as statements (with a Resource when scoped)
        denies += [dict(a) if isinstance(a, dict) else {"Action": a} for a in c.get("deny") or []]
    if role_name:
        for d in st(world)["roles"][role_name]["_policies"].values():
            try:
                stmts = json.loads(d).get("Statement")
            except (ValueError, AttributeError):
                continue
            for s in [stmts] if isinstance(stmts, dict) else stmts or []:
                if isinstance(s, dict) and s.get("Effect") == "Deny":
                    (conditional if s.get("Condition") else denies).append(s)
    out = []
    for action in p["ActionNames"]:
        for res in p.get("ResourceArns") or ["*"]:  # one result per resource, as IAM
            r = {"EvalActionName": action, "EvalResourceName": res, "EvalDecision": "allowed"}
            if any(_statement_covers(s, action) and fnmatch.fnmatchcase(res, s.get("Resource", "*"))
                   for s in denies):
                r["EvalDecision"] = "explicitDeny"
            elif any(_statement_covers(s, action) for s in conditional):
                r["MissingContextValues"] = ["aws:TokenIssueTime"]
            out.append(r)
    return {"EvaluationResults": out, "IsTruncated": False}
