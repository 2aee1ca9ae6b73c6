#!/usr/bin/python3
"""Elastic IPs (the emulator models them from the EC2 API reference:
tests/emulator/services/ec2_evidence.py): an Elastic IP on the victim is
its way in from the internet, so isolate takes it off (DisassociateAddress,
the address stays allocated to the account), the record keeps it, and
release puts it back on the same ENI and private address.  isolate also
sets each ENI's connection-tracking timeouts to AWS's minimums.

usage: test_eip.py SSRFGUARD"""
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
ENI2 = "eni-0a000000000000002"
ALLOC = "eipalloc-0e000000000000001"
STANDBY_ENI = "eni-0a000000000000003"  # web-2's
emu = h.Emulator(seeds=(h.FLEET,))
work = tempfile.mkdtemp(prefix="rsp-eip-")
atexit.register(shutil.rmtree, work, True)


def address(st):
    for ns in st.values():
        if isinstance(ns, dict) and isinstance(ns.get("addresses"), dict) and ALLOC in ns["addresses"]:
            return ns["addresses"][ALLOC]
    return None


try:
    emu.post("/seed", {"ec2": {"addresses": [{"PublicIp": "198.51.100.77", "AllocationId": ALLOC,
                                              "NetworkInterfaceId": ENI2}]}})
    a = address(emu.state())
    h.check(a and a.get("NetworkInterfaceId") == ENI2, f"seeded on the second ENI: {a}")
    p = h.respond(binary, emu, work, "--instance", h.VICTIM)
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"contained: {p.stdout[-800:]}")
    h.check("1 Elastic IP(s)" in p.stdout, "recorded")
    a = address(emu.state())
    h.check(a is not None and not a.get("NetworkInterfaceId") and not a.get("AssociationId"),
            f"taken off, still allocated: {a}")
    # isolate also shortens each ENI's idle connection-tracking timeouts to
    # the least AWS allows (EC2 user guide, "Idle connection tracking timeout")
    enis = [e for e in emu.state()["ec2"]["network_interfaces"].values()
            if (e.get("Attachment") or {}).get("InstanceId") == h.VICTIM]
    h.check(len(enis) == 2 and all(e.get("ConnectionTrackingConfiguration") ==
                                   {"TcpEstablishedTimeout": 60, "UdpStreamTimeout": 60, "UdpTimeout": 30}
                                   for e in enis),
            f"tracking timeouts shortened on every ENI: {[e.get('ConnectionTrackingConfiguration') for e in enis]}")
    r = h.report_ok(work, "INC-1")
    if r:
        iso = [s for s in r["steps"] if s["name"] == "isolate"][0]
        h.check(not any("could not shorten" in n for n in iso.get("notes", [])), f"no refusal noted: {iso}")
        calls = [c for c in iso.get("calls", []) if c["api"] == "ec2:DisassociateAddress"]
        h.check(len(calls) == 1 and "198.51.100.77" in (calls[0].get("change") or ""), f"journaled: {calls}")
        inst = r.get("recorded", {})
        h.check([e["allocation_id"] for e in inst.get("eips", [])] == [ALLOC], f"in the record: {inst.get('eips')}")
    out = subprocess.run([binary, "incidents", "--store", os.path.join(work, "inc.db"), "release", "1"],
                         env=emu.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    h.check(out.returncode == 0 and "1 of 1 Elastic IP(s)" in out.stdout, f"release: {out.stdout} {out.stderr}")
    a = address(emu.state())
    h.check(a and a.get("NetworkInterfaceId") == ENI2, f"back on its ENI: {a}")

    # moved to another instance during the incident (a standby): release
    # leaves it there and says so; AssociateAddress without
    # AllowReassociation fails Resource.AlreadyAssociated wherever the
    # address is, so only DescribeAddresses tells (AUDIT7 M3)
    emu.post("/reset", {})
    emu.post("/seed", json.load(open(h.FLEET)))
    emu.post("/timing", h.FAST_TIMING)
    emu.post("/seed", {"ec2": {"addresses": [{"PublicIp": "198.51.100.77", "AllocationId": ALLOC,
                                              "NetworkInterfaceId": ENI2}]}})
    w = tempfile.mkdtemp(prefix="moved-", dir=work)
    p = h.respond(binary, emu, w, "--instance", h.VICTIM)
    h.check(p.returncode == 0 and "INC-1 contained" in p.stdout, f"contained: {p.stdout[-800:]}")
    emu.post("/ec2/associate-address", {"allocation_id": ALLOC, "network_interface_id": STANDBY_ENI})
    out = subprocess.run([binary, "incidents", "--store", os.path.join(w, "inc.db"), "release", "1"],
                         env=emu.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    said = out.stdout.split("stays:")
    h.check(out.returncode == 0 and len(said) == 2 and "0 of 1 Elastic IP(s)" in said[0]
            and f"Elastic IP 198.51.100.77 stays on {STANDBY_ENI} (moved since the incident)" in said[1],
            f"release names the moved address under stays: {out.returncode} {out.stdout} {out.stderr}")
    a = address(emu.state())
    h.check(a and a.get("NetworkInterfaceId") == STANDBY_ENI, f"never taken back: {a}")
finally:
    emu.stop()
h.finish("respond-eip")
