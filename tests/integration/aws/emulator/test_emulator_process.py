"""The emulator as a process: one command starts it (ready line, ready file),
SIGTERM stops it and writes the final state, it refuses to run outside the
test namespace, and emulatorctl run hands a program the right environment."""
import shutil
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.request

from emutest import FLEET, ROOT

EMU = os.path.join(ROOT, "tests", "emulator", "emulator.py")
CTL = os.path.join(ROOT, "tests", "emulator", "emulatorctl")


def _running(pid):
    """Is pid alive (neither gone nor a zombie)?"""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _kill_if_running(pid):
    if _running(pid):
        os.kill(pid, signal.SIGKILL)


class Process(unittest.TestCase):
    def test_ready_line_ready_file_and_state_file_on_sigterm(self):
        tmp = tempfile.mkdtemp(prefix="emu-proc-")
        self.addCleanup(shutil.rmtree, tmp, True)
        ready, final = os.path.join(tmp, "ready.json"), os.path.join(tmp, "final.json")
        p = subprocess.Popen(["/usr/bin/python3", EMU, "--port", "0", "--imds-port", "0", "--seed", FLEET,
                              "--ready-file", ready, "--state-file", final], stdout=subprocess.PIPE, text=True)
        try:
            line = p.stdout.readline()
            self.assertRegex(line, r"^emulator ready aws=http://127\.0\.0\.1:\d+ imds=http://127\.0\.0\.1:\d+$")
            with open(ready) as f:
                urls = json.load(f)
            self.assertIn(urls["aws"], line)
            req = urllib.request.Request(urls["aws"] + "/_emulator/seed", method="POST",
                                         data=json.dumps({"sns_topics": ["arn:aws:sns:us-east-1:123456789012:x"]})
                                         .encode())
            urllib.request.urlopen(req, timeout=10).read()
        finally:
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(15), 0)
            p.stdout.close()
        with open(final) as f:
            st = json.load(f)
        self.assertIn("i-0a1b2c3d4e5f60001", st["ec2"]["instances"])
        self.assertIn("arn:aws:sns:us-east-1:123456789012:x", st["sns"]["topics"])

    def test_ends_with_the_process_that_started_it(self):
        """A harness killed outright (SIGKILL: no cleanup of its own runs)
        leaves no emulator behind; the end of the thread that started it
        (a pool's worker) is not the end of the harness."""
        tmp = tempfile.mkdtemp(prefix="emu-proc-")
        self.addCleanup(shutil.rmtree, tmp, True)
        ready = os.path.join(tmp, "ready.json")
        parent = subprocess.Popen(["/usr/bin/python3", "-c",
                                   "import subprocess, threading, time\n"
                                   "started = []\n"
                                   "t = threading.Thread(target=lambda: started.append(subprocess.Popen("
                                   f"['/usr/bin/python3', {EMU!r}, '--port', '0', '--ready-file', {ready!r}], "
                                   "stdout=subprocess.DEVNULL)))\n"
                                   "t.start()\n"
                                   "t.join()\n"
                                   "print(started[0].pid, flush=True)\n"
                                   "time.sleep(600)\n"], stdout=subprocess.PIPE, text=True)
        emu = int(parent.stdout.readline())
        parent.stdout.close()
        self.addCleanup(_kill_if_running, emu)
        deadline = time.monotonic() + 60
        while not os.path.exists(ready) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(os.path.exists(ready), "the emulator became ready")
        time.sleep(1.5)
        self.assertTrue(_running(emu), "the emulator outlived the thread that started it")
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 15
        while _running(emu) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(_running(emu), "the emulator outlived the process that started it")

    def test_refuses_outside_the_namespace(self):
        env = dict(os.environ)
        env.pop("SSRFGUARD_IN_NETNS", None)
        p = subprocess.run(["/usr/bin/python3", EMU, "--port", "0"], env=env, capture_output=True, text=True,
                           timeout=20)
        self.assertEqual(p.returncode, 2)
        self.assertIn("netns-run", p.stderr)

    def test_bad_seed_fails_loudly(self):
        tmp = tempfile.mkdtemp(prefix="emu-proc-")
        self.addCleanup(shutil.rmtree, tmp, True)
        bad = os.path.join(tmp, "bad.json")
        with open(bad, "w") as f:
            json.dump({"ec2": {"instances": [{"InstanceId": "web-1", "SubnetId": "subnet-0a000000000000001"}]}}, f)
        p = subprocess.run(["/usr/bin/python3", EMU, "--port", "0", "--seed", FLEET, "--seed", bad],
                           capture_output=True, text=True, timeout=20)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("web-1", p.stderr)

    def test_emulatorctl_run(self):
        script = ("import os, subprocess, json, sys\n"
                  "assert os.environ['AWS_ENDPOINT_URL'] == os.environ['EMULATOR_URL']\n"
                  "assert os.environ['AWS_EC2_METADATA_SERVICE_ENDPOINT'].startswith('http://127.0.0.1:')\n"
                  f"out = subprocess.run([{CTL!r}, 'state'], capture_output=True, text=True, check=True).stdout\n"
                  "assert 'i-0a1b2c3d4e5f60001' in json.loads(out)['ec2']['instances']\n"
                  "sys.exit(7)\n")
        p = subprocess.run([CTL, "run", "--seed", FLEET, "--imds", "--", "/usr/bin/python3", "-c", script],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 7, p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2, warnings="ignore")
