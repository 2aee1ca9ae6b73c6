"""KMS, as much as EBS encryption needs: customer managed keys with a key
policy, grants, aliases, enable/disable.

Who may use a key (AWS KMS developer guide, "Key policies in AWS KMS",
https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html, and
"Grants in AWS KMS", https://docs.aws.amazon.com/kms/latest/developerguide/grants.html):
the key must be Enabled, and the caller allowed by the key policy — a policy
that allows the account (`arn:aws:iam::ACCOUNT:root`, the default key
policy) lets IAM decide, i.e. the caller's identity policies (the emulator's
deny lists and role Deny statements); otherwise the policy must name the
caller's ARN for the action — or hold a grant for it.  Used by EC2: creating
a volume from a snapshot encrypted under a customer managed key needs
kms:CreateGrant, kms:Decrypt, kms:DescribeKey, kms:GenerateDataKeyWithoutPlaintext
and kms:ReEncrypt* (EBS user guide, "Amazon EBS encryption requirements",
https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html).
"""
import fnmatch
import json
import sys
import uuid

from errors import ApiError
from services import iam, op, register

register(sys.modules[__name__])

EBS_NEEDS = ("CreateGrant", "Decrypt", "DescribeKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom")
_GRANT_OPS = {"Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyPair", "GenerateDataKeyWithoutPlaintext",
              "GenerateDataKeyPairWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo", "Sign", "Verify",
              "GetPublicKey", "CreateGrant", "RetireGrant", "DescribeKey", "GenerateMac", "VerifyMac"}


def st(world):
    return world.ns.setdefault("kms", {"keys": {}, "aliases": {}})


def seed(world, sc):
    for k in sc.get("kms_keys") or []:
        key = add_key(world, k.get("Policy"), k.get("Description", ""), k.get("KeyId"))
        if k.get("Enabled") is False:
            key["Enabled"], key["KeyState"] = False, "Disabled"
        for a in k.get("Aliases") or []:
            st(world)["aliases"][a] = key["KeyId"]
        for g in k.get("Grants") or []:
            _add_grant(world, key, g["GranteePrincipal"], g["Operations"])


def dump(world):
    s = st(world)
    return {"keys": s["keys"], "aliases": s["aliases"]}


def _default_policy(world):
    return json.dumps({"Version": "2012-10-17", "Id": "key-default-1", "Statement": [{
        "Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": f"arn:{world.partition()}:iam::{world.account_id}:root"},
        "Action": "kms:*", "Resource": "*"}]})


def add_key(world, policy=None, description="", key_id=None):
    kid = key_id or str(uuid.UUID(int=world.rng.getrandbits(128), version=4))
    k = {"AWSAccountId": world.account_id, "KeyId": kid,
         "Arn": f"arn:{world.partition()}:kms:{world.region}:{world.account_id}:key/{kid}",
         "CreationDate": world.now(), "Enabled": True, "Description": description, "KeyUsage": "ENCRYPT_DECRYPT",
         "KeyState": "Enabled", "Origin": "AWS_KMS", "KeyManager": "CUSTOMER", "KeySpec": "SYMMETRIC_DEFAULT",
         "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT", "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
         "MultiRegion": False, "_policy": policy or _default_policy(world), "_grants": []}
    st(world)["keys"][kid] = k
    return k


def aws_managed_key(world, service="ebs"):
    """The account's AWS managed key of a service, alias aws/ebs: "Amazon EBS
    automatically creates a unique AWS managed key in each Region" and
    encrypts with it when no other key is named; a volume or snapshot under
    it shows its ARN as KmsKeyId (EBS user guide, "How Amazon EBS encryption
    works" / "Encryption by default",
    https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html;
    botocore ec2 Volume.KmsKeyId, Snapshot.KmsKeyId: "The Amazon Resource
    Name (ARN) of the KMS key").  Made on first use; its key policy lets the
    account's principals use it (IAM decides), as the AWS managed policy
    does through EC2."""
    alias = f"alias/aws/{service}"
    kid = st(world)["aliases"].get(alias)
    if kid in st(world)["keys"]:
        return st(world)["keys"][kid]
    k = add_key(world, None, f"Default key that protects my {service.upper()} volumes when no other key is defined")
    k["KeyManager"] = "AWS"
    st(world)["aliases"][alias] = k["KeyId"]
    return k


