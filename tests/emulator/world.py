"""The emulator's state: one World, guarded by one lock.

Resources are kept in the AWS API's own shapes (botocore member names), so a
Describe* reply is a filtered copy of the state and the state dump reads like
the API.  Time-driven transitions (snapshot pending -> completed, attaching ->
attached, ...) are timers on a clock the control API can advance.
"""
import copy
import fnmatch
import heapq
import itertools
import json
import random
import secrets
import threading
import time

from errors import ApiError

DEFAULT_TIMING = {
    "snapshot_seconds": 2.0,        # pending -> completed
    "volume_seconds": 0.5,          # creating -> available
    "attach_seconds": 0.5,          # attaching -> attached, detaching -> detached
    "metadata_seconds": 0.5,        # metadata options pending -> applied
    "ssm_seconds": 0.5,             # Pending -> InProgress -> Success, each step
    "ssm_visible_seconds": 0.5,     # a new invocation is InvocationDoesNotExist this long
    "deregistration_delay_seconds": 300.0,  # target draining -> gone (ELBv2's default)
    "imds_credentials_seconds": 21600,    # lifetime of IMDS role credentials
    "table_seconds": 0.5,           # DynamoDB table CREATING -> ACTIVE
    "ddb_stale_seconds": 1.0,       # DynamoDB eventually consistent reads lag this much
    "ddb_index_seconds": 1.0,       # ... and a global secondary index lags the table this much
    "ddb_transaction_seconds": 0.0,  # a TransactWriteItems in flight between its checks and its writes
    "instance_seconds": 1.0,        # pending -> running, stopping -> stopped
    "shutdown_seconds": 1.0,        # shutting-down -> terminated (volumes attached until then)
    "terminated_visible_seconds": 3600.0,  # terminated -> gone: InvalidInstanceID.NotFound
}


