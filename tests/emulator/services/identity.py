"""Identity sources that are not signed API calls: OpenID Connect web
identities for STS AssumeRoleWithWebIdentity, the IAM Identity Center (SSO)
portal, and the ECS / EKS Pod Identity container credentials endpoint.

Web identity (STS API reference, AssumeRoleWithWebIdentity; IAM user guide,
"Create an OpenID Connect (OIDC) identity provider in IAM"):
  * the token is a JWT whose "iss" must be an OIDC provider registered in
    the account (arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH), whose "aud"
    must be one of the provider's client ids, and whose "exp" must be in the
    future, else InvalidIdentityToken / ExpiredTokenException (HTTP 400);
  * the role's trust policy must allow sts:AssumeRoleWithWebIdentity for
    Principal {"Federated": provider ARN}, with its StringEquals conditions
    on "HOST/PATH:aud" and "HOST/PATH:sub" holding, else AccessDenied;
  * DurationSeconds 900..43200 (default 3600); the call is unsigned.
  The emulator is the identity provider too: it signs tokens with HMAC-SHA256
  (POST /_emulator/identity/oidc-token) where a real IdP uses RS256 and a
  JWKS; what STS checks of the claims is the same.

IAM Identity Center portal (SSO Portal API reference, GetRoleCredentials):
  GET /federation/credentials?role_name=R&account_id=A with header
  x-amz-sso_bearer_token; unknown or expired token -> 401
  UnauthorizedException; no such assignment -> 404 ResourceNotFoundException;
  reply {"roleCredentials": {accessKeyId, secretAccessKey, sessionToken,
  expiration (ms since the epoch)}}.  Tokens come from POST
  /_emulator/identity/sso-token (what "aws sso login" would get).

Container endpoint (ECS developer guide "Task IAM role"; EKS user guide "EKS
Pod Identity"): GET /v1/credentials with the Authorization header holding
the pod's token -> {AccessKeyId, SecretAccessKey, Token, AccountId,
Expiration}; a wrong or missing token -> 401 (the agent's refusal).  Tokens
come from POST /_emulator/identity/container-token.
"""
import base64
import hashlib
import hmac
import json
import re
import secrets
import sys
import time as _time
from urllib.parse import parse_qs, urlsplit

from errors import ApiError
from services import iam, register, sts

register(sys.modules[__name__])

_KEY = secrets.token_bytes(32)


def st(world):
    return world.ns.setdefault("identity", {"oidc": {}, "sso_tokens": {}, "sso_assignments": [],
                                            "container_tokens": {}})


def _b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def _unb64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _provider_id(url):
    return url.split("://", 1)[-1].rstrip("/")


def add_oidc_provider(world, spec):
    pid = _provider_id(spec["url"])
    arn = f"arn:{world.partition()}:iam::{world.account_id}:oidc-provider/{pid}"
    st(world)["oidc"][pid] = {"Arn": arn, "Url": spec["url"], "ClientIDList": list(spec.get("client_ids") or [])}
    return arn


def mint_oidc_token(world, claims):
    now = int(world.now())
    body = {"iss": claims["iss"], "sub": claims.get("sub", "system:serviceaccount:default:app"),
            "aud": claims.get("aud", "sts.amazonaws.com"), "iat": now,
            "exp": now + int(claims.get("expires_in", 3600))}
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(body).encode())
    sig = _b64(hmac.new(_KEY, f"{head}.{payload}".encode(), hashlib.sha256).digest())
    return f"{head}.{payload}.{sig}"


