"""SQS (Query protocol, as botocore's sqs model here): standard and FIFO
queues, visibility timeouts, long polling, dead-letter redrive.

Per the SQS developer guide and API reference
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/):
- "Amazon SQS visibility timeout": a received message is invisible for the
  queue's VisibilityTimeout (default 30 s, 0..43200) or the receive's own;
  ChangeMessageVisibility changes it for a message in flight
  (AWS.SimpleQueueService.MessageNotInflight otherwise); each receive gives a
  new receipt handle and DeleteMessage with an older one "succeeds, but the
  message might not be deleted" — here it is not.
- "Amazon SQS short and long polling": WaitTimeSeconds 0..20 (or the queue's
  ReceiveMessageWaitTimeSeconds) waits for a message, answering as soon as one
  arrives; MaxNumberOfMessages 1..10.
- "Using dead-letter queues": with a RedrivePolicy {deadLetterTargetArn,
  maxReceiveCount}, a message received more than maxReceiveCount times moves
  to the dead-letter queue instead of being delivered again.
- "Exactly-once processing" (FIFO): names end in .fifo; MessageGroupId is
  required; a MessageDeduplicationId (or, with ContentBasedDeduplication, the
  body's SHA-256) seen in the last 5 minutes is accepted and not delivered
  again; within a group, nothing more is delivered while a message is in flight.
- DelaySeconds delays delivery; MessageRetentionPeriod (default 4 days)
  drops old messages.  MD5OfMessageBody / MD5OfMessageAttributes as the
  guide's "Calculating the MD5 message digest for message attributes" says.
- SenderId (ReceiveMessage, MessageSystemAttributeNames): "for a user, returns
  the user ID ...; for an IAM role, returns the IAM role ID, for example
  ABCDE1F2GH3I4JK5LMNOP:i-a123b456" — taken from the credentials that signed
  the SendMessage (sts.unique_id: an instance profile's session is named
  after the instance), so a sender cannot choose it.  AWS does not document
  the id another service (EventBridge) sends with; deliveries by AWS services
  are seen with a user-ID-shaped id and no session part (the shape moto's
  SQS adopted from AWS's answers, getmoto/moto#791): EVENTS_SENDER_ID here.
Times are on the emulator's clock (advance moves them); long polls wait in
real time.
"""
import hashlib
import re
import struct
import sys

from errors import ApiError
from services import op, register, sts

register(sys.modules[__name__])

DEDUP_WINDOW = 300
EVENTS_SENDER_ID = "AIDAIEVENTSDELIVERY01"    # 21 characters, as a user id; no ":SESSION"
_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_DEFAULTS = {"VisibilityTimeout": "30", "MessageRetentionPeriod": "345600", "DelaySeconds": "0",
             "ReceiveMessageWaitTimeSeconds": "0", "MaximumMessageSize": "262144"}
_RANGES = {"VisibilityTimeout": (0, 43200), "MessageRetentionPeriod": (60, 1209600), "DelaySeconds": (0, 900),
           "ReceiveMessageWaitTimeSeconds": (0, 20), "MaximumMessageSize": (1024, 262144)}
_SETTABLE = set(_DEFAULTS) | {"RedrivePolicy", "FifoQueue", "ContentBasedDeduplication", "Policy",
                              "KmsMasterKeyId", "SqsManagedSseEnabled", "RedriveAllowPolicy"}


def st(world):
    return world.ns.setdefault("sqs", {"queues": {}})


def seed(world, sc):
    for q in sc.get("sqs_queues") or []:
        add_queue(world, q["QueueName"], q.get("Attributes") or {})


def dump(world):
    return {n: {"Attributes": q["attrs"], "messages": [{k: v for k, v in m.items() if k != "handle"}
                                                       for m in q["messages"]]}
            for n, q in st(world)["queues"].items()}


def _url(world, name):
    return f"https://sqs.{world.region}.amazonaws.com/{world.account_id}/{name}"


def _arn(world, name):
    return f"arn:{world.partition()}:sqs:{world.region}:{world.account_id}:{name}"


def _validate_attrs(attrs, fifo):
    for k, v in attrs.items():
        if k not in _SETTABLE:
            raise ApiError("InvalidAttributeName", f"Unknown Attribute {k}.")
        if k in _RANGES:
            lo, hi = _RANGES[k]
            if not v.isdigit() or not lo <= int(v) <= hi:
                raise ApiError("InvalidAttributeValue", f"Invalid value for the parameter {k}.")
        if k in ("FifoQueue", "ContentBasedDeduplication") and (v not in ("true", "false") or not fifo):
            raise ApiError("InvalidAttributeName", f"Unknown Attribute {k}.")
        if k == "RedrivePolicy":
            import json
            try:
                rp = json.loads(v)
                int(rp["maxReceiveCount"])
                rp["deadLetterTargetArn"].split(":")[5]
            except (ValueError, KeyError, TypeError, IndexError, AttributeError):
                raise ApiError("InvalidParameterValue", "Value for parameter RedrivePolicy is invalid.")


