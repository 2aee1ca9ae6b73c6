"""S3: buckets and objects, enough for evidence (SSM command output, images).

Path-style requests only (botocore uses them for an IP endpoint); SigV4 with
x-amz-content-sha256 is verified by sigv4check like every other service, and
the body's SHA-256 must match it unless it is UNSIGNED-PAYLOAD (S3 API
reference, "Authenticating Requests: Using the Authorization Header (AWS
Signature Version 4)" / "Signature Calculations for the Authorization Header:
Transferring Payload in a Single Chunk",
https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html).
Content-MD5 and x-amz-checksum-sha256, when sent, are checked too (BadDigest).

Operations: CreateBucket, HeadBucket, DeleteBucket, ListBuckets, PutObject,
GetObject, HeadObject, DeleteObject, ListObjectsV2.  Behaviour per the S3 API
reference pages of those names (https://docs.aws.amazon.com/AmazonS3/latest/API/):
bucket names 3-63 of [a-z0-9.-]; re-creating your own bucket is 200 in
us-east-1 and BucketAlreadyOwnedByYou (409) elsewhere; a LocationConstraint
must name the endpoint's region (none in us-east-1); NoSuchBucket /
NoSuchKey are 404 (HEAD: no body), but a missing key is 403 AccessDenied for
a caller without s3:ListBucket (_object); DeleteObject of a missing key is 204;
DeleteBucket of a non-empty bucket is BucketNotEmpty (409).
"""
import base64
import hashlib
import re
import sys

from errors import ApiError
from services import iam, op, register

register(sys.modules[__name__])

_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
MAX_KEY = 1024


def st(world):
    return world.ns.setdefault("s3", {"buckets": {}})


def seed(world, sc):
    for b in sc.get("s3_buckets") or []:
        spec = b if isinstance(b, dict) else {"Name": b}
        add_bucket(world, spec["Name"], spec.get("Region") or world.region)
        for k, body in (spec.get("Objects") or {}).items():
            put(world, spec["Name"], k, body.encode() if isinstance(body, str) else body)


def dump(world):
    return {n: {"Region": b["Region"], "CreationDate": b["CreationDate"],
                "Objects": {k: {"Size": len(o["Body"]), "ETag": o["ETag"], "SHA256": o["sha256"],
                                "ContentType": o["ContentType"], "Metadata": o["Metadata"]}
                            for k, o in b["objects"].items()}}
            for n, b in st(world)["buckets"].items()}


def add_bucket(world, name, region):
    if not _BUCKET_RE.match(name or "") or ".." in name:
        raise ApiError("InvalidBucketName", "The specified bucket is not valid.")
    b = {"Name": name, "Region": region, "CreationDate": world.now(), "objects": {}}
    st(world)["buckets"][name] = b
    return b


def bucket(world, name):
    b = st(world)["buckets"].get(name)
    if b is None:
        raise ApiError("NoSuchBucket", "The specified bucket does not exist", 404)
    return b


def put(world, bucket_name, key, body, content_type="binary/octet-stream", metadata=None):
    """Store an object (also how the SSM agent uploads command output)."""
    if not key or len(key.encode()) > MAX_KEY:
        raise ApiError("KeyTooLongError", "Your key is too long")
    o = {"Body": body, "ETag": '"%s"' % hashlib.md5(body).hexdigest(), "LastModified": world.now(),
         "ContentType": content_type, "Metadata": dict(metadata or {}), "sha256": hashlib.sha256(body).hexdigest(),
         "checksum_sha256": None}
    bucket(world, bucket_name)["objects"][key] = o
    return o


def _object(ctx, p):
    """A missing key is 404 NoSuchKey only for a caller that may
    s3:ListBucket; any other caller gets 403 AccessDenied, so it cannot
    learn which keys exist (S3 API reference, GetObject and HeadObject,
    "Permissions": "If you don't have the s3:ListBucket permission, Amazon S3
    returns an HTTP status code 403 Access Denied error",
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
    Here a caller may list unless its key's deny list names s3:ListBucket,
    as the responder's documented policy (docs/iam-policy.json) does."""
    o = bucket(ctx.world, p["Bucket"])["objects"].get(p["Key"])
    if o is None:
        if iam.key_denies(ctx.cred, "s3:ListBucket"):
            raise ApiError("AccessDenied", "Access Denied", 403)
        raise ApiError("NoSuchKey", "The specified key does not exist.", 404)
    return o


# AWS: S3 API reference, CreateBucket: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
@op("s3", "CreateBucket")
def create_bucket(ctx, p):
    w = ctx.world
    want = (p.get("CreateBucketConfiguration") or {}).get("LocationConstraint")
    if w.region == "us-east-1" and want is not None:
        raise ApiError("InvalidLocationConstraint", "The specified location-constraint is not valid")
    if w.region != "us-east-1" and want != w.region:
        raise ApiError("IllegalLocationConstraintException",
                       f"The {want or 'unspecified'} location constraint is incompatible for the region "
                       f"specific endpoint this request was sent to.")
    if p["Bucket"] in st(w)["buckets"]:
        if w.region == "us-east-1":
            return {"Location": "/" + p["Bucket"]}
        raise ApiError("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded "
                       "and you already own it.", 409)
    add_bucket(w, p["Bucket"], w.region)
    return {"Location": "/" + p["Bucket"]}


