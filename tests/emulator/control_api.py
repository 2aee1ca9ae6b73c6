"""The control API: unsigned JSON under /_emulator/ for tests to drive the double.

  GET  /_emulator/health                 -> {"ok": true}
  POST /_emulator/reset                  -> empty world (default credentials only)
  POST /_emulator/seed      {scenario}   -> load a scenario (adds to the world)
  GET  /_emulator/state                  -> full state dump
  GET  /_emulator/journal[?since=N]      -> received API calls;  DELETE clears
  GET|POST|DELETE /_emulator/faults      -> list / add {rule} or {"rules":[..]} / clear
  POST /_emulator/advance   {"seconds"}  -> move the clock, run due transitions
  GET|POST /_emulator/clock {"skew": S}  -> AWS's wall clock S seconds off the machine's
  GET|POST /_emulator/timing {...}       -> durations of timed transitions
  POST /_emulator/credentials {...}      -> add an access key
  POST /_emulator/ssm/script {...}       -> scripted SSM command output
  POST /_emulator/ssm/agent {"instance_id","online","ping_lag_seconds"} -> stop / start an SSM agent
  POST /_emulator/imds      {...}        -> IMDS identity (instance_id)
  POST /_emulator/imds/rotate            -> issue new IMDS role credentials
  POST /_emulator/imds/credentials {"instance_id"} -> that instance's role session credentials
  POST /_emulator/identity/oidc-provider {"url","client_ids"} -> register an OIDC provider
  POST /_emulator/identity/oidc-token    {"iss","sub","aud","expires_in"} -> a signed JWT
  POST /_emulator/identity/sso-token     {"user","expires_in","assignments"} -> portal token
  POST /_emulator/identity/container-token {"role"[,"token"]} -> pod/task token
"""
import json
from urllib.parse import parse_qs, urlsplit

import faults
import imds
from services import MODULES as _SERVICE_MODULES
from world import to_json

MODULES = list(_SERVICE_MODULES) + [imds]


def seed(world, scenario):
    if not isinstance(scenario, dict):
        raise ValueError("a scenario is a JSON object")
    with world.lock:
        if "region" in scenario:
            world.region = scenario["region"]
        if "account_id" in scenario:
            world.account_id = str(scenario["account_id"])
        world.timing.update(scenario.get("timing") or {})
        for c in scenario.get("credentials") or []:
            world.add_credentials(c)
        # order matters: IAM before EC2 (profiles), EC2 before the rest
        for m in MODULES:
            if hasattr(m, "seed"):
                m.seed(world, scenario)
        for r in scenario.get("faults") or []:
            world.faults.append(faults.validate(r))


def dump(world):
    with world.lock:
        world.tick()
        out = {"region": world.region, "account_id": world.account_id, "clock": world.now(), "skew": world.skew,
               "timing": world.timing,
               "credentials": [{k: v for k, v in c.items() if k not in ("secret", "token")}
                               for c in world.credentials.values()],
               "faults": world.faults, "eventual_calls": world.eventual_calls,
               "invisible": world.invisible}
        for m in MODULES:
            if hasattr(m, "dump"):
                out[m.__name__.split(".")[-1]] = m.dump(world)
        return out


def dump_json(world):
    return to_json(dump(world)) + "\n"


def handle(world, method, path_qs, body):
    """-> (status, JSON-able object)."""
    split = urlsplit(path_qs)
    path = split.path[len("/_emulator"):].rstrip("/") or "/"
    q = parse_qs(split.query)
    try:
        data = json.loads(body.decode("utf-8")) if body else {}
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        return 400, {"error": f"bad JSON: {type(e).__name__}"}
    try:
        return _route(world, method, path, q, data)
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as e:
        return 400, {"error": f"{type(e).__name__}: {e}"}
    except Exception as e:  # noqa: BLE001 - report, never kill the server
        from errors import ApiError
        if isinstance(e, ApiError):
            return 400, {"error": f"{e.code}: {e.message}"}
        import sys
        import traceback
        traceback.print_exc(file=sys.stderr)
        return 500, {"error": f"emulator bug: {type(e).__name__}: {e}"}


def _route(world, method, path, q, data):
    if path == "/health":
        return 200, {"ok": True}
    if path == "/reset" and method == "POST":
        world.reset()
        return 200, {"ok": True}
    if path == "/seed" and method == "POST":
        seed(world, data)
        return 200, {"ok": True}
    if path == "/state" and method == "GET":
        return 200, json.loads(dump_json(world))
    if path == "/journal":
        with world.lock:
            if method == "DELETE":
                world.journal.clear()
                return 200, {"ok": True}
            since = int(q.get("since", ["0"])[0])
            return 200, {"calls": [e for e in world.journal if e["seq"] > since]}
    if path == "/faults":
        with world.lock:
            if method == "DELETE":
                world.faults.clear()
                world.eventual_calls = 0
                world.invisible.clear()
                return 200, {"ok": True}
            if method == "POST":
                rules = data.get("rules", [data]) if isinstance(data, dict) else data
                added = []
                for r in rules:
                    if r.get("kind") == "invisible":
                        n = int(r.get("calls", 1))
                        if r.get("ids"):
                            for rid in r["ids"]:
                                world.invisible[rid] = n
                        else:
                            world.eventual_calls = n
                        added.append(r)
                        continue
                    v = faults.validate(r)
                    world.faults.append(v)
                    added.append(v)
                return 200, {"added": added}
            return 200, {"faults": world.faults, "eventual_calls": world.eventual_calls,
                         "invisible": world.invisible}
    if path == "/clock":
        # skew AWS's wall clock against the machine's (seconds, + is ahead):
        # clients then sign "skewed" requests, as a host with a wrong clock does
        with world.lock:
            if method == "POST":
                world.skew = float(data.get("skew", 0.0))
            return 200, {"skew": world.skew, "wall": world.wall(), "clock": world.now()}
    if path == "/advance" and method == "POST":
        world.advance(float(data.get("seconds", 0)))
        return 200, {"clock": world.now()}
    if path == "/timing":
        with world.lock:
            if method == "POST":
                for k, v in data.items():
                    if k not in world.timing:
                        raise KeyError(f"unknown timing {k}")
                    world.timing[k] = float(v)
            return 200, world.timing
    if path == "/credentials" and method == "POST":
        with world.lock:
            rec = world.add_credentials(data)
        return 200, {"access_key_id": rec["access_key_id"], "arn": rec["arn"]}
    for m in MODULES:
        if hasattr(m, "control"):
            r = m.control(world, method, path, q, data)
            if r is not None:
                return r
    return 404, {"error": f"no control endpoint {method} /_emulator{path}"}
