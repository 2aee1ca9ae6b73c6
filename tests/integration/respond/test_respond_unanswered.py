#!/usr/bin/python3
"""respond's intakes on a DynamoDB state table when the incident's
transaction is never answered (the emulator's faults on every
TransactWriteItems): the attempt may be recorded (at most once), so the
intake must neither lose it nor have it sent again — the store keeps it and
settles it once DynamoDB answers (resent with its ClientRequestToken):
exactly one attempt in the table, and a "settled" log line says so.

  --queue   a detector's incident over SQS whose write took effect unanswered
            ("drop_after"): the message is deleted (left on the queue, its
            redelivery would record it a second time), and the settling
            finds it recorded, once
  --listen  a detector's incident over HTTPS whose write never reached the
            table ("drop"): the answer is 202 with the incident it will be in
            (a 5xx would have the detector send it again), and the settling
            writes it, once

usage: test_respond_unanswered.py SSRFGUARD --queue|--listen"""
import hashlib
import hmac
import json
import os
import secrets
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import botocore.session

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary, mode = sys.argv[1], sys.argv[2]
TABLE = "ssrfguard-state"
QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/ssrfguard-incidents"
emu = h.Emulator()
work = tempfile.mkdtemp(prefix="rsp-unanswered-")
rsp = None
rlog = os.path.join(work, "rsp.log")
BODY = json.dumps({"detector": "web-1", "incident": 7, "instance_id": h.VICTIM, "at_ms": 1733390000000,
                   "url": "http://169.254.169.254/latest/meta-data/\u001b[2J", "category": "metadata"})


def items():
    return emu.state().get("dynamodb", {}).get(TABLE, {"Items": []})["Items"]


def counted():
    """(the incidents' attempts counts, the attempt items) of the table."""
    its = items()
    return ([int(i["attempts"]["N"]) for i in its if i["pk"]["S"] == "incident"],
            [i for i in its if i["pk"]["S"].startswith("inc#") and i["sk"]["S"].startswith("att#")])


def log_text():
    return open(rlog, errors="replace").read()


def start(*args):
    global rsp
    rsp = subprocess.Popen([binary, "respond", "--store", os.path.join(work, "inc.db"), "--state-table", TABLE,
                            "--owner", "rsp", "--observe", "--poll-ms", "50", *args],
                           env=dict(emu.env(), SSRFGUARD_AWS_BACKOFF_BASE_MS="20"), stdout=subprocess.DEVNULL, stderr=open(rlog, "w"))


def via_queue():
    emu.post("/seed", {"sqs_queues": [{"QueueName": "ssrfguard-incidents"}]})
    start("--queue", QUEUE)
    h.check(h.wait(lambda: "queue" in log_text() or rsp.poll() is not None, 10), "respond --queue is up")
    env = emu.instance_env(h.VICTIM)   # the detector's own instance profile
    sqs = botocore.session.get_session().create_client(
        "sqs", region_name="us-east-1", endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env["AWS_SESSION_TOKEN"])
    emu.faults([{"kind": "drop_after", "service": "dynamodb", "action": "TransactWriteItems", "count": 1000}])
    sqs.send_message(QueueUrl=QUEUE, MessageBody=BODY)
    h.check(h.wait(lambda: "did not answer" in log_text(), 30),
            f"the intake says the store did not answer: {log_text()[-1500:]}")
    time.sleep(0.5)
    h.check(h.wait(lambda: not emu.state()["sqs"]["ssrfguard-incidents"]["messages"], 10),
            "the message is deleted: the store keeps the attempt")


def listening(port):
    import socket
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def via_listen():
    key, cert, tkey = (os.path.join(work, n) for n in ("key", "cert.pem", "tls.key"))
    with open(key, "w") as f:
        f.write(secrets.token_hex(32))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", tkey, "-out", cert, "-days", "2", "-subj", "/CN=responder",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    port = h.free_port()
    start("--listen", f"127.0.0.1:{port}", "--key-file", key, "--tls-cert", cert, "--tls-key", tkey)
    master = open(key, "rb").read().strip()
    prk = hmac.new(b"ssrfguard-detector-key-v1", master, hashlib.sha256).digest()
    k = hmac.new(prk, h.VICTIM.encode() + b"\x01", hashlib.sha256).hexdigest().encode()
    ts, nonce, data = str(int(time.time())), secrets.token_hex(16), BODY.encode()
    sig = hmac.new(k, b"ssrfguard-v1\n" + ts.encode() + b"\n" + nonce.encode() + b"\n" + data,
                   hashlib.sha256).hexdigest()
    req = urllib.request.Request(f"https://127.0.0.1:{port}/v1/incidents", data=data, method="POST", headers={
        "X-Ssrfguard-Timestamp": ts, "X-Ssrfguard-Nonce": nonce, "X-Ssrfguard-Signature": sig,
        "X-Ssrfguard-Sender": h.VICTIM, "Content-Type": "application/json"})
    ctx = ssl.create_default_context(cafile=cert)
    h.check(h.wait(lambda: listening(port), 10), f"respond --listen is up: {log_text()[-800:]}")
    emu.faults([{"kind": "drop", "service": "dynamodb", "action": "TransactWriteItems", "count": 1000}])
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            code, text = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        code, text = e.code, e.read().decode()
    h.check(code == 202 and '"unsettled":true' in text, f"202, unsettled, not a 5xx to resend: {code} {text}")
    h.check(counted()[0] == [], "nothing reached the table yet")


try:
    (via_queue if mode == "--queue" else via_listen)()
    emu.clear_faults()

    def settled():
        return [x for x in log_text().splitlines() if "whose write the store had not answered" in x]

    h.check(h.wait(lambda: settled(), 15), f"a settled line comes: {log_text()[-1500:]}")
    want = "recorded, once" if mode == "--queue" else "recorded"
    h.check(settled() and want in settled()[0], f"it says {want}: {settled()}")
    incs, atts = counted()
    h.check(incs == [1] and len(atts) == 1, f"exactly one attempt in the table: {incs}, {len(atts)} items")
    h.check("\x1b" not in log_text(), "the log shows no raw escape")
    rsp.terminate()
    h.check(rsp.wait(20) == 0, f"respond stops cleanly: {log_text()[-800:]}")
    spool = os.path.join(work, "inc.db.unsettled-respond-" + mode[2:])
    h.check(not os.path.exists(spool), f"nothing left in the spool: {os.listdir(work)}")
finally:
    if rsp and rsp.poll() is None:
        h.end(rsp, 20)
    emu.stop()
    shutil.rmtree(work, ignore_errors=True)
h.finish("respond-" + mode[2:] + "-unanswered")
