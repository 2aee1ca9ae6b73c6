"""Independent SigV4 verification with botocore's canonicaliser.

The received request is rebuilt as a botocore AWSRequest holding exactly the
headers the client listed in SignedHeaders; botocore then computes the
canonical request, string to sign and signature with the secret the emulator
knows for the access key, and the two signatures are compared in constant time.
"""
import datetime
import hashlib
import hmac
import re
from urllib.parse import parse_qsl

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from errors import ApiError

# "In most cases, a request must reach AWS within five minutes of the time
# stamp in the request" (IAM user guide, "AWS Signature Version 4 for API
# requests", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_aws-signing.html);
# S3 allows 15 minutes (its RequestTimeTooSkewed: MaxAllowedSkewMilliseconds 900000).
SKEW = datetime.timedelta(minutes=5)
S3_SKEW = datetime.timedelta(minutes=15)
_ALGO = "AWS4-HMAC-SHA256"
_SIG_RE = re.compile(r"^[0-9a-fA-F]{64}$")


def _parse_auth(auth):
    """{"Credential", "SignedHeaders", "Signature"} from the header, or None.
    The three parts may come in any order, each exactly once."""
    if not auth.startswith(_ALGO + " ") or len(auth) > 8192:
        return None
    parts = {}
    for item in auth[len(_ALGO) + 1:].split(","):
        k, eq, v = item.strip().partition("=")
        if not eq or k not in ("Credential", "SignedHeaders", "Signature") or k in parts or not v:
            return None
        parts[k] = v
    return parts if len(parts) == 3 else None
_DATE_RE = re.compile(r"^\d{8}T\d{6}Z$")


class _Verifier(SigV4Auth):
    """botocore's signer, told which headers the client signed."""

    def __init__(self, creds, service, region, signed):
        super().__init__(creds, service, region)
        self._signed = signed

    def headers_to_sign(self, request):
        m = HTTPHeaders()
        for name in self._signed:
            for v in request.headers.get_all(name) or []:
                m[name] = v
        return m


class _S3Verifier(_Verifier, S3SigV4Auth):
    """S3's variant: the path is signed as sent (not normalised)."""


UNSIGNED = "UNSIGNED-PAYLOAD"


def _codes(protocol):
    """Error codes per protocol: (incomplete, badkey, badsig, expired, tokexpired, missing)."""
    if protocol == "ec2":
        return ("IncompleteSignature", "AuthFailure", "AuthFailure", "RequestExpired", "RequestExpired",
                "MissingAuthenticationToken")
    if protocol == "rest-xml":     # S3
        return ("AuthorizationHeaderMalformed", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                "RequestTimeTooSkewed", "ExpiredToken", "AccessDenied")
    if protocol == "json":
        return ("IncompleteSignatureException", "UnrecognizedClientException", "InvalidSignatureException",
                "InvalidSignatureException", "ExpiredTokenException", "MissingAuthenticationTokenException")
    return ("IncompleteSignature", "InvalidClientTokenId", "SignatureDoesNotMatch", "SignatureDoesNotMatch",
            "ExpiredToken", "MissingAuthenticationToken")


def _status(protocol):
    """HTTP status of a refused signature: Query and S3 403, JSON 400, EC2 401."""
    return {"query": 403, "rest-xml": 403, "json": 400}.get(protocol, 401)


def parse_scope(headers):
    """(access_key, date, region, service) from the Authorization header, or None."""
    auth = headers.get("Authorization")
    if not auth:
        return None
    m = _parse_auth(auth.strip())
    if not m:
        return None
    parts = m["Credential"].split("/")
    if len(parts) != 5:
        return None
    return parts[0], parts[1], parts[2], parts[3]


