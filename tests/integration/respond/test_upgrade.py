#!/usr/bin/python3
"""Upgrading a DynamoDB state table written before holders while an older
responder still works on it (docs/fleet.md, "Upgrading a table written
before holders").  An older responder writes no holder item and cannot be
changed; what this version sees is its lease: every claim of this version
marks its lease (lease_by), an older one does not.

1. A table of the old version (no meta/holders) where INC-1 is containing
   under the live lease of an older responder ("old-host:4242", no
   lease_by): `respond --once` refuses to start (exit 2) and names INC-1 and
   its owner; nothing is claimed, the table is not upgraded.
2. An operator's read-write command (`incidents open`) still works (a
   detector's or an operator's open does not wait), without upgrading.
3. `incidents list` flags INC-1 (--json "older_responder": true, a warning
   on stderr naming it).
4. The older lease ends (its responder stopped): `respond --once` upgrades the
   table (meta/holders, INC-1 holds the victim), takes INC-1 over and
   contains the victim; the incident opened in 2 is merged into INC-1.  Its
   claim marked its lease (lease_by = its owner).
5. After the upgrade an older responder claims again (its write, without
   lease_by, made straight to the table): `incidents list` flags it, and the
   dashboard's API says so too.

usage: test_upgrade.py SSRFGUARD"""
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import botocore.session

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
emu = h.Emulator()
work = tempfile.mkdtemp(prefix="rsp-upgrade-")
TABLE = "ssrfguard-upgrade"
OLD = "old-host:4242"


def S(v):
    return {"S": str(v)}


def N(v):
    return {"N": str(v)}


def now_ms():
    return int(time.time() * 1000)


def incident(iid, state, instance, join_key, lease_owner="", lease_until=0):
    """An incident item as the older version wrote it (docs/fleet.md)."""
    at = now_ms() - 60000
    return {"pk": S("incident"), "sk": S("%020d" % iid), "id": N(iid), "state": S(state),
            "state_reason": S("claimed by " + lease_owner if lease_owner else "seeded"),
            "state_ms": N(at), "source": S(join_key.split(":", 1)[1]), "join_key": S(join_key),
            "category": S("metadata"), "rule": S("metadata-ipv4"), "dest": S("169.254.169.254:80"),
            "instance_id": S(instance), "region": S("us-east-1"), "az": S("us-east-1a"),
            "contain": N(1), "observe": N(0), "attempts": N(1), "opened_ms": N(at),
            "updated_ms": N(at), "lease_owner": S(lease_owner), "lease_until_ms": N(lease_until)}


def items():
    return emu.state()["dynamodb"][TABLE]["Items"]


def item(pk, sk):
    return next(({k: list(v.values())[0] for k, v in i.items()} for i in items()
                 if i["pk"]["S"] == pk and i["sk"]["S"] == sk), None)


def incidents_cmd(*args):
    return subprocess.run([binary, "incidents", "--state-table", TABLE, *args], env=emu.env(),
                          capture_output=True, text=True, timeout=120)


def respond_once(name):
    return h.respond(binary, emu, tempfile.mkdtemp(prefix=name, dir=work), "--once",
                     "--state-table", TABLE)


lease_end = now_ms() + 12000
old = incident(1, "containing", h.VICTIM, "source:198.51.100.7", OLD, lease_end)
emu.post("/seed", {"dynamodb_tables": [{
    "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                             {"AttributeName": "sk", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                  {"AttributeName": "sk", "KeyType": "RANGE"}],
    "Items": [old, {"pk": S("meta"), "sk": S("counter"), "next_id": N(1)},
              {"pk": S("active"), "sk": S("source:198.51.100.7"), "incident": N(1)}]}]})