def add_queue(world, name, attrs):
    fifo = name.endswith(".fifo")
    base = name[:-5] if fifo else name
    if not _NAME_RE.match(base) or len(name) > 80:
        raise ApiError("InvalidParameterValue", "Can only include alphanumeric characters, hyphens, or underscores. "
                       "1 to 80 in length")
    if fifo != (attrs.get("FifoQueue") == "true"):
        raise ApiError("InvalidParameterValue", "The name of a FIFO queue can only include alphanumeric characters, "
                       "hyphens, or underscores, must end with .fifo suffix and FifoQueue must be true")
    _validate_attrs(attrs, fifo)
    qs = st(world)["queues"]
    if name in qs:
        same = all(qs[name]["attrs"].get(k) == v for k, v in attrs.items())
        if not same:
            raise ApiError("QueueAlreadyExists", "A queue already exists with the same name and a different value "
                           "for attribute(s)")
        return qs[name]
    q = {"name": name, "fifo": fifo, "attrs": {**_DEFAULTS, **attrs, "QueueArn": _arn(world, name),
                                                "CreatedTimestamp": str(int(world.now()))},
         "messages": [], "dedup": {}, "seq": 0}
    qs[name] = q
    return q


def queue(world, url):
    name = (url or "").rstrip("/").rsplit("/", 1)[-1]
    q = st(world)["queues"].get(name)
    if q is None:
        raise ApiError("AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
    return q


def _by_arn(world, arn):
    return st(world)["queues"].get(arn.rsplit(":", 1)[-1])


def md5_of_attributes(attrs):
    """SQS's digest of message attributes: names sorted; each name, data type
    (4-byte big-endian lengths) and a transport byte (1 string, 2 binary)."""
    h = hashlib.md5()
    for name in sorted(attrs):
        a = attrs[name]
        dt = a["DataType"]
        h.update(struct.pack(">I", len(name.encode())) + name.encode())
        h.update(struct.pack(">I", len(dt.encode())) + dt.encode())
        if "BinaryValue" in a and a["BinaryValue"] is not None:
            v = a["BinaryValue"]
            h.update(b"\x02" + struct.pack(">I", len(v)) + v)
        else:
            v = a["StringValue"].encode()
            h.update(b"\x01" + struct.pack(">I", len(v)) + v)
    return h.hexdigest()


# AWS: SQS API reference, CreateQueue: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
@op("sqs", "CreateQueue")
def create_queue(ctx, p):
    q = add_queue(ctx.world, p["QueueName"], p.get("Attributes") or {})
    return {"QueueUrl": _url(ctx.world, q["name"])}


# AWS: SQS API reference, GetQueueUrl: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueUrl.html
@op("sqs", "GetQueueUrl")
def get_queue_url(ctx, p):
    q = st(ctx.world)["queues"].get(p["QueueName"])
    if q is None:
        raise ApiError("AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
    return {"QueueUrl": _url(ctx.world, q["name"])}


# AWS: SQS API reference, ListQueues: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListQueues.html
@op("sqs", "ListQueues")
def list_queues(ctx, p):
    names = sorted(n for n in st(ctx.world)["queues"] if n.startswith(p.get("QueueNamePrefix") or ""))
    return {"QueueUrls": [_url(ctx.world, n) for n in names]} if names else {}


# AWS: SQS API reference, DeleteQueue: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteQueue.html
@op("sqs", "DeleteQueue")
def delete_queue(ctx, p):
    q = queue(ctx.world, p["QueueUrl"])
    del st(ctx.world)["queues"][q["name"]]
    return {}


# AWS: SQS API reference, SetQueueAttributes: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
@op("sqs", "SetQueueAttributes")
def set_queue_attributes(ctx, p):
    q = queue(ctx.world, p["QueueUrl"])
    attrs = p.get("Attributes") or {}
    if "FifoQueue" in attrs:
        raise ApiError("InvalidAttributeName", "FifoQueue cannot be changed")
    _validate_attrs(attrs, q["fifo"])
    q["attrs"].update(attrs)
    return {}


def _expire(w, q):
    keep = int(q["attrs"]["MessageRetentionPeriod"])
    now = w.now()
    q["messages"] = [m for m in q["messages"] if now - m["sent"] < keep]
    for k, t in list(q["dedup"].items()):
        if now - t[0] >= DEDUP_WINDOW:
            del q["dedup"][k]


# AWS: SQS API reference, GetQueueAttributes: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html
@op("sqs", "GetQueueAttributes")
def get_queue_attributes(ctx, p):
    w = ctx.world
    q = queue(w, p["QueueUrl"])
    _expire(w, q)
    now = w.now()
    attrs = dict(q["attrs"])
    attrs["ApproximateNumberOfMessages"] = str(sum(1 for m in q["messages"] if m["visible_at"] <= now))
    attrs["ApproximateNumberOfMessagesNotVisible"] = str(sum(1 for m in q["messages"]
                                                            if m["visible_at"] > now and m["receives"]))
    attrs["ApproximateNumberOfMessagesDelayed"] = str(sum(1 for m in q["messages"]
                                                         if m["visible_at"] > now and not m["receives"]))
    want = p.get("AttributeNames") or []
    if "All" not in want:
        attrs = {k: v for k, v in attrs.items() if k in want}
    return {"Attributes": attrs} if attrs else {}


def _send(w, q, body, sender, delay=None, attrs=None, group=None, dedup=None):
    if not body:
        raise ApiError("MissingParameter", "The request must contain the parameter MessageBody.")
    if len(body.encode()) > int(q["attrs"]["MaximumMessageSize"]):
        raise ApiError("InvalidParameterValue", "One or more parameters are invalid. Reason: Message must be shorter "
                       f"than {q['attrs']['MaximumMessageSize']} bytes.")
    if re.search(r"[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", body):
        raise ApiError("InvalidMessageContents", "Invalid binary character in the message body")
    out = {"MD5OfMessageBody": hashlib.md5(body.encode()).hexdigest()}
    if attrs:
        out["MD5OfMessageAttributes"] = md5_of_attributes(attrs)
    now = w.now()
    _expire(w, q)
    if q["fifo"]:
        if not group:
            raise ApiError("MissingParameter", "The request must contain the parameter MessageGroupId.")
        if delay:
            raise ApiError("InvalidParameterValue", "Value for parameter DelaySeconds is invalid. Reason: The request "
                           "include parameter that is not valid for this queue type.")
        if not dedup:
            if q["attrs"].get("ContentBasedDeduplication") != "true":
                raise ApiError("InvalidParameterValue", "The queue should either have ContentBasedDeduplication "
                               "enabled or MessageDeduplicationId provided explicitly")
            dedup = hashlib.sha256(body.encode()).hexdigest()
        if dedup in q["dedup"]:                      # accepted, not delivered again
            out["MessageId"], out["SequenceNumber"] = q["dedup"][dedup][1], q["dedup"][dedup][2]
            return out
    elif group:
        raise ApiError("InvalidParameterValue", "Value for parameter MessageGroupId is invalid. Reason: The request "
                       "include parameter that is not valid for this queue type.")
    if delay is None:
        delay = int(q["attrs"]["DelaySeconds"])
    mid = str(__import__("uuid").UUID(int=w.rng.getrandbits(128), version=4))
    q["seq"] += 1
    m = {"MessageId": mid, "Body": body, "sent": now, "visible_at": now + delay, "receives": 0,
         "first_receive": None, "handle": None, "attrs": attrs or {}, "group": group,
         "seq": "%020d" % q["seq"], "sender": sender}
    q["messages"].append(m)
    out["MessageId"] = mid
    if q["fifo"]:
        out["SequenceNumber"] = m["seq"]
        q["dedup"][dedup] = (now, mid, m["seq"])
    w.cond.notify_all()
    return out


# AWS: SQS API reference, SendMessage: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
@op("sqs", "SendMessage")
def send_message(ctx, p):
    q = queue(ctx.world, p["QueueUrl"])
    return _send(ctx.world, q, p["MessageBody"], sts.unique_id(ctx.cred), p.get("DelaySeconds"),
                 p.get("MessageAttributes"),
                 p.get("MessageGroupId"), p.get("MessageDeduplicationId"))


# ------------------------------------------------ the queue's resource policy
#
# Another AWS service (EventBridge) may send to a queue only if the queue's
# policy lets its service principal do so (EventBridge user guide, "Using
# resource-based policies for Amazon EventBridge", Amazon SQS permissions;
# SQS developer guide, "Basic examples of Amazon SQS policies").  Evaluated
# here: Allow and Deny statements whose Principal is "*", {"AWS": "*"} or
# {"Service": ...} naming the service; Action with wildcards; Resource; the
# condition operators ArnEquals, ArnLike, StringEquals, StringLike, Bool on
# aws:SourceArn, aws:SourceAccount and aws:SecureTransport (a service sends
# over TLS).  An explicit Deny wins; without an Allow the answer is no.  A
# condition this code cannot evaluate makes an Allow not apply and a Deny
# apply (the strict reading).

_COND_OPS = {"ArnEquals": False, "StringEquals": False, "ArnLike": True, "StringLike": True, "Bool": False}


def _as_list(v):
    return v if isinstance(v, list) else [v]


def _principal_is(stmt, service):
    p = stmt.get("Principal")
    if p == "*":
        return True
    if not isinstance(p, dict):
        return False
    return "*" in _as_list(p.get("AWS", [])) or service in _as_list(p.get("Service", []))


def _conditions_hold(stmt, context):
    """True / False when every condition is understood, None otherwise."""
    import fnmatch
    for op_name, tests in (stmt.get("Condition") or {}).items():
        if op_name not in _COND_OPS or not isinstance(tests, dict):
            return None
        for key, want in tests.items():
            if key not in context:
                return None
            have = context[key]
            if _COND_OPS[op_name]:
                ok = any(fnmatch.fnmatchcase(have, str(w)) for w in _as_list(want))
            else:
                ok = any(have == str(w).lower() if op_name == "Bool" else have == str(w)
                         for w in _as_list(want))
            if not ok:
                return False
    return True


def service_may_send(world, arn, service, source_arn):
    """May AWS service `service` (acting for source_arn) SendMessage to queue arn?"""
    import fnmatch
    import json
    q = _by_arn(world, arn)
    try:
        doc = json.loads((q or {}).get("attrs", {}).get("Policy") or "{}")
    except ValueError:
        return False
    context = {"aws:SourceArn": source_arn, "aws:SourceAccount": world.account_id, "aws:SecureTransport": "true"}
    allowed = False
    for stmt in _as_list(doc.get("Statement", [])):
        if not isinstance(stmt, dict) or not _principal_is(stmt, service):
            continue
        if not any(fnmatch.fnmatchcase("sqs:sendmessage", a.lower()) or a == "*"
                   for a in _as_list(stmt.get("Action", []))):
            continue
        if "Resource" in stmt and not any(fnmatch.fnmatchcase(arn, r) for r in _as_list(stmt["Resource"])):
            continue
        holds = _conditions_hold(stmt, context)
        if stmt.get("Effect") == "Deny" and holds is not False:
            return False
        if stmt.get("Effect") == "Allow" and holds:
            allowed = True
    return allowed


def send_internal(world, arn, body):
    """A message from another AWS service (an EventBridge target): False if the queue is gone."""
    q = _by_arn(world, arn)
    if q is None:
        return False
    _send(world, q, body, EVENTS_SENDER_ID, group="events" if q["fifo"] else None,
          dedup=hashlib.sha256(body.encode()).hexdigest() if q["fifo"] else None)
    return True


def _deliverable(w, q):
    """Messages one receive may take now (FIFO: none from a group with one in flight)."""
    now = w.now()
    busy = {m["group"] for m in q["messages"] if q["fifo"] and m["receives"] and m["visible_at"] > now}
    out = []
    for m in q["messages"]:
        if m["visible_at"] > now or (q["fifo"] and m["group"] in busy):
            continue
        out.append(m)
        if q["fifo"]:
            busy.add(m["group"])   # one per group per receive keeps the order simple
    return out


def _redrive(w, q, m):
    """Past maxReceiveCount: to the dead-letter queue. True if moved."""
    rp = q["attrs"].get("RedrivePolicy")
    if not rp:
        return False
    import json
    rp = json.loads(rp)
    if m["receives"] < int(rp["maxReceiveCount"]):
        return False
    dlq = _by_arn(w, rp["deadLetterTargetArn"])
    q["messages"].remove(m)
    if dlq is not None:
        m = dict(m, visible_at=w.now(), handle=None)
        m["receives"] = 0
        dlq["messages"].append(m)
    return True


# AWS: SQS API reference, ReceiveMessage: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
@op("sqs", "ReceiveMessage")
def receive_message(ctx, p):
    import time
    w = ctx.world
    q = queue(w, p["QueueUrl"])
    n = p.get("MaxNumberOfMessages", 1)
    if not 1 <= n <= 10:
        raise ApiError("InvalidParameterValue", f"Value {n} for parameter MaxNumberOfMessages is invalid. Reason: "
                       "Must be between 1 and 10, if provided.")
    wait = p.get("WaitTimeSeconds")
    wait = int(q["attrs"]["ReceiveMessageWaitTimeSeconds"]) if wait is None else wait
    if not 0 <= wait <= 20:
        raise ApiError("InvalidParameterValue", f"Value {wait} for parameter WaitTimeSeconds is invalid. Reason: "
                       "Must be >= 0 and <= 20, if provided.")
    vt = p.get("VisibilityTimeout")
    vt = int(q["attrs"]["VisibilityTimeout"]) if vt is None else vt
    deadline = time.monotonic() + wait
    while True:
        _expire(w, q)
        picked = []
        for m in _deliverable(w, q):
            if len(picked) == n:
                break
            if _redrive(w, q, m):
                continue
            picked.append(m)
        if picked or time.monotonic() >= deadline or q["name"] not in st(w)["queues"]:
            break
        w.cond.wait(min(0.1, max(0.0, deadline - time.monotonic())))    # releases the world lock
        w.tick()
    now = w.now()
    want = set(p.get("AttributeNames") or [])
    want_attrs = p.get("MessageAttributeNames") or []
    msgs = []
    for m in picked:
        m["receives"] += 1
        m["first_receive"] = m["first_receive"] or now
        m["visible_at"] = now + vt
        m["handle"] = f"{q['name']}#{m['MessageId']}#{m['receives']}#{w.rng.getrandbits(64):016x}"
        out = {"MessageId": m["MessageId"], "ReceiptHandle": m["handle"], "Body": m["Body"],
               "MD5OfBody": hashlib.md5(m["Body"].encode()).hexdigest()}
        sysattrs = {"SenderId": m["sender"], "SentTimestamp": str(int(m["sent"] * 1000)),
                    "ApproximateReceiveCount": str(m["receives"]),
                    "ApproximateFirstReceiveTimestamp": str(int(m["first_receive"] * 1000))}
        if q["fifo"]:
            sysattrs.update({"MessageGroupId": m["group"], "SequenceNumber": m["seq"]})
        attrs = {k: v for k, v in sysattrs.items() if "All" in want or k in want}
        if attrs:
            out["Attributes"] = attrs
        mattrs = {k: v for k, v in m["attrs"].items()
                  if "All" in want_attrs or ".*" in want_attrs or k in want_attrs}
        if mattrs:
            out["MessageAttributes"] = mattrs
            out["MD5OfMessageAttributes"] = md5_of_attributes(mattrs)
        msgs.append(out)
    return {"Messages": msgs} if msgs else {}


def _by_handle(q, handle):
    parts = (handle or "").split("#")
    if len(parts) != 4 or parts[0] != q["name"]:
        raise ApiError("ReceiptHandleIsInvalid", f"The input receipt handle \"{handle[:80]}\" is not a valid "
                       "receipt handle.")
    return next((m for m in q["messages"] if m["MessageId"] == parts[1]), None)


# AWS: SQS API reference, DeleteMessage: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html
@op("sqs", "DeleteMessage")
def delete_message(ctx, p):
    q = queue(ctx.world, p["QueueUrl"])
    m = _by_handle(q, p["ReceiptHandle"])
    if m is not None and m["handle"] == p["ReceiptHandle"]:    # an older handle: succeeds, deletes nothing
        q["messages"].remove(m)
    return {}


# AWS: SQS API reference, ChangeMessageVisibility: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html
@op("sqs", "ChangeMessageVisibility")
def change_message_visibility(ctx, p):
    w = ctx.world
    q = queue(w, p["QueueUrl"])
    if not 0 <= p["VisibilityTimeout"] <= 43200:
        raise ApiError("InvalidParameterValue", "Value for parameter VisibilityTimeout is invalid.")
    m = _by_handle(q, p["ReceiptHandle"])
    if m is None or m["handle"] != p["ReceiptHandle"] or m["visible_at"] <= w.now():
        raise ApiError("AWS.SimpleQueueService.MessageNotInflight", "Message does not exist or is not available "
                       "for visibility timeout change.")
    m["visible_at"] = w.now() + p["VisibilityTimeout"]
    return {}


# AWS: SQS API reference, PurgeQueue: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_PurgeQueue.html
@op("sqs", "PurgeQueue")
def purge_queue(ctx, p):
    queue(ctx.world, p["QueueUrl"])["messages"] = []
    return {}