def is_aws_managed(world, ref):
    try:
        return key(world, ref)["KeyManager"] == "AWS"
    except ApiError:
        return False


def key(world, ref):
    """A key by id, ARN, alias name or alias ARN; NotFoundException otherwise."""
    s = st(world)
    kid = ref.rsplit("/", 1)[-1] if ref.startswith("arn:") and ":key/" in ref else ref
    if ref.startswith("alias/") or ":alias/" in ref:
        kid = s["aliases"].get("alias/" + ref.split("alias/", 1)[1])
    k = s["keys"].get(kid or "")
    if k is None:
        raise ApiError("NotFoundException", f"Key '{ref}' does not exist")
    return k


def _meta(k):
    return {n: v for n, v in k.items() if not n.startswith("_")}


def _policy_allows(world, k, arn, action):
    """(allowed, by_account): does the key policy allow `arn` to do `action`,
    and is that through the account (so IAM policies decide)?"""
    root = f"arn:{world.partition()}:iam::{world.account_id}:root"
    try:
        stmts = json.loads(k["_policy"]).get("Statement") or []
    except (ValueError, AttributeError):
        return False, False
    for s in [stmts] if isinstance(stmts, dict) else stmts:
        if not isinstance(s, dict) or s.get("Effect") != "Allow":
            continue
        acts = s.get("Action") or []
        acts = [acts] if isinstance(acts, str) else acts
        if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in acts if isinstance(a, str)):
            continue
        who = (s.get("Principal") or {})
        who = who.get("AWS", []) if isinstance(who, dict) else who
        who = [who] if isinstance(who, str) else who
        if root in who or world.account_id in who or "*" in who:
            return True, True
        if arn in who:
            return True, False
    return False, False


def can_use(world, cred, ref, ops):
    """True if the caller may do every kms:<op> in ops with the key `ref`."""
    try:
        k = key(world, ref)
    except ApiError:
        return False
    if k["KeyState"] != "Enabled":
        return False
    arn = cred["arn"]
    if cred.get("role"):    # a role session is evaluated as its role
        r = iam.st(world)["roles"].get(cred["role"])
        arn = r["Arn"] if r else arn
    for o in ops:
        name = "kms:" + o
        by_policy, by_account = _policy_allows(world, k, arn, name)
        granted = any(g["GranteePrincipal"] in (arn, cred["arn"]) and o in g["Operations"] for g in k["_grants"])
        if not (granted or (by_policy and (not by_account or iam.allowed(world, cred, name)))):
            return False
    return True


def _caller_may(ctx, k, action):
    if not can_use(ctx.world, ctx.cred, k["KeyId"], [action]) and k["KeyState"] == "Enabled":
        raise ApiError("AccessDeniedException", f"User: {ctx.cred['arn']} is not authorized to perform: "
                       f"kms:{action} on resource: {k['Arn']}")


def _add_grant(world, k, grantee, ops):
    bad = [o for o in ops if o not in _GRANT_OPS]
    if bad or not ops:
        raise ApiError("ValidationException", f"Invalid grant operations: {bad or ops}")
    g = {"KeyId": k["Arn"], "GrantId": uuid.UUID(int=world.rng.getrandbits(128), version=4).hex * 2,
         "CreationDate": world.now(), "GranteePrincipal": grantee, "IssuingAccount":
         f"arn:{world.partition()}:iam::{world.account_id}:root", "Operations": list(ops)}
    k["_grants"].append(g)
    return g


