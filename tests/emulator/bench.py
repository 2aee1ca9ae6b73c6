#!/usr/bin/python3
"""Rough speed of the emulator (run inside tests/netns-run):

    tests/netns-run /usr/bin/python3 tests/emulator/bench.py [N]

Prints calls/s through a keep-alive botocore client (client parsing
included) and the start-up time to the ready line.  Numbers on a shared
2-core machine are noisy; compare runs side by side.
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from control import Emulator  # noqa: E402

FLEET = os.path.join(HERE, "scenarios", "fleet.json")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    t = time.perf_counter()
    emu = Emulator.start(seed=FLEET)
    ready = time.perf_counter() - t
    try:
        sts, ec2 = emu.client("sts"), emu.client("ec2")
        for name, fn in (("sts GetCallerIdentity", sts.get_caller_identity),
                         ("ec2 DescribeInstances (fleet: 3 instances)", ec2.describe_instances)):
            fn()
            t = time.perf_counter()
            for _ in range(n):
                fn()
            dt = time.perf_counter() - t
            print(f"{name}: {n / dt:.0f} calls/s ({dt / n * 1000:.2f} ms/call, botocore client included)")
    finally:
        emu.stop()
    print(f"start-up with the fleet scenario to the ready line: {ready * 1000:.0f} ms")


if __name__ == "__main__":
    main()
