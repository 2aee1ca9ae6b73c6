"""IMDSv2 (and v1 where the instance allows it) for one chosen instance.

The identity comes from the EC2 state: the instance named in the scenario's
"imds" section, its placement, addresses, metadata options (only once they
are *applied*), and the role of its *current* instance-profile association —
so a disassociation really makes the credentials path 404, as on EC2.
Role credentials are registered with the API side, so a client can sign
with them.

Modelled from the EC2 user guide: "Use the Instance Metadata Service to access
instance metadata" (IMDSv2 session tokens: PUT /latest/api/token with
X-aws-ec2-metadata-token-ttl-seconds 1..21600, the token in
X-aws-ec2-metadata-token; HttpTokens required refuses v1 with 401; the hop
limit), https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-v2-how-it-works.html;
"Instance metadata categories",
https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-categories.html;
and "Retrieve security credentials from instance metadata" (the
iam/security-credentials/ROLE document, new credentials five minutes before
expiry: services/role_sessions),
https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-security-credentials.html.
A disabled endpoint (HttpEndpoint disabled) answers nothing.
"""
import base64
import datetime
import json
import secrets

from urllib.parse import urlsplit

from services import ec2, role_sessions

MAX_TTL = 21600


def st(world):
    return world.ns.setdefault("imds", {"instance_id": None, "tokens": {}})


def seed(world, sc):
    i = sc.get("imds")
    if i:
        configure(world, i)


def configure(world, i):
    s = st(world)
    s["instance_id"] = i.get("instance_id", s["instance_id"])


def _iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _instance(world):
    iid = st(world)["instance_id"]
    if not iid:
        return None
    r = ec2.st(world)["instances"].get(iid)
    return ec2._instance_out(world, r) if r else None


def _new_key():
    return {"access_key_id": "ASIA" + secrets.token_hex(8).upper(),
            "secret_access_key": base64.b64encode(secrets.token_bytes(30)).decode(),
            "session_token": base64.b64encode(secrets.token_bytes(96)).decode(),
            "user_id": "AROA" + secrets.token_hex(8).upper()}


def dump(world):
    s = st(world)
    c = role_sessions.session_at(world, s["instance_id"]) if s["instance_id"] else None
    return {"instance_id": s["instance_id"], "tokens": len(s["tokens"]),
            "credentials": None if c is None else {"role": c["role"], "issued": c["issued"],
                                                   "expires": c["expires"]}}


def control(world, method, path, q, data):
    if path == "/imds" and method == "POST":
        with world.lock:
            configure(world, data)
        return 200, {"ok": True}
    if path == "/imds/credentials" and method == "POST":
        # what IMDS would hand instance_id's own processes (its profile's
        # role session, named after the instance): a detector on that host
        with world.lock:
            c = role_sessions.credentials(world, data["instance_id"], _new_key)
        if c is None:
            return 404, {"error": f"{data['instance_id']} has no instance profile role"}
        return 200, {"AccessKeyId": c["access_key_id"], "SecretAccessKey": c["secret"],
                     "Token": c["token"], "Expiration": _iso(c["expires"])}
    if path == "/imds/rotate" and method == "POST":
        with world.lock:
            if st(world)["instance_id"]:
                role_sessions.rotate(world, st(world)["instance_id"])
        return 200, {"ok": True}
    return None


def _text(status, body, ctype="text/plain"):
    return status, ctype, body.encode() if isinstance(body, str) else body, []


def _not_found():
    return _text(404, '<?xml version="1.0" encoding="iso-8859-1"?>\n<html><head><title>404 - Not Found</title>'
                 "</head><body><h1>404 - Not Found</h1></body></html>\n", "text/html")


def handle(world, method, path_qs, headers, client):
    path = urlsplit(path_qs).path
    with world.lock:
        world.tick()
        s = st(world)
        now = world.now()
        inst = _instance(world)
        raw = ec2.st(world)["instances"].get(s["instance_id"] or "")
        # until a ModifyInstanceMetadataOptions is applied, the old options rule
        mo = (raw or {}).get("_metadata_effective") or (inst or {}).get("MetadataOptions") or \
            {"HttpTokens": "optional", "HttpEndpoint": "enabled"}
        if mo.get("HttpEndpoint") == "disabled":
            return _text(403, "Forbidden\n")
        if path == "/latest/api/token":
            if method != "PUT":
                return _text(405, "Method Not Allowed\n")
            if headers.get("X-Forwarded-For") is not None:
                return _text(403, "Forbidden\n")
            ttl = headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            if ttl is None or not ttl.isdigit() or not 1 <= int(ttl) <= MAX_TTL:
                return _text(400, "Bad Request\n")
            tok = base64.b64encode(secrets.token_bytes(42)).decode()
            s["tokens"][tok] = now + int(ttl)
            for t, exp in list(s["tokens"].items()):
                if exp <= now:
                    del s["tokens"][t]
            return 200, "text/plain", tok.encode(), [("X-aws-ec2-metadata-token-ttl-seconds", ttl)]
        if method not in ("GET", "HEAD"):
            return _text(405, "Method Not Allowed\n")
        tok = headers.get("X-aws-ec2-metadata-token")
        if tok is not None:
            exp = s["tokens"].get(tok)
            if exp is None or exp <= now:
                return _text(401, "Unauthorized\n")
        elif mo.get("HttpTokens") == "required":
            return _text(401, "Unauthorized\n")
        return _get(world, inst, path, now)


