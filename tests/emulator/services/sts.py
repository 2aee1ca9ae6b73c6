"""STS: GetCallerIdentity answers for the credentials that signed the call;
AssumeRole hands out temporary credentials of a role (STS API reference,
AssumeRole: DurationSeconds 900..43200, default 3600; RoleSessionName
2..64 of [\w+=,.@-]; a role that does not exist is AccessDenied, as STS
does not tell a caller which roles exist).  AssumeRoleWithWebIdentity:
services/identity.py.  Pages: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html,
https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
(never denied: services/iam.NEVER_DENIED)."""
import base64
import re
import secrets
import sys

from errors import ApiError
from services import iam, op, register

register(sys.modules[__name__])


# AWS: STS API reference, GetCallerIdentity: https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
@op("sts", "GetCallerIdentity")
def get_caller_identity(ctx, p):
    c = ctx.cred
    return {"UserId": unique_id(c), "Account": ctx.world.account_id, "Arn": c["arn"]}


def unique_id(c):
    """The caller's unique id: a user's id, or ROLEID:SESSION for a role
    session (an instance profile's session is named after the instance) —
    GetCallerIdentity's UserId and SQS's SenderId alike."""
    if c.get("role"):
        return f"{c['user_id']}:{c.get('session_name', 'session')}"
    return c["user_id"]


_SESSION_RE = re.compile(r"^[\w+=,.@-]{2,64}$")


# AWS: STS API reference, AssumeRole: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
@op("sts", "AssumeRole")
def assume_role(ctx, p):
    w = ctx.world
    arn = p.get("RoleArn", "")
    name = arn.rpartition("/")[2]
    session = p.get("RoleSessionName", "")
    duration = int(p.get("DurationSeconds") or 3600)
    if not _SESSION_RE.match(session):
        raise ApiError("ValidationError", "1 validation error detected: Value at 'roleSessionName' failed "
                       "to satisfy constraint")
    if not 900 <= duration <= 43200:
        raise ApiError("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set "
                       "for this role.")
    r = iam.st(w)["roles"].get(name)
    if r is None or r["Arn"] != arn:
        raise ApiError("AccessDenied", f"User: {ctx.cred['arn']} is not authorized to perform: "
                       f"sts:AssumeRole on resource: {arn}", 403)
    c = role_session(w, r, session, duration)
    return {"Credentials": {"AccessKeyId": c["access_key_id"], "SecretAccessKey": c["secret_access_key"],
                            "SessionToken": c["session_token"], "Expiration": c["expires"]},
            "AssumedRoleUser": {"AssumedRoleId": f"{r['RoleId']}:{session}", "Arn": c["arn"]}}


def role_session(w, r, session, duration):
    """Temporary credentials of role r for session, valid duration seconds
    (what every AssumeRole* and the SSO portal and container endpoint hand out)."""
    name = r["RoleName"]
    c = {"access_key_id": "ASIA" + secrets.token_hex(8).upper(),
         "secret_access_key": base64.b64encode(secrets.token_bytes(30)).decode(),
         "session_token": base64.b64encode(secrets.token_bytes(96)).decode(),
         "user_id": r["RoleId"], "role": name, "issued": w.now(), "expires": w.now() + duration,
         "arn": f"arn:{w.partition()}:sts::{w.account_id}:assumed-role/{name}/{session}"}
    rec = w.add_credentials(c)
    rec["session_name"] = session
    return c


# AWS: STS API reference, AssumeRoleWithWebIdentity: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
@op("sts", "AssumeRoleWithWebIdentity")
def assume_role_with_web_identity(ctx, p):
    """Unsigned (botocore: auth type none); checks in services/identity.py."""
    from services import identity
    return identity.assume_role_with_web_identity(ctx.world, p)
