#!/usr/bin/env python3
"""--state-table signs with the command's AWS settings, --profile included,
like every other AWS call of the command (against the AWS emulator): the
environment holds one access key, the profile `ops` another; respond,
incidents, dashboard and serve with `--profile ops` make every DynamoDB call
with the profile's key (serve records a blocked attempt there, in its
--region), and a profile without credentials is an error naming it (the
store does not fall back to the environment's keys)."""
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "respond"))
import harness as h  # noqa: E402

B = sys.argv[1]
TABLE = "ssrfguard-profile-test"
OPS_KEY = "AKIAOPSPROFILE0000001"
OPS_SECRET = "opsSecretKey0123456789/abcdefEXAMPLEKEY0"
TOKEN = "profile-token-0123456789abcdef"
emu = h.Emulator()
work = tempfile.mkdtemp(prefix="state-table-profile-")
emu.post("/credentials", {"access_key_id": OPS_KEY, "secret_access_key": OPS_SECRET})
with open(os.path.join(work, "credentials"), "w") as f:
    f.write(f"[ops]\naws_access_key_id = {OPS_KEY}\naws_secret_access_key = {OPS_SECRET}\n")
with open(os.path.join(work, "config"), "w") as f:
    f.write("[profile ops]\nregion = us-east-1\n[profile nocreds]\nregion = us-east-1\n")
env = emu.env()  # the environment's keys: h.CREDS
env.update({"AWS_SHARED_CREDENTIALS_FILE": os.path.join(work, "credentials"),
            "AWS_CONFIG_FILE": os.path.join(work, "config"), "HOME": work,
            "AWS_EC2_METADATA_DISABLED": "true"})
tokfile = os.path.join(work, "token")
with open(tokfile, "w") as f:
    f.write(TOKEN)
os.chmod(tokfile, 0o600)
STORE = ["--store", os.path.join(work, "unused.db"), "--state-table", TABLE]


def dynamodb_keys(since):
    """The access keys of the DynamoDB calls after the journal's first since."""
    calls = emu.journal()[since:]
    return len(emu.journal()), {c["access_key"] for c in calls if c["service"] == "dynamodb"}


mark, _ = dynamodb_keys(0)
p = h.respond(B, emu, work, "--instance", h.VICTIM, "--profile", "ops", *STORE[2:], "-q",
              extra_env={k: env[k] for k in ("AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
                                             "HOME", "AWS_EC2_METADATA_DISABLED")})
mark, keys = dynamodb_keys(mark)
h.check(p.returncode == 0, f"respond --profile ops --state-table: {p.stderr[-400:]}")
h.check(keys == {OPS_KEY}, f"respond: every DynamoDB call with the profile's key: {keys}")

p = subprocess.run([B, "incidents", *STORE, "--profile", "ops", "list", "--json"],
                   capture_output=True, text=True, env=env, timeout=60)
mark, keys = dynamodb_keys(mark)
listed = json.loads(p.stdout or "[]")
h.check(p.returncode == 0 and [i["state"] for i in listed] == ["contained"],
        f"incidents list --profile ops: {p.stdout} {p.stderr}")
h.check(keys == {OPS_KEY}, f"incidents: every DynamoDB call with the profile's key: {keys}")

p = subprocess.run([B, "incidents", *STORE, "--profile", "nocreds", "list"],
                   capture_output=True, text=True, env=env, timeout=60)
mark, keys = dynamodb_keys(mark)
h.check(p.returncode == 1 and "profile 'nocreds' has no credentials" in p.stderr and not keys,
        f"a profile without credentials is an error, not the environment's keys: "
        f"{p.returncode} {p.stderr} {keys}")

dash = subprocess.Popen([B, "dashboard", "--listen", "127.0.0.1:0", *STORE, "--profile", "ops",
                         "--token-file", tokfile], env=env, stderr=subprocess.PIPE, text=True)
try:
    port = int(json.loads(dash.stderr.readline())["message"].rsplit(":", 1)[1])
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/incidents",
                                 headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(req, timeout=30) as r:
        listed = json.loads(r.read())
    mark, keys = dynamodb_keys(mark)
    h.check([i["instance"] for i in listed] == [h.VICTIM],
            f"dashboard --profile ops lists the table's incident: {listed}")
    h.check(keys == {OPS_KEY}, f"dashboard: every DynamoDB call with the profile's key: {keys}")
finally:
    dash.terminate()
    dash.wait(timeout=10)


def healthy(port):
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).status == 200
    except OSError:
        return False


def serve(profile):
    port = h.free_port()
    return port, subprocess.Popen(
        [B, "serve", "--listen", f"127.0.0.1:{port}", *STORE, "--profile", profile,
         "--instance-id", h.VICTIM, "--region", "us-east-1", "--az", "us-east-1a", "--no-imds"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


port, srv = serve("ops")
try:
    h.check(h.wait(lambda: srv.poll() is not None or healthy(port), 30) and srv.poll() is None,
            "serve --state-table --profile ops starts")
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/go?url=http://169.254.169.254/latest/meta-data/",
                               timeout=30)
        blocked = False
    except urllib.error.HTTPError as e:
        blocked = e.code == 403
    except OSError:
        blocked = False
    mark, keys = dynamodb_keys(mark)
    h.check(blocked, "serve blocks the metadata fetch")
    h.check(keys == {OPS_KEY}, f"serve: every DynamoDB call with the profile's key: {keys}")
    p = subprocess.run([B, "incidents", *STORE, "--profile", "ops", "list", "--json"],
                       capture_output=True, text=True, env=env, timeout=60)
    mark, _ = dynamodb_keys(mark)
    h.check(p.returncode == 0 and len(json.loads(p.stdout or "[]")) == 2,
            f"serve's incident is in the table: {p.stdout} {p.stderr}")
finally:
    srv.terminate()
    srv.wait(timeout=20)
port, srv = serve("nocreds")
try:
    srv.wait(timeout=30)
    err = srv.stderr.read()
    mark, keys = dynamodb_keys(mark)
    h.check(srv.returncode == 2 and "profile 'nocreds' has no credentials" in err and not keys,
            f"serve --profile without credentials: exit 2, named, no call: {srv.returncode} {err} {keys}")
except subprocess.TimeoutExpired:
    srv.kill()
    h.check(False, "serve --profile nocreds stops at start")
emu.stop()
h.finish("cli-state-table-profile")
