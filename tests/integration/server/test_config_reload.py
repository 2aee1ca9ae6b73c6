"""test_config_reload.py — which settings a reload takes, and that it names
the others truthfully.  Runs as tests/netns-run python3 test_config_reload.py.

  - `contain` is reloaded with the guard's rules (SIGHUP or a changed
    --config file): a metadata attempt asks for containment before, not
    after `contain = none`, on every loop; no restart is named for it;
  - the embedded responder's [respond] settings of the same files are
    compared too: one changed is named (config_restart_needed and /healthz
    restart_needed as respond.NAME), and no longer once the file is as it
    was.  (The responder here has no AWS to reach: it is "failing", which
    changes nothing of this.)
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Serve, check, finish, replace_file, require_netns, tmpdir, wait_until  # noqa: E402

require_netns()
tmp = tmpdir("sg-cfgreload-")
AWS = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
       "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
srv = Serve({"workers": 2, "respond": "on"}, env=AWS, port=5014, tmp=tmp, start=False)
with open(srv.conf) as f:
    serve_conf = "[serve]\n" + f.read()
RESPOND = "[respond]\nreport_dir = %s\npoll_ms = 1000\n" % os.path.join(tmp, "reports")
replace_file(srv.conf, serve_conf + RESPOND)
srv.start()


def reloads():
    return [d for d in srv.log_lines() if d.get("event") == "policy_reload" and d.get("ok")]


def restart_lines():
    return [d for d in srv.log_lines() if d.get("event") == "config_restart_needed"]


def containment(n=6):
    """What n metadata attempts say of containment (both loops answer)."""
    out = set()
    for _ in range(n):
        code, _, body = srv.go("http://169.254.169.254/latest/meta-data/")
        check(code == 403, "the metadata address is refused: %d" % code)
        out.add(json.loads(body).get("containment"))
    return out


before = containment()
check(before and "none" not in before, "contain = metadata (default): containment asked: %r" % before)

# ---- contain: reloaded ----
replace_file(srv.conf, serve_conf + "contain = none\n" + RESPOND)
wait_until(lambda: len(reloads()) >= 1, "the config file read again")
check(containment() == {"none"}, "after contain = none, no loop asks for containment")
check(restart_lines() == [] and "restart_needed" not in srv.health(),
      "contain needs no restart: %r" % restart_lines())

# ---- [respond]: compared, named ----
replace_file(srv.conf, serve_conf + "contain = none\n" + RESPOND.replace("1000", "2500"))
wait_until(lambda: len(reloads()) >= 2, "the config file read again")
lines = restart_lines()
check(len(lines) == 1 and lines[0].get("settings") == "respond.poll-ms",
      "the responder's changed setting is named: %r" % lines)
check(srv.health().get("restart_needed") == "respond.poll-ms", "healthz names it: %r" % srv.health())
replace_file(srv.conf, serve_conf + RESPOND)
wait_until(lambda: len(reloads()) >= 3, "the file as it was")
check("restart_needed" not in srv.health() and len(restart_lines()) == 1,
      "as it was: nothing left to restart for: %r" % srv.health().get("restart_needed"))
check(containment() == before, "contain as it was, containment asked again")
check(srv.stop() == 0, "clean exit after SIGTERM (no sanitizer report)")
finish()
