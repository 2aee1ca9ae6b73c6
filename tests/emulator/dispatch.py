"""One signed AWS API request: verify, route, decode, fault, handle, encode.

Routing follows the SigV4 credential scope's service name, as AWS's own
front ends do for a shared endpoint: ec2, autoscaling, elasticloadbalancing
(v2 or classic by Version), ssm, kms, dynamodb, events (JSON, X-Amz-Target), iam, sts, sns, sqs,
s3 (REST-XML, _handle_s3).
"""
import base64
import hashlib
import sys
import time
import traceback
from urllib.parse import parse_qsl, urlsplit

import faults
import sigv4check
import wire
import wire_rest
from errors import ApiError
from services import HANDLERS, iam, identity

# scope service -> {api version: model name}
SCOPES = {
    "ec2": {"2016-11-15": "ec2"},
    "autoscaling": {"2011-01-01": "autoscaling"},
    "elasticloadbalancing": {"2015-12-01": "elbv2", "2012-06-01": "elb"},
    "ssm": {None: "ssm"},
    "kms": {None: "kms"},
    "sqs": {"2012-11-05": "sqs"},
    "dynamodb": {None: "dynamodb"},
    "events": {None: "events"},
    "iam": {"2010-05-08": "iam"},
    "sts": {"2011-06-15": "sts"},
    "sns": {"2010-03-31": "sns"},
}


class Result:
    def __init__(self, status=200, ctype="text/xml;charset=UTF-8", body=b"", headers=(), drop=False, delay=0.0):
        self.status, self.ctype, self.body = status, ctype, body
        self.headers, self.drop, self.delay = list(headers), drop, delay


class Ctx:
    """What a handler sees: the world, the caller, and the request's identity."""

    def __init__(self, world, service, model_name, protocol, op, cred, region, request_id):
        self.world, self.service, self.model_name = world, service, model_name
        self.protocol, self.op, self.cred = protocol, op, cred
        self.region, self.request_id = region, request_id


def _guess_protocol(headers, params):
    if headers.get("X-Amz-Target"):
        return "json"
    if params.get("Version") == "2016-11-15":
        return "ec2"
    return "query"


def _err(protocol, e, rid, ns=""):
    status, ctype, body = wire.error_body(protocol, e, rid, ns)
    hdrs = [("x-amzn-RequestId", rid)]
    return Result(status, ctype, body, hdrs)


# STS operations a caller may send unsigned (botocore's sts model: auth type
# "none"): the caller proves itself with the token in the request.
UNSIGNED = {("sts", "AssumeRoleWithWebIdentity"), ("sts", "AssumeRoleWithSAML")}


