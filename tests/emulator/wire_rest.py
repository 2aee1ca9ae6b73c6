"""S3's REST-XML wire format, driven by botocore's `s3` model.

Requests: the operation is chosen from the method, whether the path names a
bucket and a key, and the sub-resource in the query (ROUTES); its input
members are then read from where the model puts them (`uri`, `header`,
`headers` prefix maps, `querystring`, the payload) and type-checked.
Replies: output members go to their headers, the payload member is the body
as is, and the other members become the XML document whose root AWS names
(ROOTS).  Errors are S3's <Error> document (no body for HEAD).
"""
import datetime
import email.utils
import re
from urllib.parse import unquote
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import wire
from errors import ApiError

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"

# (method, has bucket, has key, query marker) -> operation
ROUTES = {
    ("GET", False, False, None): "ListBuckets",
    ("PUT", True, False, None): "CreateBucket",
    ("HEAD", True, False, None): "HeadBucket",
    ("DELETE", True, False, None): "DeleteBucket",
    ("GET", True, False, "list-type"): "ListObjectsV2",
    ("PUT", True, True, None): "PutObject",
    ("GET", True, True, None): "GetObject",
    ("HEAD", True, True, None): "HeadObject",
    ("DELETE", True, True, None): "DeleteObject",
}
# sub-resources the emulator knows it does not implement (refused by name)
_SUBRESOURCES = ("location", "acl", "policy", "tagging", "versioning", "lifecycle", "cors", "uploads", "uploadId",
                 "encryption", "object-lock", "retention", "legal-hold", "versions", "website", "logging",
                 "notification", "replication", "ownershipControls", "publicAccessBlock", "attributes")
ROOTS = {"ListObjectsV2": "ListBucketResult", "ListBuckets": "ListAllMyBucketsResult"}
_INT_RE = re.compile(r"^-?[0-9]{1,19}$")


def route(method, path, query):
    """(operation name, bucket, key) for a path-style request; ApiError if
    it is not one the emulator serves."""
    parts = path.lstrip("/").split("/", 1)
    bucket = unquote(parts[0]) if parts[0] else None
    key = unquote(parts[1]) if len(parts) > 1 and parts[1] else None
    marker = "list-type" if "list-type" in query else None
    name = ROUTES.get((method, bucket is not None, key is not None, marker))
    other = [q for q in query if q in _SUBRESOURCES]
    if name is None or other:
        what = other[0] if other else f"{method} {'/bucket' if bucket else '/'}{'/key' if key else ''}"
        raise ApiError("EmulatorNotImplemented", f"S3 {what} is valid on AWS but the emulator does not implement it",
                       501)
    return name, bucket, key


def _scalar(shape, raw, where):
    t = shape.type_name
    try:
        if t in ("integer", "long"):
            if not _INT_RE.match(raw):
                raise ValueError
            return int(raw)
        if t == "boolean":
            if raw not in ("true", "false"):
                raise ValueError
            return raw == "true"
        if t == "timestamp":
            d = email.utils.parsedate_to_datetime(raw) if not raw[:4].isdigit() else wire.parse_time(raw)
            return d
    except (ValueError, TypeError):
        raise ApiError("InvalidArgument", f"Invalid value for {where}: {raw[:100]!r}")
    return raw


def decode(op, bucket, key, query, headers, body):
    """The operation's input as botocore values."""
    out = {}
    shape = op.input_shape
    if shape is None:
        return out
    payload = shape.serialization.get("payload")
    for name, m in shape.members.items():
        loc, wname = m.serialization.get("location"), m.serialization.get("name", name)
        if loc == "uri":
            v = {"Bucket": bucket, "Key": key}.get(name)
            if v is not None:
                out[name] = v
        elif loc == "header":
            v = headers.get(wname)
            if v is not None:
                out[name] = _scalar(m, v, wname)
        elif loc == "headers":
            pre = wname.lower()
            meta = {k.lower()[len(pre):]: v for k, v in headers.items() if k.lower().startswith(pre)}
            if meta:
                out[name] = meta
        elif loc == "querystring":
            v = query.get(wname)
            if v is not None:
                out[name] = _scalar(m, v, wname)
        elif name == payload and body:
            out[name] = body if m.type_name == "blob" else _xml_struct(m, body)
    for r in shape.required_members:
        if r not in out:
            raise ApiError("InvalidRequest" if r != "Bucket" else "InvalidBucketName", f"{r} is required")
    return out


def _xml_struct(shape, body):
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise ApiError("MalformedXML", "The XML you provided was not well-formed or did not validate against "
                       "our published schema")
    out = {}
    for el in root:
        tag = el.tag.split("}", 1)[-1]
        if tag not in shape.members or shape.members[tag].type_name != "string":
            raise ApiError("MalformedXML", f"Unexpected element {tag[:60]}")
        out[tag] = el.text or ""
    return out


def _header_value(shape, v):
    if shape.type_name == "timestamp":
        if isinstance(v, (int, float)):
            v = datetime.datetime.fromtimestamp(v, datetime.timezone.utc)
        return email.utils.format_datetime(v.astimezone(datetime.timezone.utc), usegmt=True)
    if shape.type_name == "boolean":
        return "true" if v else "false"
    return str(v)


def encode(op, value):
    """(headers, body bytes) of a successful reply."""
    shape = op.output_shape
    value = dict(value or {})
    if shape is None:
        if value:
            raise wire.ShapeMismatch(f"{op.name} has no output")
        return [], b""
    headers = []
    payload = shape.serialization.get("payload")
    for name in list(value):
        if name not in shape.members:
            raise wire.ShapeMismatch(f"{shape.name} has no member {name}")
        m = shape.members[name]
        loc, wname = m.serialization.get("location"), m.serialization.get("name", name)
        if loc == "header":
            if value[name] is not None:
                headers.append((wname, _header_value(m, value[name])))
            del value[name]
        elif loc == "headers":
            headers += [(wname + k, v) for k, v in value.pop(name).items()]
    if payload:
        body = value.pop(payload, b"")
        if value:
            raise wire.ShapeMismatch(f"{op.name}: members beside the payload: {sorted(value)}")
        return headers, body
    if not value:
        return headers, b""
    root = ROOTS.get(op.name, shape.serialization.get("name", op.name + "Result"))
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n', f'<{root} xmlns="{S3_NS}">']
    wire._x_struct_members(shape, value, out)
    out.append(f"</{root}>")
    return headers + [("Content-Type", "application/xml")], "".join(out).encode()


def error_body(err, request_id, method, resource=""):
    """(status, content-type, body): S3's <Error> document; HEAD gets none."""
    if method == "HEAD":
        return err.status, "application/xml", b""
    res = f"<Resource>{escape(resource)}</Resource>" if resource else ""
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error>'
            f"<Code>{escape(err.code)}</Code><Message>{escape(err.message)}</Message>{res}"
            f"<RequestId>{request_id}</RequestId></Error>").encode()
    return err.status, "application/xml", body