class World:
    def __init__(self):
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)    # long polls wait on it (the lock released)
        self.rng = random.Random(4)
        self.reset()

    # ------------------------------------------------------------ basics
    def reset(self):
        with self.lock:
            self.region = "us-east-1"
            self.account_id = "123456789012"
            self.offset = 0.0
            self.skew = 0.0
            self.timing = dict(DEFAULT_TIMING)
            self._timers = []
            self._firing = None
            self._tseq = itertools.count()
            self._ids = itertools.count(1)
            self.credentials = {}
            self.journal = []
            self._jseq = itertools.count(1)
            self.faults = []
            self.eventual_calls = 0
            self.invisible = {}
            self.idempotency = {}
            self.ns = {}       # per-service state: ec2, iam, asg, elbv2, elb, ssm, sns, imds
            self.add_credentials({"access_key_id": "AKIDEXAMPLE",
                                  "secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                  "arn": f"arn:{self.partition()}:iam::{self.account_id}:user/responder"})

    def now(self):
        """Virtual wall clock (epoch seconds): real time plus what was advanced.
        While a timer fires, it is that timer's due time, so a transition
        chained from another (w.at inside a timer) happens when it would
        have, even when the clock jumps past both at once."""
        if self._firing is not None:
            return self._firing
        return self.wall() + self.offset

    def horizon(self):
        """The clock the timers are catching up to (now() outside a tick)."""
        return self.wall() + self.offset

    def wall(self):
        """AWS's wall clock: real time plus the skew a test set (POST
        /_emulator/clock).  Signatures are checked against it and replies'
        Date header shows it; advance() does not move it (clients sign with
        real time), only the virtual clock now() on top of it."""
        return time.time() + self.skew

    def partition(self):
        """The region's partition (aws, aws-cn, aws-us-gov, ...): ARNs carry it."""
        import wire
        return wire.partition_of(self.region)["partition"]

    def new_id(self, prefix, width=17):
        n = next(self._ids)
        body = "%0*x" % (width, (n * 0x9E3779B1 + 0x1234567) % (16 ** width))
        return f"{prefix}-{body}"

    def request_id(self):
        r = secrets.token_hex(16)
        return f"{r[:8]}-{r[8:12]}-{r[12:16]}-{r[16:20]}-{r[20:32]}"

    # ------------------------------------------------------------ timers
    def at(self, delay, fn):
        heapq.heappush(self._timers, (self.now() + max(0.0, delay), next(self._tseq), fn))

    def tick(self):
        with self.lock:
            if self._firing is not None:
                return      # a timer's own calls do not run other timers
            try:
                while self._timers and self._timers[0][0] <= self.horizon():
                    due, _, fn = heapq.heappop(self._timers)
                    self._firing = due
                    fn()
            finally:
                self._firing = None

    def advance(self, seconds):
        with self.lock:
            self.offset += float(seconds)
            self.tick()

    # ------------------------------------------------------- credentials
    def add_credentials(self, c):
        rec = {
            "access_key_id": c["access_key_id"],
            "secret": c["secret_access_key"],
            "token": c.get("session_token") or None,
            "expires": c.get("expires"),
            "arn": c.get("arn") or f"arn:{self.partition()}:iam::{self.account_id}:user/{c['access_key_id']}",
            "user_id": c.get("user_id") or ("AIDA" + c["access_key_id"][-12:]).upper(),
            "deny": list(c.get("deny") or []),
            "issued": c.get("issued", self.now()),
            "role": c.get("role"),
            "source_instance_arn": c.get("source_instance_arn"),
        }
        if c.get("session_name"):
            rec["session_name"] = c["session_name"]
        self.credentials[rec["access_key_id"]] = rec
        return rec

    def lookup_credentials(self, akid):
        return self.credentials.get(akid)

    # ------------------------------------------------------- journal
    def record(self, entry):
        entry["seq"] = next(self._jseq)
        entry["time"] = self.now()
        self.journal.append(entry)
        if len(self.journal) > 20000:
            del self.journal[:10000]
        return entry

    # --------------------------------------------- eventual consistency
    def created(self, rid):
        """Call when a resource is created: maybe hide it for a few reads."""
        if self.eventual_calls > 0:
            self.invisible[rid] = self.eventual_calls

    def visible(self, rid):
        """True if a read may see rid now; each hidden read counts down."""
        n = self.invisible.get(rid)
        if not n:
            return True
        if n <= 1:
            del self.invisible[rid]
        else:
            self.invisible[rid] = n - 1
        return False


# ------------------------------------------------------------ helpers

def tags_list(tags):
    """Accept {"k": "v"} or [{"Key":..,"Value":..}] and return the list form."""
    if tags is None:
        return []
    if isinstance(tags, dict):
        return [{"Key": k, "Value": v} for k, v in tags.items()]
    return [{"Key": t["Key"], "Value": t.get("Value", "")} for t in tags]


def set_tags(res, tags, key="Tags"):
    cur = res.setdefault(key, [])
    for t in tags:
        for old in cur:
            if old["Key"] == t["Key"]:
                old["Value"] = t.get("Value", "")
                break
        else:
            cur.append({"Key": t["Key"], "Value": t.get("Value", "")})


def tag_value(res, key, field="Tags"):
    for t in res.get(field) or []:
        if t["Key"] == key:
            return t["Value"]
    return None


def match_filter(values, patterns):
    """EC2 filter semantics: any value matches any pattern; * and ? wildcards."""
    if values is None:
        return False
    if not isinstance(values, (list, tuple, set)):
        values = [values]
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool):
            v = "true" if v else "false"
        v = str(v)
        for p in patterns:
            if p == v or (("*" in p or "?" in p) and fnmatch.fnmatchcase(v, p)):
                return True
    return False


def apply_filters(items, filters, getters, tag_field="Tags"):
    """Filter items by EC2 Filter list using getters[name](item) -> values."""
    out = []
    for f in filters or []:
        name = f.get("Name")
        if name is None:
            raise ApiError("InvalidParameterValue", "The filter 'null' is invalid")
        if not (name in getters or name.startswith("tag:") or name in ("tag-key", "tag-value")):
            raise ApiError("InvalidParameterValue", f"The filter '{name}' is invalid")
    for it in items:
        ok = True
        for f in filters or []:
            name, vals = f["Name"], f.get("Values") or []
            if name.startswith("tag:"):
                got = tag_value(it, name[4:], tag_field)
            elif name == "tag-key":
                got = [t["Key"] for t in it.get(tag_field) or []]
            elif name == "tag-value":
                got = [t["Value"] for t in it.get(tag_field) or []]
            else:
                got = getters[name](it)
            if not match_filter(got, vals):
                ok = False
                break
        if ok:
            out.append(it)
    return out


def paginate(items, max_results, token, lo=5, hi=1000, protocol="ec2"):
    """Slice by MaxResults/NextToken (an opaque offset).  Returns (page, next)."""
    start = 0
    if token:
        try:
            start = int(token.split(".")[1], 16)
        except (IndexError, ValueError):
            raise ApiError("InvalidParameterValue" if protocol == "ec2" else "InvalidNextToken",
                           f"Invalid value '{token}' for NextToken")
    if max_results is None:
        return items[start:], None
    if max_results < lo or max_results > hi:
        raise ApiError("InvalidParameterValue",
                       f"Value ( {max_results} ) for parameter maxResults is invalid. Expecting a value between {lo} and {hi}.")
    page = items[start:start + max_results]
    nxt = None
    if start + max_results < len(items):
        nxt = "emu.%x" % (start + max_results)
    return page, nxt


def clone(x):
    return copy.deepcopy(x)


def to_json(x):
    import datetime

    def default(o):
        if isinstance(o, datetime.datetime):
            return o.isoformat()
        if isinstance(o, bytes):
            return o.decode("latin-1")
        if isinstance(o, set):
            return sorted(o)
        raise TypeError(type(o).__name__)
    return json.dumps(x, default=default, indent=1, sort_keys=True)