# AWS: KMS API reference, CreateKey: https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html
@op("kms", "CreateKey")
def create_key(ctx, p):
    if p.get("Policy") is not None:
        try:
            json.loads(p["Policy"])
        except ValueError:
            raise ApiError("MalformedPolicyDocumentException", "The policy is not valid JSON")
    return {"KeyMetadata": _meta(add_key(ctx.world, p.get("Policy"), p.get("Description", "")))}


# AWS: KMS API reference, DescribeKey: https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html
@op("kms", "DescribeKey")
def describe_key(ctx, p):
    k = key(ctx.world, p["KeyId"])
    _caller_may(ctx, k, "DescribeKey")
    return {"KeyMetadata": _meta(k)}


# AWS: KMS API reference, EnableKey: https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKey.html
@op("kms", "EnableKey")
def enable_key(ctx, p):
    k = key(ctx.world, p["KeyId"])
    k["Enabled"], k["KeyState"] = True, "Enabled"
    return {}


# AWS: KMS API reference, DisableKey: https://docs.aws.amazon.com/kms/latest/APIReference/API_DisableKey.html
@op("kms", "DisableKey")
def disable_key(ctx, p):
    k = key(ctx.world, p["KeyId"])
    k["Enabled"], k["KeyState"] = False, "Disabled"
    return {}


# AWS: KMS API reference, CreateGrant: https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateGrant.html
@op("kms", "CreateGrant")
def create_grant(ctx, p):
    k = key(ctx.world, p["KeyId"])
    if k["KeyState"] != "Enabled":
        raise ApiError("DisabledException", f"{k['Arn']} is disabled.")
    _caller_may(ctx, k, "CreateGrant")
    g = _add_grant(ctx.world, k, p["GranteePrincipal"], p["Operations"])
    return {"GrantId": g["GrantId"], "GrantToken": "emu-" + g["GrantId"]}


# AWS: KMS API reference, ListGrants: https://docs.aws.amazon.com/kms/latest/APIReference/API_ListGrants.html
@op("kms", "ListGrants")
def list_grants(ctx, p):
    k = key(ctx.world, p["KeyId"])
    gs = [g for g in k["_grants"] if p.get("GranteePrincipal") in (None, g["GranteePrincipal"])
          and p.get("GrantId") in (None, g["GrantId"])]
    return {"Grants": gs, "Truncated": False}


# AWS: KMS API reference, RevokeGrant: https://docs.aws.amazon.com/kms/latest/APIReference/API_RevokeGrant.html
@op("kms", "RevokeGrant")
def revoke_grant(ctx, p):
    k = key(ctx.world, p["KeyId"])
    n = len(k["_grants"])
    k["_grants"] = [g for g in k["_grants"] if g["GrantId"] != p["GrantId"]]
    if len(k["_grants"]) == n:
        raise ApiError("NotFoundException", f"Grant ID {p['GrantId']} not found")
    return {}


# AWS: KMS API reference, CreateAlias: https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html
@op("kms", "CreateAlias")
def create_alias(ctx, p):
    name = p["AliasName"]
    if not name.startswith("alias/") or name.startswith("alias/aws/"):
        raise ApiError("InvalidAliasNameException", f"Alias {name} is not valid")
    if name in st(ctx.world)["aliases"]:
        raise ApiError("AlreadyExistsException", f"An alias with the name {name} already exists")
    st(ctx.world)["aliases"][name] = key(ctx.world, p["TargetKeyId"])["KeyId"]
    return {}


# AWS: KMS API reference, ListAliases: https://docs.aws.amazon.com/kms/latest/APIReference/API_ListAliases.html
@op("kms", "ListAliases")
def list_aliases(ctx, p):
    w = ctx.world
    rows = [{"AliasName": a, "AliasArn": f"arn:{w.partition()}:kms:{w.region}:{w.account_id}:{a}", "TargetKeyId": kid}
            for a, kid in sorted(st(w)["aliases"].items())]
    if p.get("KeyId"):
        kid = key(w, p["KeyId"])["KeyId"]
        rows = [r for r in rows if r["TargetKeyId"] == kid]
    return {"Aliases": rows, "Truncated": False}