# AWS: S3 API reference, HeadBucket: https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
@op("s3", "HeadBucket")
def head_bucket(ctx, p):
    bucket(ctx.world, p["Bucket"])
    return {}


# AWS: S3 API reference, DeleteBucket: https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html
@op("s3", "DeleteBucket")
def delete_bucket(ctx, p):
    b = bucket(ctx.world, p["Bucket"])
    if b["objects"]:
        raise ApiError("BucketNotEmpty", "The bucket you tried to delete is not empty", 409)
    del st(ctx.world)["buckets"][p["Bucket"]]
    return {}


# AWS: S3 API reference, ListBuckets: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
@op("s3", "ListBuckets")
def list_buckets(ctx, p):
    w = ctx.world
    return {"Buckets": [{"Name": n, "CreationDate": b["CreationDate"]}
                        for n, b in sorted(st(w)["buckets"].items())],
            "Owner": {"ID": hashlib.sha256(w.account_id.encode()).hexdigest()}}


def _check_digests(p, body):
    if p.get("ContentMD5") is not None:
        try:
            want = base64.b64decode(p["ContentMD5"], validate=True)
        except ValueError:
            raise ApiError("InvalidDigest", "The Content-MD5 you specified was invalid.")
        if want != hashlib.md5(body).digest():
            raise ApiError("BadDigest", "The Content-MD5 you specified did not match what we received.")
    if p.get("ChecksumSHA256") is not None:
        if p["ChecksumSHA256"] != base64.b64encode(hashlib.sha256(body).digest()).decode():
            raise ApiError("BadDigest", "The SHA256 you specified did not match the calculated checksum.")


# AWS: S3 API reference, PutObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
@op("s3", "PutObject")
def put_object(ctx, p):
    body = p.get("Body") or b""
    _check_digests(p, body)
    o = put(ctx.world, p["Bucket"], p["Key"], body, p.get("ContentType") or "binary/octet-stream",
            p.get("Metadata"))
    out = {"ETag": o["ETag"]}
    if p.get("ChecksumSHA256"):
        o["checksum_sha256"] = out["ChecksumSHA256"] = p["ChecksumSHA256"]
    return out


def _object_out(o, p):
    out = {"ContentLength": len(o["Body"]), "ETag": o["ETag"], "LastModified": o["LastModified"],
           "ContentType": o["ContentType"], "AcceptRanges": "bytes"}
    if o["Metadata"]:
        out["Metadata"] = o["Metadata"]
    if p.get("ChecksumMode") == "ENABLED" and o["checksum_sha256"]:
        out["ChecksumSHA256"] = o["checksum_sha256"]
    return out


# AWS: S3 API reference, HeadObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
@op("s3", "HeadObject")
def head_object(ctx, p):
    return _object_out(_object(ctx, p), p)


# AWS: S3 API reference, GetObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
@op("s3", "GetObject")
def get_object(ctx, p):
    o = _object(ctx, p)
    return {**_object_out(o, p), "Body": o["Body"]}


# AWS: S3 API reference, DeleteObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
@op("s3", "DeleteObject")
def delete_object(ctx, p):
    bucket(ctx.world, p["Bucket"])["objects"].pop(p["Key"], None)
    return {}


# AWS: S3 API reference, ListObjectsV2: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
@op("s3", "ListObjectsV2")
def list_objects_v2(ctx, p):
    b = bucket(ctx.world, p["Bucket"])
    prefix = p.get("Prefix") or ""
    keys = sorted(k for k in b["objects"] if k.startswith(prefix))
    after = p.get("ContinuationToken") or p.get("StartAfter")
    if p.get("ContinuationToken"):
        try:
            after = base64.urlsafe_b64decode(p["ContinuationToken"].encode()).decode()
        except ValueError:
            raise ApiError("InvalidArgument", "The continuation token provided is incorrect")
    if after:
        keys = [k for k in keys if k > after]
    n = p.get("MaxKeys", 1000)
    if n < 0:
        raise ApiError("InvalidArgument", "maxKeys should be non-negative")
    page = keys[:min(n, 1000)]
    out = {"Name": b["Name"], "Prefix": prefix, "MaxKeys": n, "KeyCount": len(page),
           "IsTruncated": len(keys) > len(page),
           "Contents": [{"Key": k, "LastModified": b["objects"][k]["LastModified"], "ETag": b["objects"][k]["ETag"],
                         "Size": len(b["objects"][k]["Body"]), "StorageClass": "STANDARD"} for k in page]}
    if out["IsTruncated"] and page:
        out["NextContinuationToken"] = base64.urlsafe_b64encode(page[-1].encode()).decode()
    if p.get("ContinuationToken"):
        out["ContinuationToken"] = p["ContinuationToken"]
    if not out["Contents"]:
        del out["Contents"]
    return out
