"""Wire formats, driven by botocore's service models.

Requests: the flat Query/EC2 form (Name.N, Name.member.N, Name.entry.N.key)
and JSON 1.1 bodies are decoded into botocore-style Python values by walking
the operation's input shape, so an unknown or mistyped parameter is refused
exactly where the model says so.  Responses: Python values are encoded by
walking the output shape, so element names (`item`, `member`,
`reservationSet`, the Result wrapper) are right by construction.
"""
import base64
import datetime
import json
import re
from xml.sax.saxutils import escape

from errors import ApiError

_models = {}
_session = None

EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"


def _get_session():
    global _session
    if _session is None:
        import botocore.session
        _session = botocore.session.get_session()
    return _session


def _ec2_connection_tracking(data):
    """Idle connection-tracking timeouts per ENI (AWS, November 2023: EC2 API
    reference, ModifyNetworkInterfaceAttribute ConnectionTrackingSpecification,
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyNetworkInterfaceAttribute.html,
    and NetworkInterface / InstanceNetworkInterface ConnectionTrackingConfiguration,
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceNetworkInterface.html)
    are newer than Debian's botocore 1.29 model: added as botocore 1.33
    defines them (DescribeInstances shows them in networkInterfaceSet too)."""
    shapes = data["shapes"]
    if "ConnectionTrackingConfiguration" in shapes:
        return
    fields = ("TcpEstablishedTimeout", "UdpStreamTimeout", "UdpTimeout")
    shapes["ConnectionTrackingSpecificationRequest"] = {
        "type": "structure", "members": {f: {"shape": "Integer"} for f in fields}}
    shapes["ConnectionTrackingConfiguration"] = {
        "type": "structure",
        "members": {f: {"shape": "Integer", "locationName": f[0].lower() + f[1:]} for f in fields}}
    shapes["ModifyNetworkInterfaceAttributeRequest"]["members"]["ConnectionTrackingSpecification"] = {
        "shape": "ConnectionTrackingSpecificationRequest"}
    for owner in ("NetworkInterface", "InstanceNetworkInterface"):
        shapes[owner]["members"]["ConnectionTrackingConfiguration"] = {
            "shape": "ConnectionTrackingConfiguration", "locationName": "connectionTrackingConfiguration"}


def _ec2_type_connection_tracking(data):
    """Each instance type's default idle connection-tracking timeouts (EC2
    API reference, NetworkInfo connectionTrackingConfiguration, "Indicates
    conntrack information for the instance type",
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NetworkInfo.html;
    DefaultConnectionTrackingConfiguration,
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DefaultConnectionTrackingConfiguration.html)
    are newer than Debian's botocore 1.29 model: added as botocore defines
    them (DescribeInstanceTypes' networkInfo)."""
    shapes = data["shapes"]
    if "DefaultConnectionTrackingConfiguration" in shapes:
        return
    fields = ("DefaultTcpEstablishedTimeout", "DefaultUdpStreamTimeout", "DefaultUdpTimeout")
    shapes["DefaultConnectionTrackingConfiguration"] = {
        "type": "structure",
        "members": {f: {"shape": "Integer", "locationName": f[0].lower() + f[1:]} for f in fields}}
    shapes["NetworkInfo"]["members"]["ConnectionTrackingConfiguration"] = {
        "shape": "DefaultConnectionTrackingConfiguration", "locationName": "connectionTrackingConfiguration"}


def _ec2_newer(data):
    _ec2_connection_tracking(data)
    _ec2_type_connection_tracking(data)


# What AWS's APIs have that the installed botocore models predate.
_NEWER_THAN_MODEL = {"ec2": _ec2_newer}


def model(name):
    """Load a botocore service model once (lazily: startup stays fast)."""
    m = _models.get(name)
    if m is None:
        if name in _NEWER_THAN_MODEL:
            import copy
            from botocore.model import ServiceModel
            data = copy.deepcopy(_get_session().get_service_data(name))
            _NEWER_THAN_MODEL[name](data)
            m = ServiceModel(data, service_name=name)
        else:
            m = _get_session().get_service_model(name)
        _models[name] = m
    return m


_partitions = {"us-east-1": {"partition": "aws", "iam_region": "us-east-1"}}   # the default, without I/O