try:
    # 1. a responder of this version refuses to start beside the older one
    p = respond_once("rsp-refused-")
    h.check(p.returncode == 2 and "INC-1" in p.stderr and OLD in p.stderr
            and "older ssrfguard" in p.stderr and "Upgrading a table written before holders" in p.stderr,
            f"respond refuses, naming the older lease: {p.returncode} {p.stdout[-300:]} {p.stderr[-700:]}")
    h.check(item("meta", "holders") is None and item("instance#" + h.VICTIM, "holder") is None,
            "the table is not upgraded while the older responder works")
    h.check(item("incident", "%020d" % 1)["lease_owner"] == OLD, "INC-1 still the older responder's")
    print("1: respond refused to start beside an older responder's live lease", flush=True)

    # 2. an operator's (or a detector's) read-write open does not wait
    p = incidents_cmd("open", h.VICTIM, "--reason", "found elsewhere")
    h.check(p.returncode == 0 and p.stdout.strip() == "INC-2", f"incidents open: {p.returncode} "
            f"{p.stdout} {p.stderr[-400:]}")
    h.check(item("meta", "holders") is None, "an operator's open does not upgrade the table")

    # 3. the list flags the older responder's incident
    p = incidents_cmd("list", "--json")
    rows = {r["id"]: r for r in json.loads(p.stdout)} if p.returncode == 0 else {}
    h.check(rows.get(1, {}).get("older_responder") is True and rows.get(2, {}).get("older_responder") is False
            and "INC-1" in p.stderr and "older than this ssrfguard" in p.stderr,
            f"list flags INC-1: {p.returncode} {rows} {p.stderr[-400:]}")
    print("2-3: an operator's command went on; the list flags INC-1", flush=True)

    # 4. the older responder stopped: its lease ends, the upgrade happens
    time.sleep(max(0, lease_end - now_ms()) / 1000 + 0.5)
    p = respond_once("rsp-after-")
    h.check(p.returncode == 0, f"respond after the older lease ended: {p.returncode} {p.stdout[-600:]} "
            f"{p.stderr[-800:]}")
    marker, holder = item("meta", "holders"), item("instance#" + h.VICTIM, "holder")
    inc1, inc2 = item("incident", "%020d" % 1), item("incident", "%020d" % 2)
    h.check(marker is not None and holder is not None and holder["incident"] == "1",
            f"upgraded: the marker, INC-1 holds the victim: {marker} {holder}")
    h.check(inc1["state"] == "contained" and inc1.get("lease_by", "").startswith("respond:test"),
            f"INC-1 taken over and contained, its lease marked: {inc1['state']} {inc1.get('lease_by')}")
    h.check(inc2["state"] == "closed" and "INC-1" in inc2["state_reason"],
            f"INC-2 merged into INC-1: {inc2['state']} {inc2['state_reason']}")
    print("4: after the older lease ended the table was upgraded and INC-1 contained", flush=True)

    # 5. an older responder claims after the upgrade (it cannot know): flagged
    ddb = botocore.session.get_session().create_client(
        "dynamodb", region_name="us-east-1", endpoint_url=emu.url,
        aws_access_key_id=h.CREDS["AWS_ACCESS_KEY_ID"], aws_secret_access_key=h.CREDS["AWS_SECRET_ACCESS_KEY"])
    ddb.put_item(TableName=TABLE, Item=incident(3, "containing", "i-0fffffffffffff003", "source:10.7.0.3",
                                                OLD, now_ms() + 60000))
    p = incidents_cmd("list", "--json")
    rows = {r["id"]: r for r in json.loads(p.stdout)} if p.returncode == 0 else {}
    h.check(rows.get(3, {}).get("older_responder") is True and rows.get(1, {}).get("older_responder") is False
            and "INC-3" in p.stderr and "INC-1" not in p.stderr,
            f"an older responder's claim after the upgrade is flagged: {rows} {p.stderr[-400:]}")
    tok = os.path.join(work, "token")
    with open(tok, "w") as f:
        f.write("upgrade-test-token-0123456789\n")
    os.chmod(tok, 0o600)
    dash = subprocess.Popen([binary, "dashboard", "--state-table", TABLE, "--listen", "127.0.0.1:0",
                             "--token-file", tok], env=emu.env(), stderr=subprocess.PIPE, text=True)
    try:
        port = int(json.loads(dash.stderr.readline())["message"].rsplit(":", 1)[1])
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        c.request("GET", "/api/incidents", headers={"Authorization": "Bearer upgrade-test-token-0123456789"})
        r = c.getresponse()
        api = {i["id"]: i for i in json.loads(r.read())} if r.status == 200 else {}
        h.check(api.get(3, {}).get("older_responder") is True and api.get(1, {}).get("older_responder") is False,
                f"the dashboard's API flags INC-3 only: {r.status} {api}")
    finally:
        dash.terminate()
        dash.wait(timeout=10)
    print("5: an older responder's claim after the upgrade is flagged (list and dashboard)", flush=True)
finally:
    emu.stop()
    shutil.rmtree(work, ignore_errors=True)
h.finish("respond-upgrade")