def handle(world, method, path_qs, headers, body, scheme="http"):
    rid = world.request_id()
    if identity.serves(urlsplit(path_qs).path):
        status, ctype, data, hdrs = identity.handle_http(world, method, path_qs, headers)
        return Result(status, ctype, data, [("x-amzn-RequestId", rid)] + hdrs)
    scope = sigv4check.parse_scope(headers)
    if scope and scope[3] == "s3":
        return _handle_s3(world, method, path_qs, headers, body, scheme, rid)
    split = urlsplit(path_qs)
    params = {}
    ctype = (headers.get("Content-Type") or "").lower()
    is_json = bool(headers.get("X-Amz-Target"))
    try:
        if not is_json:
            if body and method == "POST":
                if "x-www-form-urlencoded" not in ctype and ctype:
                    raise ApiError("InvalidParameterValue", "Unsupported Content-Type for a Query request")
                params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                                        max_num_fields=5000))
            q = dict(parse_qsl(split.query, keep_blank_values=True, max_num_fields=5000))
            for k, v in q.items():
                if not k.startswith("X-Amz-"):
                    params.setdefault(k, v)
    except (UnicodeDecodeError, ValueError) as e:
        return _err(_guess_protocol(headers, {}), ApiError("MalformedQueryString", str(e)[:200], 400), rid)

    protocol = _guess_protocol(headers, params)
    service = scope[3] if scope else None
    unsigned = (not scope and not headers.get("Authorization") and params.get("Version") == "2011-06-15"
                and ("sts", params.get("Action")) in UNSIGNED)
    if unsigned:
        service = "sts"
    versions = SCOPES.get(service)
    model_name = None
    if versions is not None:
        if None in versions:          # JSON services (X-Amz-Target, no Version)
            model_name = versions[None]
            protocol = "json"
        else:
            protocol = "ec2" if service == "ec2" else "query"
            model_name = versions.get(params.get("Version"))
            if model_name is None and len(versions) == 1 and not params.get("Version"):
                model_name = next(iter(versions.values()))
    ns = ""
    if model_name:
        ns = wire.model(model_name).metadata.get("xmlNamespace", "")

    claimed = params.get("Action") or (headers.get("X-Amz-Target") or "").rpartition(".")[2] or None
    entry = {"service": service, "action": claimed, "status": None, "error": None, "access_key": None,
             "request_id": rid, "method": method}
    try:
        with world.lock:
            world.tick()
            if unsigned:
                cred, region = None, world.region
            else:
                cred, region, svc = sigv4check.verify(method, path_qs, headers, body, protocol,
                                                      world.lookup_credentials, world.wall(), scheme,
                                                      world.now())
        entry["access_key"] = cred["access_key_id"] if cred else None
        if versions is None:
            raise ApiError("InvalidAction" if protocol != "json" else "UnknownOperationException",
                           f"Credential should be scoped to correct service: '{service}' is not served here")
        # IAM has one endpoint per partition (botocore endpoints.json: aws
        # us-east-1, aws-cn cn-north-1, aws-us-gov us-gov-west-1)
        want_region = wire.partition_of(world.region)["iam_region"] if service == "iam" else world.region
        if service == "sts":
            ok_region = region in (world.region, "us-east-1")
        else:
            ok_region = region == want_region
        if not ok_region:
            raise ApiError(sigv4check._codes(protocol)[2],
                           f"Credential should be scoped to a valid region, not '{region}'. "
                           f"Expected '{want_region}'.",
                           403 if protocol == "query" else 400 if protocol == "json" else 401)
        if protocol == "json":
            target = headers.get("X-Amz-Target") or ""
            prefix = wire.model(model_name).metadata["targetPrefix"] + "."
            action = target[len(prefix):] if target.startswith(prefix) else None
            want = "application/x-amz-json-" + wire.model(model_name).metadata.get("jsonVersion", "1.1")
            if not ctype.startswith(want):
                raise ApiError("SerializationException", f"Expected Content-Type {want}")
            if action is None:
                raise ApiError("UnknownOperationException", f"Unknown target {target[:100]!r}")
        else:
            action = params.pop("Action", None)
            version = params.pop("Version", None)
            if not action:
                raise ApiError("MissingAction" if protocol != "ec2" else "MissingAction",
                               "The request must contain the parameter Action")
            if model_name is None:
                raise ApiError("InvalidAction" if protocol == "query" else "InvalidParameterValue",
                               f"Could not find operation {action} for version {version}")
        entry["action"] = action
        svc_model = wire.model(model_name)
        if action not in svc_model.operation_names:
            if protocol == "json":
                raise ApiError("UnknownOperationException", "")
            if protocol == "ec2":
                raise ApiError("InvalidAction", f"The action {action} is not valid for this web service.")
            raise ApiError("InvalidAction", f"Could not find operation {action} for version {svc_model.api_version}")
        op = svc_model.operation_model(action)
        if protocol == "json":
            decoded = wire.decode_json(op, body)
        else:
            decoded = wire.decode_query(protocol, op, params)
        entry["params"] = _redact(decoded)
        fault = faults.pick(world, service, action, protocol)
        if fault is not None:
            if fault.get("drop"):
                entry["fault"] = "drop"
                with world.lock:
                    world.record(entry)
                return Result(drop=True)
            if fault.get("error"):
                entry["fault"] = fault["error"].code
                raise fault["error"]
        delay = fault.get("delay", 0.0) if fault else 0.0
        if delay:
            entry["fault"] = "delay"
        fn = HANDLERS.get((model_name, action))
        if fn is None:
            raise ApiError("EmulatorNotImplemented",
                           f"{action} is valid in the {model_name} model but the emulator does not implement it")
        if (service, action) in UNSIGNED:
            pass                  # no caller identity: the token in the request is checked
        elif cred is None:
            raise ApiError("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
        else:
            _check_denied(cred, service, action, protocol)
            with world.lock:
                if iam.session_revoked(world, cred, f"{service}:{action}"):
                    _deny(cred, f"{service}:{action}", protocol, revoked=True)
            if protocol == "ec2" and decoded.get("TagSpecifications"):
                # tags given at creation are authorized as ec2:CreateTags too,
                # with ec2:CreateAction = this action (EC2 user guide, "Grant
                # permission to tag Amazon EC2 resources during creation",
                # https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html);
                # the refusal is the same UnauthorizedOperation as the
                # action's own, DryRun included: the answer does not say which
                if iam.key_denies(cred, "ec2:CreateTags", create_action=action):
                    _deny(cred, "ec2:CreateTags", protocol)
        if protocol == "ec2" and decoded.get("DryRun"):
            raise ApiError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
        with world.lock:
            world.tick()
            ctx = Ctx(world, service, model_name, protocol, op, cred, region, rid)
            out = fn(ctx, decoded)
            entry["status"] = 200
            if fault and fault.get("drop_after"):
                entry["fault"] = "drop_after"
            world.record(entry)
        if fault and fault.get("drop_after"):
            return Result(drop=True)
        if protocol == "json":
            data = wire.encode_json(op, out)
            ctype_out = "application/x-amz-json-" + svc_model.metadata.get("jsonVersion", "1.1")
            return Result(200, ctype_out, data, [("x-amzn-RequestId", rid)], delay=delay)
        if protocol == "ec2":
            data = wire.encode_ec2(op, out, rid)
        else:
            data = wire.encode_query(svc_model, op, out, rid)
        return Result(200, "text/xml;charset=UTF-8", data, [("x-amzn-RequestId", rid)], delay=delay)
    except ApiError as e:
        entry["status"] = e.status
        entry["error"] = e.code
        with world.lock:
            world.record(entry)
        return _err(protocol, e, rid, ns)
    except Exception as e:  # an emulator bug: answer 500 and say so loudly
        traceback.print_exc(file=sys.stderr)
        entry["status"] = 500
        entry["error"] = "EmulatorBug"
        entry["bug"] = f"{type(e).__name__}: {e}"
        with world.lock:
            world.record(entry)
        code = {"ec2": "InternalError", "json": "InternalServerError"}.get(protocol, "InternalFailure")
        return _err(protocol, ApiError(code, f"emulator bug: {type(e).__name__}: {e}", 500), rid, ns)


def _handle_s3(world, method, path_qs, headers, body, scheme, rid):
    """S3's REST-XML flow: the same checks in the same order as handle()."""
    path, _, query = path_qs.partition("?")
    q = dict(parse_qsl(query, keep_blank_values=True, max_num_fields=1000))
    entry = {"service": "s3", "action": None, "status": None, "error": None, "access_key": None,
             "request_id": rid, "method": method}
    hdrs = [("x-amz-request-id", rid), ("x-amz-id-2", rid)]
    try:
        with world.lock:
            world.tick()
            cred, region, _ = sigv4check.verify(method, path_qs, headers, body, "rest-xml",
                                                world.lookup_credentials, world.wall(), scheme, world.now())
        entry["access_key"] = cred["access_key_id"]
        if region != world.region:
            raise ApiError("AuthorizationHeaderMalformed", f"The authorization header is malformed; the region "
                           f"'{region}' is wrong; expecting '{world.region}'", 400)
        action, bucket, key = wire_rest.route(method, path, q)
        entry["action"] = action
        op = wire.model("s3").operation_model(action)
        decoded = wire_rest.decode(op, bucket, key, q, headers, body)
        entry["params"] = _redact({k: v for k, v in decoded.items() if k != "Body"})
        fault = faults.pick(world, "s3", action, "rest-xml")
        if fault is not None and fault.get("drop"):
            entry["fault"] = "drop"
            with world.lock:
                world.record(entry)
            return Result(drop=True)
        if fault is not None and fault.get("error"):
            entry["fault"] = fault["error"].code
            raise fault["error"]
        _check_denied(cred, "s3", action, "rest-xml")
        with world.lock:
            if iam.session_revoked(world, cred, f"s3:{action}"):
                _deny(cred, f"s3:{action}", "rest-xml", revoked=True)
            world.tick()
            ctx = Ctx(world, "s3", "s3", "rest-xml", op, cred, region, rid)
            out = HANDLERS[("s3", action)](ctx, decoded)
            entry["status"] = 200
            world.record(entry)
        if fault and fault.get("drop_after"):
            return Result(drop=True)
        extra, data = wire_rest.encode(op, out)
        ctype = next((v for k, v in extra if k == "Content-Type"), "application/xml")
        # HEAD: Content-Length is the object's size, not that of the (empty) reply
        extra = [(k, v) for k, v in extra if k != "Content-Type" and (k != "Content-Length" or method == "HEAD")]
        status = op.http.get("responseCode", 200)
        return Result(status, ctype, data, hdrs + extra, delay=(fault or {}).get("delay", 0.0))
    except ApiError as e:
        entry["status"], entry["error"] = e.status, e.code
        with world.lock:
            world.record(entry)
        status, ctype, data = wire_rest.error_body(e, rid, method, path)
        return Result(status, ctype, data, hdrs)
    except Exception as e:  # an emulator bug: answer 500 and say so loudly
        traceback.print_exc(file=sys.stderr)
        entry["status"], entry["error"], entry["bug"] = 500, "EmulatorBug", f"{type(e).__name__}: {e}"
        with world.lock:
            world.record(entry)
        status, ctype, data = wire_rest.error_body(
            ApiError("InternalError", f"emulator bug: {type(e).__name__}: {e}", 500), rid, method, path)
        return Result(status, ctype, data, hdrs)


_SECRET_FIELDS = ("Password", "SecretAccessKey", "SessionToken")


def _redact(v):
    if isinstance(v, dict):
        return {k: ("<redacted>" if k in _SECRET_FIELDS else _redact(x)) for k, x in v.items()}
    if isinstance(v, list):
        return [_redact(x) for x in v]
    if isinstance(v, bytes):
        return v.decode("latin-1")
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def _check_denied(cred, service, action, protocol):
    """Credentials may carry a deny list ("ec2:TerminateInstances", "ec2:*")."""
    if iam.key_denies(cred, f"{service}:{action}"):
        _deny(cred, f"{service}:{action}", protocol)


def _encoded_authorization_message(cred, name):
    """The opaque token EC2 appends to an UnauthorizedOperation ("Some AWS
    operations additionally return an encoded message that can provide
    details about this authorization failure. ... The message is encoded
    because the details of the authorization status can contain privileged
    information": STS API reference, DecodeAuthorizationMessage,
    https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html).
    Only sts:DecodeAuthorizationMessage could read it; here nobody can: a
    caller never learns from the message which action was refused."""
    digest = hashlib.sha256(f"{cred.get('access_key_id')}|{name}|{time.time_ns()}".encode()).digest()
    return base64.urlsafe_b64encode(digest * 4).decode().rstrip("=")


def _deny(cred, name, protocol, revoked=False):
    why = " with an explicit deny in an identity-based policy" if revoked else ""
    if protocol == "ec2":
        # Client.UnauthorizedOperation for an action not granted (EC2 API
        # reference, "Troubleshooting API request errors", Unauthorized
        # operation, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/query-api-troubleshooting.html#unauthorized-operation),
        # its message "You are not authorized to perform this operation.
        # Encoded authorization failure message: ..." (AWS knowledge center,
        # https://aws.amazon.com/premiumsupport/knowledge-center/ec2-not-auth-launch/);
        # with DryRun it is the answer to a request that lacks a permission
        # (EC2 API reference, "Error codes": DryRunOperation otherwise,
        # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html)
        raise ApiError("UnauthorizedOperation", "You are not authorized to perform this operation. "
                       "Encoded authorization failure message: " + _encoded_authorization_message(cred, name))
    if protocol == "json":
        raise ApiError("AccessDeniedException", f"User: {cred['arn']} is not authorized to perform: {name}{why}")
    if protocol == "rest-xml":
        raise ApiError("AccessDenied", "Access Denied", 403)
    raise ApiError("AccessDenied", f"User: {cred['arn']} is not authorized to perform: {name}{why}", 403)