def partition_of(region):
    """{"partition": "aws-cn", "iam_region": "cn-north-1"} for a region, from
    botocore's endpoints.json (each partition's regionRegex and its global IAM
    endpoint's credentialScope): aws-cn and aws-us-gov have their own IAM."""
    p = _partitions.get(region)
    if p is None:
        for part in _get_session().get_data("endpoints")["partitions"]:
            if region in part["regions"] or re.match(part["regionRegex"], region):
                iam = part["services"].get("iam", {}).get("endpoints", {})
                scope = next((e["credentialScope"]["region"] for e in iam.values()
                              if e.get("credentialScope") and not e.get("deprecated")), None)
                p = {"partition": part["partition"], "iam_region": scope or region}
                break
        else:
            p = {"partition": "aws", "iam_region": "us-east-1"}
        _partitions[region] = p
    return p


# ---------------------------------------------------------------- errors

def param_error(protocol, kind, name, detail=""):
    """The error each protocol family really returns for bad parameters."""
    if protocol == "ec2":
        if kind == "unknown":
            return ApiError("UnknownParameter", f"The parameter {name} is not recognized")
        if kind == "missing":
            return ApiError("MissingParameter", f"The request must contain the parameter {name}")
        return ApiError("InvalidParameterValue", f"Value ({detail}) for parameter {name} is invalid.")
    if protocol == "json":
        if kind == "missing":
            return ApiError("ValidationException",
                            f"1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null")
        if kind == "unknown":
            return ApiError("SerializationException", f"Unrecognized field \"{name}\"")
        if kind == "type":
            return ApiError("SerializationException", f"Cannot deserialize value of field {name}: {detail}")
        return ApiError("ValidationException", f"1 validation error detected: Value '{detail}' at '{name}' failed to satisfy constraint: {kind}")
    # query
    if kind == "missing":
        return ApiError("ValidationError",
                        f"1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null")
    if kind == "unknown":
        return ApiError("ValidationError", f"The parameter {name} is not recognized")
    if kind == "type":
        return ApiError("ValidationError", f"Value '{detail}' for parameter {name} is invalid")
    return ApiError("ValidationError", f"1 validation error detected: Value '{detail}' at '{name}' failed to satisfy constraint: {kind}")


def _lc_first(s):
    return s[:1].lower() + s[1:]


# ------------------------------------------------------------ scalar checks

_INT_RE = re.compile(r"^-?[0-9]{1,19}$")


def _parse_scalar(protocol, shape, raw, where):
    t = shape.type_name
    if t == "string":
        if not isinstance(raw, str):
            raise param_error(protocol, "type", where, raw)
        _check_string(protocol, shape, raw, where)
        return raw
    if t in ("integer", "long"):
        if isinstance(raw, bool):
            raise param_error(protocol, "type", where, raw)
        if isinstance(raw, int):
            v = raw
        elif isinstance(raw, str) and _INT_RE.match(raw):
            v = int(raw)
        else:
            raise param_error(protocol, "type", where, raw)
        lo = shape.metadata.get("min")
        hi = shape.metadata.get("max")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            if protocol == "ec2":
                raise param_error(protocol, "type", where, raw)
            raise param_error(protocol, f"Member must have value between {lo} and {hi}", where, raw)
        return v
    if t in ("float", "double"):
        try:
            if isinstance(raw, bool):
                raise ValueError
            return float(raw)
        except (TypeError, ValueError):
            raise param_error(protocol, "type", where, raw)
    if t == "boolean":
        if isinstance(raw, bool):
            return raw
        if raw in ("true", "false"):
            return raw == "true"
        raise param_error(protocol, "type", where, raw)
    if t == "timestamp":
        try:
            if isinstance(raw, (int, float)) and not isinstance(raw, bool):
                return datetime.datetime.fromtimestamp(raw, datetime.timezone.utc)
            return parse_time(raw)
        except (TypeError, ValueError):
            raise param_error(protocol, "type", where, raw)
    if t == "blob":
        try:
            return base64.b64decode(raw, validate=True)
        except (TypeError, ValueError):
            raise param_error(protocol, "type", where, raw)
    raise param_error(protocol, "type", where, raw)