def verify_web_token(world, token):
    """-> (claims, provider) or ApiError as STS answers."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ApiError("InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider,  "
                       "please reference AssumeRoleWithWebIdentity documentation for requirements", 400)
    want = _b64(hmac.new(_KEY, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest())
    try:
        claims = json.loads(_unb64(parts[1]))
    except (ValueError, UnicodeDecodeError):
        raise ApiError("InvalidIdentityToken", "The web identity token that was passed could not be validated by AWS.", 400)
    if not hmac.compare_digest(want, parts[2]) or not isinstance(claims, dict):
        raise ApiError("InvalidIdentityToken", "The web identity token that was passed could not be validated by AWS.", 400)
    prov = st(world)["oidc"].get(_provider_id(str(claims.get("iss", ""))))
    if prov is None:
        raise ApiError("InvalidIdentityToken", "No OpenIDConnect provider found in your account for "
                       f"{str(claims.get('iss'))[:200]}", 400)
    if claims.get("aud") not in prov["ClientIDList"]:
        raise ApiError("InvalidIdentityToken", "Incorrect token audience", 400)
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= world.now():
        raise ApiError("ExpiredTokenException", "Token expired: current date/time "
                       f"{int(world.now())} must be before the expiration date/time {claims.get('exp')}", 400)
    return claims, prov


def _trust_admits(role, prov, claims):
    try:
        doc = json.loads(role.get("AssumeRolePolicyDocument") or "{}")
    except ValueError:
        return False
    stmts = doc.get("Statement") or []
    if isinstance(stmts, dict):
        stmts = [stmts]
    pid = _provider_id(prov["Url"])
    for s in stmts:
        if s.get("Effect") != "Allow":
            continue
        fed = (s.get("Principal") or {}).get("Federated")
        feds = fed if isinstance(fed, list) else [fed]
        acts = s.get("Action")
        acts = acts if isinstance(acts, list) else [acts]
        if prov["Arn"] not in feds or "sts:AssumeRoleWithWebIdentity" not in acts:
            continue
        eq = (s.get("Condition") or {}).get("StringEquals") or {}
        if all(claims.get(k[len(pid) + 1:]) == v for k, v in eq.items() if k.startswith(pid + ":")):
            return True
    return False


def assume_role_with_web_identity(world, p):
    claims, prov = verify_web_token(world, p.get("WebIdentityToken", ""))
    arn = p.get("RoleArn", "")
    session = p.get("RoleSessionName", "")
    duration = int(p.get("DurationSeconds") or 3600)
    if not re.match(r"^[\w+=,.@-]{2,64}$", session):
        raise ApiError("ValidationError", "1 validation error detected: Value at 'roleSessionName' failed "
                       "to satisfy constraint")
    if not 900 <= duration <= 43200:
        raise ApiError("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set "
                       "for this role.")
    r = iam.st(world)["roles"].get(arn.rpartition("/")[2])
    if r is None or r["Arn"] != arn or not _trust_admits(r, prov, claims):
        raise ApiError("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403)
    c = sts.role_session(world, r, session, duration)
    st(world).setdefault("web_identity_calls", []).append({"role": arn, "session": session, "sub": claims.get("sub")})
    return {"Credentials": {"AccessKeyId": c["access_key_id"], "SecretAccessKey": c["secret_access_key"],
                            "SessionToken": c["session_token"], "Expiration": c["expires"]},
            "SubjectFromWebIdentityToken": claims.get("sub", ""),
            "AssumedRoleUser": {"AssumedRoleId": f"{r['RoleId']}:{session}", "Arn": c["arn"]},
            "Provider": prov["Arn"], "Audience": claims.get("aud", "")}


def _role_credentials(world, role_name, duration, session):
    r = iam.st(world)["roles"].get(role_name)
    return None if r is None else sts.role_session(world, r, session, duration)


# ---------------------------------------------------------------- HTTP side

def serves(path):
    return path in ("/federation/credentials", "/v1/credentials")


def _json(status, obj, extra=()):
    return status, "application/json", json.dumps(obj).encode(), list(extra)


def _sso(world, q, headers):
    token = headers.get("x-amz-sso_bearer_token") or ""
    s = st(world)
    t = s["sso_tokens"].get(token)
    s.setdefault("sso_calls", []).append({"token_known": t is not None})
    if t is None or t["expires"] <= world.now():
        return _json(401, {"message": "Session token not found or invalid"},
                     [("x-amzn-ErrorType", "UnauthorizedException")])
    account = (q.get("account_id") or [""])[0]
    role = (q.get("role_name") or [""])[0]
    if not account or not role:
        return _json(400, {"message": "role_name and account_id are required"},
                     [("x-amzn-ErrorType", "InvalidRequestException")])
    a = next((a for a in s["sso_assignments"] if a["account_id"] == account and a["role_name"] == role
              and a["user"] == t["user"]), None)
    c = _role_credentials(world, a["iam_role"], 3600, t["user"]) if a and account == world.account_id else None
    if c is None:
        return _json(404, {"message": "No access"}, [("x-amzn-ErrorType", "ResourceNotFoundException")])
    return _json(200, {"roleCredentials": {"accessKeyId": c["access_key_id"],
                                           "secretAccessKey": c["secret_access_key"],
                                           "sessionToken": c["session_token"],
                                           "expiration": int(c["expires"] * 1000)}})


def _container(world, headers):
    token = headers.get("Authorization") or ""
    s = st(world)
    t = s["container_tokens"].get(token)
    s.setdefault("container_calls", []).append({"token_known": t is not None})
    if t is None:
        return _json(401, {"message": "the service account token is not valid"})
    c = _role_credentials(world, t["role"], 6 * 3600, "eks-pod-identity")
    from datetime import datetime, timezone
    exp = datetime.fromtimestamp(c["expires"], timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return _json(200, {"AccessKeyId": c["access_key_id"], "SecretAccessKey": c["secret_access_key"],
                       "Token": c["session_token"], "AccountId": world.account_id, "Expiration": exp})


def handle_http(world, method, path_qs, headers):
    """-> (status, content type, body, headers) for serves(path)."""
    split = urlsplit(path_qs)
    if method != "GET":
        return _json(405, {"message": "GET only"})
    with world.lock:
        world.tick()
        if split.path == "/federation/credentials":
            return _sso(world, parse_qs(split.query), headers)
        return _container(world, headers)


# ---------------------------------------------------------------- control

def seed(world, sc):
    for p in (sc.get("identity") or {}).get("oidc_providers") or []:
        add_oidc_provider(world, p)


def control(world, method, path, q, data):
    if method != "POST" or not path.startswith("/identity/"):
        return None
    what = path[len("/identity/"):]
    with world.lock:
        if what == "oidc-provider":
            return 200, {"arn": add_oidc_provider(world, data)}
        if what == "oidc-token":
            return 200, {"token": mint_oidc_token(world, data)}
        if what == "sso-token":
            token = "sso-" + secrets.token_urlsafe(24)
            st(world)["sso_tokens"][token] = {"user": data.get("user", "analyst"),
                                              "expires": world.now() + float(data.get("expires_in", 28800))}
            for a in data.get("assignments") or []:
                st(world)["sso_assignments"].append({"user": data.get("user", "analyst"), **a})
            exp = _time.strftime("%Y-%m-%dT%H:%M:%SZ", _time.gmtime(st(world)["sso_tokens"][token]["expires"]))
            return 200, {"token": token, "expires_at": exp}
        if what == "container-token":
            token = data.get("token") or secrets.token_urlsafe(32)
            st(world)["container_tokens"][token] = {"role": data["role"]}
            return 200, {"token": token}
    return None


def dump(world):
    s = st(world)
    return {"oidc_providers": {k: v["Arn"] for k, v in s["oidc"].items()},
            "web_identity_calls": s.get("web_identity_calls", []),
            "sso_calls": s.get("sso_calls", []), "container_calls": s.get("container_calls", [])}