def verify(method, path_qs, headers, body, protocol, lookup, now, scheme="http", clock=None):
    """Check the request's signature; return (credential record, region, service).

    headers: an email.message.Message-like object (case-insensitive, get_all).
    lookup(access_key) -> dict(secret=..., token=..., expires=epoch|None) or None.
    now: real time (the signature's date is checked against it); clock: the
    emulator's virtual time (session credentials expire on it).
    Raises ApiError with the code this protocol family really returns.
    """
    inc, badkey, badsig, expired, tokexp, missing = _codes(protocol)
    auth = headers.get("Authorization")
    if not auth:
        if protocol == "json":
            raise ApiError(missing, "Missing Authentication Token", 400)
        raise ApiError(missing, "Request is missing Authentication Token", 403 if protocol != "ec2" else 401)
    m = _parse_auth(auth.strip())
    if not m:
        if not auth.startswith(_ALGO):
            raise ApiError(inc, f"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                           f"Unsupported algorithm in Authorization={auth.split(' ')[0][:40]}", 400)
        raise ApiError(inc, "Authorization header requires 'Credential' parameter. Authorization header requires "
                       "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.", 400)
    cred, signed_s, sig = m["Credential"], m["SignedHeaders"], m["Signature"]
    if not _SIG_RE.match(sig):
        raise ApiError(inc, "Signature must be 64 hexadecimal characters", 400)
    parts = cred.split("/")
    if len(parts) != 5:
        raise ApiError(inc, f"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{cred}'", 400)
    akid, cdate, region, service, term = parts
    if term != "aws4_request":
        raise ApiError(badsig, f"Credential should be scoped with a valid terminator: 'aws4_request', not '{term}'.",
                       _status(protocol))
    signed = signed_s.split(";")
    if signed != sorted(signed) or any(not s or s != s.lower() for s in signed):
        raise ApiError(inc, "SignedHeaders must be lower-case and sorted", 400)
    if "host" not in signed:
        raise ApiError(badsig, "'Host' must be a 'SignedHeader' in the AWS Authorization.",
                       _status(protocol))
    amz_date = headers.get("X-Amz-Date")
    if amz_date is None:
        raise ApiError(inc, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.", 400)
    if not _DATE_RE.match(amz_date):
        raise ApiError(inc, f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.", 400)
    if "x-amz-date" not in signed:
        raise ApiError(badsig, "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.",
                       _status(protocol))
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise ApiError(inc, f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.", 400)
    nowdt = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
    fmt = "%Y%m%dT%H%M%SZ"
    skew = S3_SKEW if protocol == "rest-xml" else SKEW
    if when < nowdt - skew or when > nowdt + skew:
        if protocol == "ec2":
            raise ApiError(expired, "Request has expired.", 400)
        if protocol == "rest-xml":
            raise ApiError(expired, "The difference between the request time and the current time is too large.",
                           403)
        if when < nowdt:
            msg = (f"Signature expired: {amz_date} is now earlier than {(nowdt - SKEW).strftime(fmt)} "
                   f"({nowdt.strftime(fmt)} - 5 min.)")
        else:
            msg = (f"Signature not yet current: {amz_date} is still later than {(nowdt + SKEW).strftime(fmt)} "
                   f"({nowdt.strftime(fmt)} + 5 min.)")
        raise ApiError(expired, msg, 403 if protocol in ("query", "rest-xml") else 400)
    if cdate != amz_date[:8]:
        raise ApiError(badsig, f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
                       f"HTTP: '{cdate}' != '{amz_date[:8]}', from '{amz_date}'.",
                       _status(protocol))
    rec = lookup(akid)
    token = headers.get("X-Amz-Security-Token")
    if rec is None or (rec.get("token") or None) != (token or None):
        if protocol == "ec2":
            raise ApiError(badkey, "AWS was not able to validate the provided access credentials", 401)
        raise ApiError(badkey, "The security token included in the request is invalid.",
                       403 if protocol in ("query", "rest-xml") else 400)
    if rec.get("expires") is not None and (clock if clock is not None else now) >= rec["expires"]:
        if protocol == "ec2":
            raise ApiError(tokexp, "Request has expired.", 400)
        raise ApiError(tokexp, "The security token included in the request is expired", 403 if protocol == "query" else 400)
    content_sha = headers.get("X-Amz-Content-SHA256")
    if protocol == "rest-xml":
        # S3 needs the header (and it signed); UNSIGNED-PAYLOAD is allowed, the
        # streaming (aws-chunked) forms are not emulated
        if content_sha is None:
            raise ApiError("InvalidRequest", "Missing required header for this request: x-amz-content-sha256", 400)
        if content_sha.startswith("STREAMING-"):
            raise ApiError("EmulatorNotImplemented", "aws-chunked (streaming) uploads are not emulated", 501)
        if content_sha != UNSIGNED and content_sha != hashlib.sha256(body).hexdigest():
            if not re.match(r"^[0-9a-f]{64}$", content_sha):
                raise ApiError("InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                               "STREAMING-AWS4-HMAC-SHA256-PAYLOAD or a valid sha256 value.", 400)
            raise ApiError("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not "
                           "match what was computed.", 400)
    elif content_sha is not None and content_sha != hashlib.sha256(body).hexdigest():
        raise ApiError(badsig, "The provided 'x-amz-content-sha256' header does not match what was computed.",
                       _status(protocol))

    host = headers.get("Host", "")
    # Split by hand: urlsplit would read "//x//" as a host (a path AWS normalises).
    path, _, query = path_qs.partition("?")
    path = path.split("#", 1)[0] or "/"
    req = AWSRequest(method=method, url=f"{scheme}://{host}{path}", data=body)
    # Decode then let botocore re-encode the query: that is how AWS
    # canonicalises (so %2f and %2F, or key order, do not matter).
    req.params = parse_qsl(query, keep_blank_values=True)
    hdrs = HTTPHeaders()
    for name in signed:
        vals = headers.get_all(name) if hasattr(headers, "get_all") else [headers.get(name)]
        if not vals or vals == [None]:
            raise ApiError(badsig, f"The request signature we calculated does not match the signature you provided. "
                           f"Signed header '{name}' is missing.",
                           _status(protocol))
        for v in vals:
            hdrs[name] = v
    req.headers = hdrs
    req.context["timestamp"] = amz_date
    creds = Credentials(akid, rec["secret"], rec.get("token"))
    v = (_S3Verifier if protocol == "rest-xml" else _Verifier)(creds, service, region, signed)
    canonical = v.canonical_request(req)
    if content_sha is None:
        pass  # botocore used the real body hash
    sts = v.string_to_sign(req, canonical)
    want = v.signature(sts, req)
    if not hmac.compare_digest(want.encode(), sig.encode()):
        if protocol == "ec2":
            raise ApiError(badsig, "AWS was not able to validate the provided access credentials", 401)
        raise ApiError(badsig, "The request signature we calculated does not match the signature you provided. "
                       "Check your AWS Secret Access Key and signing method. Consult the service documentation "
                       "for details.", 403 if protocol in ("query", "rest-xml") else 400)
    return rec, region, service
