#!/usr/bin/python3
"""bench_respond.py — containment timings on the emulator, and the
attacker's 403 latency while ten incidents are being contained vs idle.

    tests/netns-run /usr/bin/python3 bench/respond/bench_respond.py [build/cli/ssrfguard] [--runs N]

Figures printed (all measured in this one run, side by side):
  1. attack -> isolation applied, attack -> playbook end: `serve --respond`
     (embedded responder) blocks a metadata attempt; the times come from
     the incident's own journal (wall clock of the last ENI change and of
     the final state) minus the moment the 403 arrived.  N runs, fresh
     world each time.
  2. 403 latency (wrk, 4 connections, 5 s) on an idle server, then while
     the embedded responder contains ten instances at once.  Target: the
     busy p50/p99 within 2x of idle.

The emulator is a Python double: each AWS call costs it ~40-80 ms, so
absolute times are the emulator's, not AWS's; the ratio in (2) is the
figure that matters.  Machine: 2 shared cores, so expect noise.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "respond"))
import harness as h  # noqa: E402

binary = next((a for a in sys.argv[1:] if not a.startswith("--") and not a.isdigit()),
              os.path.join(ROOT, "build", "cli", "ssrfguard"))
runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 3
ATTACK = "/go?url=http://169.254.169.254/latest/meta-data/iam/security-credentials/"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start_serve(emu, work, extra_conf="", contain="metadata"):
    port = free_port()
    conf = os.path.join(work, "respond.conf")
    with open(conf, "w") as f:
        f.write(f"[respond]\nreport-dir = {work}/reports\npoll-ms = 50\nstep-backoff-ms = 50\n"
                f"capture-timeout = 5\nquarantine-profile = {h.QUARANTINE_PROFILE}\nquiet = on\n{extra_conf}")
    env = emu.env()
    store = os.path.join(work, "incidents.db")
    p = subprocess.Popen([binary, "serve", "--config", conf, "--listen", f"127.0.0.1:{port}", "--store", store,
                          "--instance-id", h.VICTIM, "--region", "us-east-1", "--az", "us-east-1a",
                          "--no-imds", "--respond", "--contain", contain, "--log", os.path.join(work, "serve.log")],
                         env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "err.log"), "w"))
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return p, port, store, env
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("serve did not start: " + open(os.path.join(work, "err.log")).read())


def stop(p):
    p.terminate()
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()


def incidents(store, env):
    out = subprocess.run([binary, "incidents", "--store", store, "list", "--json"], stdout=subprocess.PIPE,
                         text=True, env=env).stdout
    return json.loads(out) if out.strip() else []


def report(store, env, n):
    out = subprocess.run([binary, "incidents", "--store", store, "show", str(n), "--json"],
                         stdout=subprocess.PIPE, text=True, env=env).stdout
    return json.loads(out)


def timing_run(emu, fleet):
    emu.post("/reset", {})
    emu.post("/seed", fleet)
    emu.post("/timing", h.FAST_TIMING)
    work = tempfile.mkdtemp(prefix="rsp-bench-")
    p, port, store, env = start_serve(emu, work, f"forensic-instance = {h.FORENSIC}\nforensics-wait = 0\n")
    try:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{ATTACK}", timeout=5)
        except urllib.error.HTTPError as e:
            assert e.code == 403
        t403 = time.time() * 1000
        deadline = time.time() + 120
        while time.time() < deadline:
            lst = incidents(store, env)
            if lst and lst[0]["state"] in ("contained", "failed"):
                break
            time.sleep(0.05)
        r = report(store, env, lst[0]["id"])
        iso = [s for s in r["steps"] if s["name"] == "isolate"][0]["calls"]
        quarantine = [c for c in iso if c["api"] == "ec2:ModifyNetworkInterfaceAttribute"
                      and c.get("change", "").startswith("quarantine group") and "error" not in c]
        t_iso = max(c["at"] + c["ms"] for c in quarantine)
        fin = [s for s in r["steps"] if s["name"] == "finish"][0]["calls"]
        t_end = max(c["at"] + c["ms"] for s in r["steps"] for c in s.get("calls", []))
        return t_iso - t403, t_end - t403, r["state"]
    finally:
        stop(p)
        shutil.rmtree(work, ignore_errors=True)


def wrk(port, secs=5):
    out = subprocess.run(["wrk", "-t", "1", "-c", "4", "-d", f"{secs}s", "--latency",
                          f"http://127.0.0.1:{port}{ATTACK}"], stdout=subprocess.PIPE, text=True).stdout
    def pct(name):
        m = re.search(rf"^\s+{name}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        v, u = float(m.group(1)), m.group(2)
        return v / 1000 if u == "us" else v * 1000 if u == "s" else v
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"p50": pct("50"), "p99": pct("99"), "rps": float(rps.group(1)) if rps else 0.0,
            "non2xx": int(non2xx.group(1)) if non2xx else 0}


def ten_instances():
    insts = []
    for i in range(1, 11):
        insts.append({"InstanceId": f"i-0c00000000000{i:04d}", "SubnetId": "subnet-0a000000000000001",
                      "IamInstanceProfile": "web-fleet-profile", "Tags": {"Name": f"bench-{i}"},
                      "NetworkInterfaces": [{"NetworkInterfaceId": f"eni-0c00000000000{i:04d}",
                                             "Groups": ["sg-0a000000000000001"],
                                             "PrivateIpAddress": f"10.0.1.{100 + i}"}],
                      "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "VolumeId": f"vol-0c00000000000{i:04d}",
                                               "Size": 8}]})
    return {"ec2": {"instances": insts}, "ssm": {"managed_instances": [x["InstanceId"] for x in insts]}}


def main():
    emu = h.Emulator()
    fleet = json.load(open(h.FLEET))
    try:
        print(f"# respond bench ({runs} runs; emulator at {emu.url}; 2 shared cores: noisy)")
        rows = [timing_run(emu, fleet) for _ in range(runs)]
        iso = sorted(r[0] for r in rows)
        end = sorted(r[1] for r in rows)
        print(f"attack -> isolation applied : median {iso[len(iso)//2]:7.0f} ms  (min {iso[0]:.0f}, max {iso[-1]:.0f})")
        print(f"attack -> playbook end      : median {end[len(end)//2]:7.0f} ms  (min {end[0]:.0f}, max {end[-1]:.0f})")
        print(f"final states: {[r[2] for r in rows]}")

        emu.post("/reset", {})
        emu.post("/seed", fleet)
        emu.post("/seed", ten_instances())
        emu.post("/timing", h.FAST_TIMING)
        work = tempfile.mkdtemp(prefix="rsp-bench-")
        p, port, store, env = start_serve(emu, work, "parallel = 10\n", contain="none")
        try:
            idle = wrk(port)
            t0 = time.time()
            for i in range(1, 11):
                subprocess.run([binary, "incidents", "--store", store, "open", f"i-0c00000000000{i:04d}"],
                               stdout=subprocess.DEVNULL, env=env, check=True)
            busy = wrk(port)
            lst = incidents(store, env)
            during = sum(1 for x in lst if x["state"] == "containing")
            done_in_window = sum(1 for x in lst if x["state"] in ("contained", "failed"))
            deadline = time.time() + 300
            while time.time() < deadline:
                lst = incidents(store, env)
                if all(x["state"] in ("contained", "failed") for x in lst if x["instance"].startswith("i-0c")):
                    break
                time.sleep(0.2)
            all_done = time.time() - t0
            states = [x["state"] for x in lst if x["instance"].startswith("i-0c")]
            idle2 = wrk(port)  # idle again: the first idle round also warms up
            print(f"403 latency idle            : p50 {idle['p50']:.3f} ms  p99 {idle['p99']:.3f} ms  "
                  f"{idle['rps']:.0f} req/s ({idle['non2xx']} x 403)")
            print(f"403 latency idle, after     : p50 {idle2['p50']:.3f} ms  p99 {idle2['p99']:.3f} ms  "
                  f"{idle2['rps']:.0f} req/s ({idle2['non2xx']} x 403)")
            print(f"403 latency, 10 containing  : p50 {busy['p50']:.3f} ms  p99 {busy['p99']:.3f} ms  "
                  f"{busy['rps']:.0f} req/s ({busy['non2xx']} x 403)")
            lo50, lo99 = min(idle["p50"], idle2["p50"]), min(idle["p99"], idle2["p99"])
            print(f"ratio busy/idle (best idle) : p50 {busy['p50']/lo50:.2f}x  p99 {busy['p99']/lo99:.2f}x"
                  f"  (target <= 2x)")
            print(f"at the end of the busy window: {during} still containing, {done_in_window} finished; "
                  f"all ten finished after {all_done:.1f} s: {sorted(set(states))}")
        finally:
            stop(p)
            shutil.rmtree(work, ignore_errors=True)
    finally:
        emu.stop()


main()
