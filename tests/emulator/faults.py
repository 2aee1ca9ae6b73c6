"""Fault injection: rules added through the control API.

A rule: {"kind": "throttle"|"error"|"delay"|"drop", "service": "ec2"|None,
"action": "DescribeInstances"|None, ("drop_after": the call takes effect,
then the connection closes without an answer — the case that makes blind
retries of creates dangerous), "count": N|None (None: until removed), "skip": N (the first N
matching calls pass untouched: "the second TransactWriteItems fails"),
"rate": 0..1 (probability per matching call, default 1), "code", "status",
"message" (error kinds), "seconds" (delay), "per_second" + "burst"
(throttle only: a token bucket like AWS's request-rate limits — calls beyond
the rate are throttled, the rest pass)}.  The first matching rule with calls
left applies.  "invisible" rules are eventual consistency and live in
the world (see control_api).

The codes a fault answers with are each protocol's own (EC2 "Error codes"
RequestLimitExceeded / InternalError,
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html;
the Query and JSON services' common errors Throttling / ThrottlingException /
InternalFailure, e.g. https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html;
S3's SlowDown, https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html;
SNS's Throttled 429), so a client's retry logic meets what AWS sends.
"""
import time

from errors import ApiError

_THROTTLE = {
    "ec2": ("RequestLimitExceeded", "Request limit exceeded.", 503),
    "query": ("Throttling", "Rate exceeded", 400),
    "json": ("ThrottlingException", "Rate exceeded", 400),
    "rest-xml": ("SlowDown", "Please reduce your request rate.", 503),
}
# A service whose throttling error is its own, from its botocore model's
# error shapes: SNS's ThrottledException is code "Throttled", HTTP 429
# (botocore sns service-2.json; SNS API reference, Publish, "Errors":
# https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
_THROTTLE_OF_SERVICE = {
    "sns": ("Throttled", "Rate exceeded", 429),
}
_ERROR = {
    "ec2": ("InternalError", "An internal error has occurred", 500),
    "query": ("InternalFailure", "An internal error has occurred", 500),
    "json": ("InternalServerError", "An internal error has occurred", 500),
    "rest-xml": ("InternalError", "We encountered an internal error. Please try again.", 500),
}
KINDS = ("throttle", "error", "unavailable", "delay", "drop", "drop_after")


def validate(rule):
    if not isinstance(rule, dict):
        raise ValueError("a fault rule is a JSON object")
    kind = rule.get("kind")
    if kind not in KINDS:
        raise ValueError(f"fault kind must be one of {', '.join(KINDS)} (or 'invisible')")
    r = {"kind": kind, "service": rule.get("service"), "action": rule.get("action"),
         "count": rule.get("count"), "rate": float(rule.get("rate", 1.0)),
         "code": rule.get("code"), "status": rule.get("status"), "message": rule.get("message"),
         "seconds": float(rule.get("seconds", 0.0)), "hits": 0,
         "per_second": rule.get("per_second"), "burst": rule.get("burst"),
         "skip": rule.get("skip", 0)}
    if not isinstance(r["skip"], int) or r["skip"] < 0:
        raise ValueError("skip must be a non-negative integer")
    if r["per_second"] is not None:
        if kind != "throttle" or float(r["per_second"]) <= 0:
            raise ValueError("per_second is a positive rate for throttle rules")
        r["per_second"] = float(r["per_second"])
        r["burst"] = float(r["burst"] if r["burst"] is not None else max(1.0, r["per_second"]))
        r["_tokens"], r["_at"] = r["burst"], None
    if r["count"] is not None and (not isinstance(r["count"], int) or r["count"] < 0):
        raise ValueError("count must be a non-negative integer or null")
    if not 0.0 <= r["rate"] <= 1.0:
        raise ValueError("rate must be within 0..1")
    return r


def pick(world, service, action, protocol):
    """Return None or {"error": ApiError} / {"drop": True} / {"delay": s}."""
    with world.lock:
        for r in world.faults:
            if r["service"] not in (None, service) or r["action"] not in (None, action):
                continue
            if r["count"] is not None and r["count"] <= 0:
                continue
            if r["rate"] < 1.0 and world.rng.random() >= r["rate"]:
                continue
            if r["skip"] > 0:
                r["skip"] -= 1
                continue
            if r["per_second"] is not None:
                now = time.monotonic()
                if r["_at"] is not None:
                    r["_tokens"] = min(r["burst"], r["_tokens"] + (now - r["_at"]) * r["per_second"])
                r["_at"] = now
                if r["_tokens"] >= 1.0:
                    r["_tokens"] -= 1.0
                    continue    # within the allowed rate: no fault
            if r["count"] is not None:
                r["count"] -= 1
            r["hits"] += 1
            k = r["kind"]
            if k == "drop":
                return {"drop": True}
            if k == "drop_after":
                return {"drop_after": True}
            if k == "delay":
                return {"delay": r["seconds"]}
            if k == "throttle":
                code, msg, status = _THROTTLE_OF_SERVICE.get(service) or _THROTTLE[protocol]
            elif k == "unavailable":
                code, msg, status = "ServiceUnavailable", "Service is unavailable. Please try again later.", 503
            else:
                code, msg, status = _ERROR[protocol]
            return {"error": ApiError(r["code"] or code, r["message"] or msg, r["status"] or status)}
    return None
