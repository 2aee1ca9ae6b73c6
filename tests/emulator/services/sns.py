"""SNS: Publish to known topics; every message is recorded for assertions.

From the SNS API reference, Publish
(https://docs.aws.amazon.com/sns/latest/api/API_Publish.html): a topic that
does not exist is NotFound (404); Subject is under 100 characters, printable,
no line breaks (InvalidParameter); a message is at most 256 KB; throttling is
its own error, Throttled (429: faults.py)."""
import sys
import uuid

from errors import ApiError
from services import op, register

register(sys.modules[__name__])


def st(world):
    return world.ns.setdefault("sns", {"topics": [], "published": []})


def seed(world, sc):
    for t in sc.get("sns_topics") or []:
        if t not in st(world)["topics"]:
            st(world)["topics"].append(t)


def dump(world):
    return st(world)


# AWS: SNS API reference, Publish: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
@op("sns", "Publish")
def publish(ctx, p):
    w = ctx.world
    arn = p.get("TopicArn") or p.get("TargetArn")
    if not arn and not p.get("PhoneNumber"):
        raise ApiError("InvalidParameter", "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
    if arn and arn not in st(w)["topics"]:
        raise ApiError("NotFound", "Topic does not exist", 404)
    subj = p.get("Subject")
    if subj is not None and (len(subj) > 100 or not subj.strip() or any(c in subj for c in "\r\n")):
        raise ApiError("InvalidParameter", "Invalid parameter: Subject")
    if len(p["Message"].encode()) > 262144:
        raise ApiError("InvalidParameter", "Invalid parameter: Message too long")
    if p.get("MessageStructure") not in (None, "json"):
        raise ApiError("InvalidParameter", "Invalid parameter: MessageStructure")
    mid = str(uuid.UUID(int=w.rng.getrandbits(128), version=4))
    st(w)["published"].append({"MessageId": mid, "TopicArn": arn, "Subject": subj, "Message": p["Message"],
                               "MessageAttributes": {k: {kk: vv for kk, vv in v.items() if kk != "BinaryValue"}
                                                     for k, v in (p.get("MessageAttributes") or {}).items()},
                               "Time": w.now()})
    return {"MessageId": mid}
