#!/usr/bin/env python3
"""`incidents list` lists every incident, however many: it once read the
newest 1000 and said nothing of the rest.

  - SQLite: 1,205 incidents (written straight to the store by
    dashboard-seed, hostile sources included): the table has a row for
    each, --json an object for each, newest first, none twice; --state
    lists exactly that state's (and is a usage error with another verb,
    as --reason is with any verb but open);
  - DynamoDB (the AWS emulator, under tests/netns-run): 1,300 incident items
    seeded into the table, each about 1.5 KB, so that DynamoDB's 1 MB page
    (API reference, Query) cuts the store's pages: every one is listed, in
    more Query calls than store pages (LastEvaluatedKey followed);
  - a store that fails part-way (the emulator refusing a later Query) exits
    1 and never leaves a closed JSON array: a partial list is not taken for
    a whole one.

usage: test_incidents_many.py SSRFGUARD DASHBOARD_SEED"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "respond"))
import harness as h  # noqa: E402

B, SEED = sys.argv[1], sys.argv[2]
TABLE = "ssrfguard-many"
work = tempfile.mkdtemp(prefix="incidents-many-")


def listed(args, env=None):
    p = subprocess.run([B, "incidents", *args, "list", "--json"], capture_output=True, env=env,
                       timeout=120)
    h.check(p.returncode == 0, f"list {args}: {p.returncode} {p.stderr[-400:]}")
    return json.loads(p.stdout) if p.returncode == 0 else []


def newest_first_once(ids, n, what):
    h.check(len(ids) == n and ids == sorted(set(ids), reverse=True),
            f"{what}: all {n}, newest first, none twice: {len(ids)} {ids[:3]}...{ids[-3:]}")


def sqlite_store():
    store = os.path.join(work, "inc.db")
    subprocess.run([SEED, store], check=True)
    subprocess.run([SEED, store, "1203"], check=True)
    rows = listed(["--store", store])
    newest_first_once([r["id"] for r in rows], 1205, "sqlite --json")
    p = subprocess.run([B, "incidents", "--store", store, "list"], capture_output=True, timeout=60)
    lines = p.stdout.decode("utf-8", "replace").splitlines()
    h.check(p.returncode == 0 and len(lines) == 1206 and lines[0].startswith("ID "),
            f"sqlite table: a header and 1205 rows: {p.returncode} {len(lines)}")
    h.check(not any(b < 0x20 and b != 0x0a for b in p.stdout),
            "sqlite table: no control byte of a hostile source reaches the terminal")
    opened = listed(["--store", store, "--state", "open"])
    h.check(len(opened) == sum(r["state"] == "open" for r in rows) and
            all(r["state"] == "open" for r in opened) and len(opened) > 500,
            f"sqlite --state open: exactly the open ones: {len(opened)}")
    for verb, opt in ((["show", "1"], ["--state", "open"]), (["list"], ["--reason", "x"])):
        p = subprocess.run([B, "incidents", "--store", store, *verb, *opt], capture_output=True, text=True)
        h.check(p.returncode == 2 and f"{opt[0]} is for" in p.stderr,
                f"{verb[0]} {opt[0]}: a usage error, not ignored: {p.returncode} {p.stderr}")
    print(f"sqlite: {len(rows)} incidents listed, {len(opened)} open", flush=True)


def S(v):
    return {"S": str(v)}


def N(v):
    return {"N": str(v)}


def incident(iid, state):
    """An incident item as docs/fleet.md's "Items" has it, about 1.5 KB."""
    at = 1700000000000 + iid
    return {"pk": S("incident"), "sk": S("%020d" % iid), "id": N(iid), "state": S(state),
            "state_reason": S("seeded " + "r" * 1400), "state_ms": N(at),
            "source": S(f"10.{iid // 250}.{iid % 250}.1"), "join_key": S(f"source:10.{iid}"),
            "category": S("metadata"), "rule": S("metadata-ipv4"), "dest": S("169.254.169.254:80"),
            "instance_id": S("i-0e%015d" % iid), "region": S("us-east-1"), "az": S("us-east-1a"),
            "contain": N(1), "observe": N(0), "attempts": N(1), "opened_ms": N(at),
            "updated_ms": N(at), "lease_owner": S(""), "lease_until_ms": N(0)}


def dynamodb_store():
    many = 1300
    emu = h.Emulator()
    items = [incident(i, "contained" if i % 3 else "closed") for i in range(1, many + 1)]
    items += [{"pk": S("meta"), "sk": S("counter"), "next_id": N(many)},
              {"pk": S("meta"), "sk": S("identity"), "store_id": S("0123456789abcdef"),
               "first_keyed": N(1), "created_ms": N(1700000000000)},
              {"pk": S("meta"), "sk": S("holders"), "at_ms": N(1700000000000)}]
    emu.post("/seed", {"dynamodb_tables": [{
        "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                      {"AttributeName": "sk", "KeyType": "RANGE"}],
        "Items": items}]})
    env = emu.env()
    env["AWS_REGION"] = "us-east-1"
    try:
        emu.call("DELETE", "/journal")
        rows = listed(["--state-table", TABLE], env)
        newest_first_once([r["id"] for r in rows], many, "dynamodb --json")
        queries = sum(c.get("action") == "Query" for c in emu.journal())
        h.check(queries >= 3, f"dynamodb: the 1 MB pages followed (LastEvaluatedKey): {queries} Query calls")
        closed = listed(["--state-table", TABLE, "--state", "closed"], env)
        newest_first_once([r["id"] for r in closed], many // 3, "dynamodb --state closed")
        print(f"dynamodb: {len(rows)} incidents listed in {queries} Query calls, "
              f"{len(closed)} closed", flush=True)
        # the third Query refused (after the retries): exit 1, the array unclosed
        emu.faults([{"kind": "error", "service": "dynamodb", "action": "Query", "skip": 2}])
        p = subprocess.run([B, "incidents", "--state-table", TABLE, "list", "--json"],
                           capture_output=True, env=env, timeout=120)
        out = p.stdout.decode()
        h.check(p.returncode == 1 and out.startswith("[") and not out.rstrip().endswith("]")
                and b"after" in p.stderr, f"a store failing part-way: exit 1, no closed array: "
                f"{p.returncode} {out[-80:]!r} {p.stderr[-300:]}")
    finally:
        emu.stop()


sqlite_store()
dynamodb_store()
h.finish("incidents-many")