def _check_string(protocol, shape, v, where):
    if protocol == "ec2":
        # EC2 checks lengths per action, but enumerated values up front
        enum = shape.metadata.get("enum")
        if enum and v not in enum:
            raise ApiError("InvalidParameterValue", f"Value ({v}) for parameter {where} is invalid. "
                           f"Valid values: {', '.join(enum)}")
        return
    lo = shape.metadata.get("min")
    hi = shape.metadata.get("max")
    if lo is not None and len(v) < lo:
        raise param_error(protocol, f"Member must have length greater than or equal to {lo}", where, v)
    if hi is not None and len(v) > hi:
        raise param_error(protocol, f"Member must have length less than or equal to {hi}", where, v)
    enum = shape.metadata.get("enum")
    if enum and v not in enum:
        raise param_error(protocol, f"Member must satisfy enum value set: [{', '.join(enum)}]", where, v)


def parse_time(s):
    s = s.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    d = datetime.datetime.fromisoformat(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d


# --------------------------------------------------------- query decoding

class _Node:
    __slots__ = ("value", "kids", "used", "key")

    def __init__(self, key):
        self.key = key
        self.value = None
        self.kids = {}
        self.used = False


def _tree(params):
    root = _Node("")
    for k, v in params.items():
        node = root
        for seg in k.split("."):
            nxt = node.kids.get(seg)
            if nxt is None:
                nxt = _Node(seg if not node.key else node.key + "." + seg)
                node.kids[seg] = nxt
            node = nxt
        node.value = v
    return root


def decode_query(protocol, op, params):
    """Decode flat form params (without Action/Version) for operation `op`."""
    root = _tree(params)
    shape = op.input_shape
    out = {}
    if shape is not None:
        out = _q_struct(protocol, shape, root)
    bad = _first_unused(root)
    if bad is not None:
        raise param_error(protocol, "unknown", bad)
    return out


def _first_unused(node):
    for kid in node.kids.values():
        if not kid.used and (kid.value is not None or kid.kids):
            return kid.key
        if kid.used:
            b = _first_unused(kid)
            if b is not None:
                return b
    return None


def _q_name(protocol, shape, member_name):
    ser = shape.serialization
    if protocol == "ec2":
        if "queryName" in ser:
            return ser["queryName"]
        if "name" in ser:
            return ser["name"][0].upper() + ser["name"][1:]
        return member_name
    return ser.get("name", member_name)


def _q_struct(protocol, shape, node):
    out = {}
    node.used = True
    for mname, mshape in shape.members.items():
        key = _q_name(protocol, mshape, mname)
        if protocol != "ec2" and mshape.type_name == "list" and mshape.serialization.get("flattened") \
                and mshape.member.serialization.get("name"):
            key = mshape.member.serialization["name"]
        kid = node.kids.get(key)
        if kid is None:
            if mname in shape.required_members:
                raise param_error(protocol, "missing", key if protocol == "ec2" else _lc_first(mname))
            continue
        out[mname] = _q_value(protocol, mshape, kid)
    return out


def _q_value(protocol, shape, node):
    t = shape.type_name
    node.used = True
    if t == "structure":
        if node.value is not None and not node.kids:
            raise param_error(protocol, "type", node.key, node.value)
        return _q_struct(protocol, shape, node)
    if t == "list":
        holder = node
        if protocol != "ec2" and not shape.serialization.get("flattened"):
            if node.value == "" and not node.kids:
                return []
            holder = node.kids.get(shape.member.serialization.get("name", "member"))
            if holder is None:
                raise param_error(protocol, "type", node.key, node.value or "")
            holder.used = True
        items = []
        for seg, kid in holder.kids.items():
            if not seg.isdigit() or int(seg) < 1 or len(seg) > 6:
                continue  # left unused: reported as unknown
            items.append((int(seg), kid))
        items.sort(key=lambda x: x[0])
        if node.value is not None and node.value != "":
            raise param_error(protocol, "type", node.key, node.value)
        return [_q_value(protocol, shape.member, kid) for _, kid in items]
    if t == "map":
        holder = node
        if not shape.serialization.get("flattened"):
            holder = node.kids.get("entry")
            if holder is None:
                return {}
            holder.used = True
        kname = shape.key.serialization.get("name", "key")
        vname = shape.value.serialization.get("name", "value")
        out = {}
        for seg, kid in sorted(holder.kids.items(), key=lambda x: int(x[0]) if x[0].isdigit() else 0):
            if not seg.isdigit():
                continue
            kid.used = True
            k = kid.kids.get(kname)
            v = kid.kids.get(vname)
            if k is None or v is None:
                raise param_error(protocol, "missing", kid.key + "." + (kname if k is None else vname))
            out[_q_value(protocol, shape.key, k)] = _q_value(protocol, shape.value, v)
        return out
    if node.kids:
        raise param_error(protocol, "unknown", next(iter(node.kids.values())).key)
    return _parse_scalar(protocol, shape, node.value, node.key)


# ---------------------------------------------------------- JSON decoding

def decode_json(op, body):
    try:
        data = json.loads(body.decode("utf-8") or "{}") if body else {}
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError("SerializationException", "Malformed JSON body")
    if not isinstance(data, dict):
        raise ApiError("SerializationException", "Request body must be a JSON object")
    shape = op.input_shape
    if shape is None:
        if data:
            raise param_error("json", "unknown", next(iter(data)))
        return {}
    return _j_value(shape, data, "", 0)


def _j_value(shape, v, where, depth):
    if depth > 32:
        raise ApiError("SerializationException", "Request nesting too deep")
    t = shape.type_name
    if v is None:
        return None
    if t == "structure":
        if not isinstance(v, dict):
            raise param_error("json", "type", where or "body", v)
        out = {}
        for k in v:
            if k not in shape.members:
                raise param_error("json", "unknown", k)
        for k, val in v.items():
            out[k] = _j_value(shape.members[k], val, (where + "." if where else "") + _lc_first(k), depth + 1)
        for r in shape.required_members:
            if out.get(r) is None:
                raise param_error("json", "missing", (where + "." if where else "") + _lc_first(r))
        return out
    if t == "list":
        if not isinstance(v, list):
            raise param_error("json", "type", where, v)
        lo = shape.metadata.get("min")
        hi = shape.metadata.get("max")
        if lo is not None and len(v) < lo:
            raise param_error("json", f"Member must have length greater than or equal to {lo}", where, v)
        if hi is not None and len(v) > hi:
            raise param_error("json", f"Member must have length less than or equal to {hi}", where, v)
        return [_j_value(shape.member, x, where + ".member", depth + 1) for x in v]
    if t == "map":
        if not isinstance(v, dict):
            raise param_error("json", "type", where, v)
        return {_j_value(shape.key, k, where + ".key", depth + 1):
                _j_value(shape.value, x, where + ".value", depth + 1) for k, x in v.items()}
    if t in ("integer", "long") and isinstance(v, float):
        raise param_error("json", "type", where, v)
    if t == "string" and not isinstance(v, str):
        raise param_error("json", "type", where, v)
    return _parse_scalar("json", shape, v, where)


# ---------------------------------------------------------- XML encoding

def fmt_time(d):
    if isinstance(d, str):
        return d
    if isinstance(d, (int, float)):
        d = datetime.datetime.fromtimestamp(d, datetime.timezone.utc)
    return d.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        "%03dZ" % (d.microsecond // 1000)


class ShapeMismatch(Exception):
    """The emulator built a reply its own model does not allow (our bug)."""


def _x_scalar(shape, v):
    t = shape.type_name
    if t == "boolean":
        return "true" if v else "false"
    if t == "timestamp":
        return fmt_time(v)
    if t == "blob":
        if isinstance(v, str):
            v = v.encode()
        return base64.b64encode(v).decode()
    if t in ("integer", "long"):
        return str(int(v))
    return escape(str(v))


def _x_struct_members(shape, value, out):
    if not isinstance(value, dict):
        raise ShapeMismatch(f"{shape.name}: expected a structure, got {type(value).__name__}")
    for k in value:
        if k not in shape.members:
            raise ShapeMismatch(f"{shape.name} has no member {k}")
    for mname, mshape in shape.members.items():
        if mname not in value or value[mname] is None:
            continue
        v = value[mname]
        if mshape.type_name == "list" and mshape.serialization.get("flattened"):
            tag = mshape.member.serialization.get("name") or mshape.serialization.get("name", mname)
            for item in v:
                _x_elem(mshape.member, tag, item, out)
            continue
        if mshape.type_name == "map" and mshape.serialization.get("flattened"):   # SQS's Attribute.N
            tag = mshape.serialization.get("name", mname)
            ktag = mshape.key.serialization.get("name", "key")
            vtag = mshape.value.serialization.get("name", "value")
            for k, x in v.items():
                out.append(f"<{tag}>")
                _x_elem(mshape.key, ktag, k, out)
                _x_elem(mshape.value, vtag, x, out)
                out.append(f"</{tag}>")
            continue
        _x_elem(mshape, mshape.serialization.get("name", mname), v, out)


def _x_elem(shape, tag, v, out):
    t = shape.type_name
    out.append(f"<{tag}>")
    if t == "structure":
        _x_struct_members(shape, v, out)
    elif t == "list":
        if not isinstance(v, list):
            raise ShapeMismatch(f"{tag}: expected a list")
        mtag = shape.member.serialization.get("name", "member")
        for item in v:
            _x_elem(shape.member, mtag, item, out)
    elif t == "map":
        ktag = shape.key.serialization.get("name", "key")
        vtag = shape.value.serialization.get("name", "value")
        for k, x in v.items():
            out.append("<entry>")
            _x_elem(shape.key, ktag, k, out)
            _x_elem(shape.value, vtag, x, out)
            out.append("</entry>")
    else:
        out.append(_x_scalar(shape, v))
    out.append(f"</{tag}>")


def encode_ec2(op, value, request_id):
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           f'<{op.name}Response xmlns="{EC2_NS}">', f"<requestId>{request_id}</requestId>"]
    if op.output_shape is not None:
        _x_struct_members(op.output_shape, value or {}, out)
    elif value:
        raise ShapeMismatch(f"{op.name} has no output")
    out.append(f"</{op.name}Response>")
    return "".join(out).encode()


def encode_query(svc_model, op, value, request_id):
    ns = svc_model.metadata.get("xmlNamespace", "")
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n', f'<{op.name}Response xmlns="{ns}">']
    shape = op.output_shape
    if shape is not None:
        wrapper = shape.serialization.get("resultWrapper", f"{op.name}Result")
        out.append(f"<{wrapper}>")
        _x_struct_members(shape, value or {}, out)
        out.append(f"</{wrapper}>")
    elif value:
        raise ShapeMismatch(f"{op.name} has no output")
    out.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>")
    out.append(f"</{op.name}Response>")
    return "".join(out).encode()


def _j_out(shape, v):
    t = shape.type_name
    if t == "structure":
        if not isinstance(v, dict):
            raise ShapeMismatch(f"{shape.name}: expected a structure")
        res = {}
        for k, x in v.items():
            if k not in shape.members:
                raise ShapeMismatch(f"{shape.name} has no member {k}")
            if x is not None:
                res[k] = _j_out(shape.members[k], x)
        return res
    if t == "list":
        return [_j_out(shape.member, x) for x in v]
    if t == "map":
        return {k: _j_out(shape.value, x) for k, x in v.items()}
    if t == "timestamp":
        if isinstance(v, datetime.datetime):
            return v.timestamp()
        if isinstance(v, str):
            return parse_time(v).timestamp()
        return v
    if t == "blob":
        return base64.b64encode(v if isinstance(v, bytes) else v.encode()).decode()
    return v


def encode_json(op, value):
    shape = op.output_shape
    if shape is None:
        return b"{}"
    return json.dumps(_j_out(shape, value or {})).encode()


def error_body(protocol, err, request_id, ns=""):
    """(status, content-type, body) for an ApiError in this protocol."""
    if protocol == "json":
        body = json.dumps(dict(getattr(err, "extra", None) or {}, __type=err.code,
                               message=err.message)).encode()
        return err.status, "application/x-amz-json-1.1", body
    if protocol == "ec2":
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
                f"<Code>{escape(err.code)}</Code><Message>{escape(err.message)}</Message>"
                f"</Error></Errors><RequestID>{request_id}</RequestID></Response>").encode()
        return err.status, "text/xml;charset=UTF-8", body
    kind = "Sender" if err.status < 500 else "Receiver"
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<ErrorResponse xmlns="{ns or "http://webservices.amazon.com/AWSFault/2005-15-09"}">'
            f"<Error><Type>{kind}</Type><Code>{escape(err.code)}</Code><Message>{escape(err.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>").encode()
    return err.status, "text/xml", body


def project(shape, value):
    """Keep only what `shape` allows (state records carry extra/internal keys)."""
    t = shape.type_name
    if value is None:
        return None
    if t == "structure":
        return {k: project(shape.members[k], v) for k, v in value.items()
                if k in shape.members and v is not None}
    if t == "list":
        return [project(shape.member, v) for v in value]
    if t == "map":
        return {k: project(shape.value, v) for k, v in value.items()}
    return value


def shape_of(model_name, shape_name):
    return model(model_name).shape_for(shape_name)