def _get(world, inst, path, now):
    iid = (inst or {}).get("InstanceId") or st(world)["instance_id"] or "i-0000000000000000"
    az = (inst or {}).get("Placement", {}).get("AvailabilityZone", world.region + "a")
    ip = (inst or {}).get("PrivateIpAddress", "10.0.0.10")
    enis = (inst or {}).get("NetworkInterfaces") or []
    a = role_sessions.association(world, iid)
    role, prof = role_sessions.role_of(world, a) if a else (None, None)
    simple = {
        "/latest/meta-data/instance-id": iid,
        "/latest/meta-data/ami-id": (inst or {}).get("ImageId", "ami-0abcdef1234567890"),
        "/latest/meta-data/instance-type": (inst or {}).get("InstanceType", "t3.micro"),
        "/latest/meta-data/placement/availability-zone": az,
        "/latest/meta-data/placement/region": world.region,
        "/latest/meta-data/placement/": "availability-zone\nregion",
        "/latest/meta-data/local-ipv4": ip,
        "/latest/meta-data/hostname": (inst or {}).get("PrivateDnsName", "ip-10-0-0-10.ec2.internal"),
        "/latest/meta-data/local-hostname": (inst or {}).get("PrivateDnsName", "ip-10-0-0-10.ec2.internal"),
        "/latest/meta-data/mac": enis[0]["MacAddress"] if enis else "0a:00:00:00:00:01",
        "/latest/meta-data/security-groups": "\n".join(g["GroupName"] for g in (inst or {}).get("SecurityGroups", [])),
        "/latest/meta-data/": "ami-id\nhostname\niam/\ninstance-id\ninstance-type\nlocal-hostname\nlocal-ipv4\n"
                              "mac\nplacement/\nsecurity-groups",
        "/latest/": "dynamic\nmeta-data\n",
        "/": "latest\n",
        "/latest/dynamic/": "instance-identity/\n",
    }
    if inst and inst.get("PublicIpAddress"):
        simple["/latest/meta-data/public-ipv4"] = inst["PublicIpAddress"]
    if enis and enis[0].get("Ipv6Addresses"):
        simple["/latest/meta-data/ipv6"] = enis[0]["Ipv6Addresses"][0]["Ipv6Address"]
    if path in simple:
        return _text(200, simple[path])
    if path == "/latest/dynamic/instance-identity/document":
        doc = {"accountId": world.account_id, "architecture": "x86_64", "availabilityZone": az,
               "billingProducts": None, "devpayProductCodes": None, "marketplaceProductCodes": None,
               "imageId": simple["/latest/meta-data/ami-id"], "instanceId": iid,
               "instanceType": simple["/latest/meta-data/instance-type"], "kernelId": None,
               "pendingTime": _iso((inst or {}).get("LaunchTime", now)), "privateIp": ip, "ramdiskId": None,
               "region": world.region, "version": "2017-09-30"}
        return _text(200, json.dumps(doc, indent=2))
    if path.startswith("/latest/meta-data/iam"):
        if role is None:
            return _not_found()
        if path in ("/latest/meta-data/iam", "/latest/meta-data/iam/"):
            return _text(200, "info\nsecurity-credentials/")
        if path == "/latest/meta-data/iam/info":
            info = {"Code": "Success", "LastUpdated": _iso(now)}
            if prof:
                info["InstanceProfileArn"] = prof["Arn"]
                info["InstanceProfileId"] = prof["InstanceProfileId"]
            return _text(200, json.dumps(info, indent=2))
        if path in ("/latest/meta-data/iam/security-credentials/", "/latest/meta-data/iam/security-credentials"):
            return _text(200, role)
        if path == "/latest/meta-data/iam/security-credentials/" + role:
            c = role_sessions.credentials(world, iid, _new_key)
            body = {"Code": "Success", "LastUpdated": _iso(c["issued"]), "Type": "AWS-HMAC",
                    "AccessKeyId": c["access_key_id"], "SecretAccessKey": c["secret"],
                    "Token": c["token"], "Expiration": _iso(c["expires"])}
            return _text(200, json.dumps(body, indent=2))
    return _not_found()



