#!/usr/bin/python3
"""The fleet's CloudFormation template, packaging/cloudformation/ssrfguard-fleet.yaml.

Read as CloudFormation reads it (the short-form tags !Ref, !GetAtt, !Sub, !If
... turned into their long forms), then:
  - every Ref, GetAtt, Sub variable and condition names something the template
    (or CloudFormation's pseudo parameters) defines;
  - every IAM action of every policy exists in botocore's service models;
  - the roles' policies are docs/iam-policy.json (responder),
    docs/iam-policy-detector.json and docs/iam-policy-forensics.json statement
    by statement, the DynamoDB actions those docs/fleet.md lists for the state
    table, and the table has its key schema;
  - the EventBridge rule sends exactly the GuardDuty types whose default action
    is contain or observe (lib/playbook/guardduty.c) to the queue, the queue
    policy lets that rule (and only it) send, and the queue redrives to its
    dead-letter queue;
  - cfn-lint, where the machine has it, finds nothing.
Then the queue, dead-letter queue, queue policy, rule and table are created on
the AWS emulator from the template's own properties; GuardDuty findings in
their documented shape go through the rule to `ssrfguard respond --queue`, a
poison message ends in the dead-letter queue after MaxReceiveCount receives,
and every AWS call the responder and a detector made is one their roles'
policies allow.

usage: test_cloudformation.py SSRFGUARD"""
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import botocore.session
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

binary = sys.argv[1]
ROOT = h.ROOT
TEMPLATE = os.path.join(ROOT, "packaging", "cloudformation", "ssrfguard-fleet.yaml")
PSEUDO = {"AWS::AccountId": "123456789012", "AWS::Region": "us-east-1", "AWS::Partition": "aws",
          "AWS::StackName": "ssrfguard-fleet", "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": None}
# GetAtt attributes each resource type has (CloudFormation resource reference, "Return values")
ATTRS = {"AWS::SQS::Queue": {"Arn", "QueueName", "QueueUrl"}, "AWS::Events::Rule": {"Arn"},
         "AWS::DynamoDB::Table": {"Arn", "StreamArn"}, "AWS::IAM::Role": {"Arn", "RoleId"},
         "AWS::IAM::InstanceProfile": {"Arn"}, "AWS::IAM::ManagedPolicy": {"PolicyArn"},
         "AWS::SQS::QueuePolicy": {"Id"}}
# IAM actions that authorize something other than one API operation of the
# same name (service authorization reference)
PERMISSION_ONLY = {"iam:PassRole",              # checked when a role is handed to a service
                   "dynamodb:ConditionCheckItem"}  # a TransactWriteItems ConditionCheck
SERVICES = ["ec2", "autoscaling", "elb", "elbv2", "iam", "ssm", "sts", "sqs", "sns", "s3", "kms",
            "dynamodb", "events"]


# ---------------------------------------------------------------- reading

class CfnLoader(yaml.SafeLoader):
    pass


def _short_form(long_name):
    def construct(loader, node):
        if isinstance(node, yaml.ScalarNode):
            v = loader.construct_scalar(node)
            if long_name == "Fn::GetAtt":
                v = v.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            v = loader.construct_sequence(node, deep=True)
        else:
            v = loader.construct_mapping(node, deep=True)
        return {long_name: v}
    return construct


for _tag in ["GetAtt", "Sub", "If", "Equals", "Not", "And", "Or", "Join", "Select", "Split", "Base64",
             "GetAZs", "ImportValue", "FindInMap", "Cidr"]:
    CfnLoader.add_constructor("!" + _tag, _short_form("Fn::" + _tag))
CfnLoader.add_constructor("!Ref", _short_form("Ref"))
CfnLoader.add_constructor("!Condition", _short_form("Condition"))

tpl = yaml.load(open(TEMPLATE), Loader=CfnLoader)
params, resources = tpl.get("Parameters", {}), tpl.get("Resources", {})
conditions = tpl.get("Conditions", {})


def walk(node, fn):
    fn(node)
    if isinstance(node, dict):
        for v in node.values():
            walk(v, fn)
    elif isinstance(node, list):
        for v in node:
            walk(v, fn)


def check_refs(node):
    if not isinstance(node, dict) or len(node) != 1:
        return
    (k, v), = node.items()
    if k == "Ref":
        h.check(v in params or v in resources or v in PSEUDO, f"Ref {v} names nothing")
    elif k == "Fn::GetAtt":
        r, attr = v
        h.check(r in resources, f"GetAtt {r}.{attr}: no such resource")
        if r in resources:
            h.check(attr in ATTRS.get(resources[r]["Type"], set()), f"GetAtt {r}.{attr}: no such attribute")
    elif k == "Fn::Sub":
        text, extra = (v, {}) if isinstance(v, str) else (v[0], v[1])
        for name in re.findall(r"\$\{([^!}][^}]*)\}", text):
            base = name.split(".", 1)[0]
            h.check(name in extra or name in params or name in PSEUDO or base in resources,
                    f"Sub ${{{name}}} names nothing")
    elif k == "Fn::If":
        h.check(v[0] in conditions, f"If {v[0]}: no such condition")


walk(tpl, check_refs)
for name, r in resources.items():
    h.check(r.get("Type") in ATTRS, f"{name}: a resource type this test knows ({r.get('Type')})")


# ------------------------------------------------- policies and their actions

session = botocore.session.get_session()
OPS = {}
for svc in SERVICES:
    m = session.get_service_model(svc)
    prefix = m.metadata.get("signingName") or m.metadata["endpointPrefix"]
    OPS.setdefault(prefix, set()).update(m.operation_names)


def statements(doc):
    """A policy document's statements, both branches of a Fn::If."""
    out = []
    for s in doc.get("Statement", []):
        if isinstance(s, dict) and "Fn::If" in s:
            out += [b for b in s["Fn::If"][1:] if isinstance(b, dict) and "Ref" not in b]
        else:
            out.append(s)
    return out


def actions(stmt):
    a = stmt.get("Action", [])
    return {a} if isinstance(a, str) else set(a)


def action_exists(action):
    if action in PERMISSION_ONLY:
        return True
    prefix, _, name = action.partition(":")
    return prefix in OPS and any(fnmatch.fnmatchcase(op, name) for op in OPS[prefix])


docs_of = {}
for name, r in resources.items():
    props = r.get("Properties", {})
    docs = [props.get(k) for k in ("PolicyDocument", "AssumeRolePolicyDocument") if props.get(k)]
    docs += [p["PolicyDocument"] for p in props.get("Policies", []) if isinstance(p, dict) and "PolicyDocument" in p]
    docs += [b["PolicyDocument"] for p in props.get("Policies", []) if isinstance(p, dict) and "Fn::If" in p
             for b in p["Fn::If"][1:] if isinstance(b, dict) and "PolicyDocument" in b]
    docs_of[name] = docs
    for d in docs:
        for s in statements(d):
            for a in actions(s):
                h.check(action_exists(a), f"{name}: {a} is an action of botocore's {a.split(':')[0]} model")

# a test of the test: a misspelt action is caught
h.check(not action_exists("ec2:CreateTagz") and not action_exists("sqs:Send*Batchz"), "bad actions are refused")


def by_sid(doc):
    return {s.get("Sid"): s for s in statements(doc)}


# statements of the docs the template leaves out on purpose
OMITTED = {"CreateTheStateTableOnFirstUseOptional": "the template creates the table itself"}


def same_actions(resource, docfile, extra=()):
    want = by_sid(json.load(open(os.path.join(ROOT, "docs", docfile))))
    have = by_sid(resources[resource]["Properties"]["PolicyDocument"])
    for sid, s in want.items():
        if sid in OMITTED and sid not in have:
            continue
        h.check(sid in have and actions(have[sid]) == actions(s),
                f"{resource} {sid}: the actions of docs/{docfile} "
                f"(missing {sorted(actions(s) - actions(have.get(sid, {})))}, "
                f"extra {sorted(actions(have.get(sid, {})) - actions(s))})")
    for sid in have:
        h.check(sid in want or sid in extra, f"{resource} {sid}: in docs/{docfile} too")
    return have


responder = same_actions("ResponderPolicy", "iam-policy.json", extra={"SharedStateInDynamoDBOptional"})
detector = same_actions("DetectorPolicy", "iam-policy-detector.json")
same_actions("ForensicPolicy", "iam-policy-forensics.json")

# DynamoDB: what docs/fleet.md's state table section lists (its Permissions
# paragraph; CreateTable only where ssrfguard may create the table)
fleet_md = open(os.path.join(ROOT, "docs", "fleet.md")).read()
perm = re.search(r"\*\*Permissions\*\*(.*?)\n\n", fleet_md, re.S)
ddb_doc = set(re.findall(r"dynamodb:(\w+)", perm.group(1))) if perm else set()
if perm:
    ddb_doc |= set(re.findall(r"`(GetItem|PutItem|UpdateItem|DeleteItem|Query|ConditionCheckItem|"
                              r"DescribeTable)`", perm.group(1)))
    ddb_doc.discard("CreateTable")
for who, pol in (("responder", responder), ("detector", detector)):
    s = pol.get("SharedStateInDynamoDBOptional", {})
    have = {a.split(":")[1] for a in actions(s)}
    h.check(not perm or have == ddb_doc, f"{who}'s DynamoDB actions are docs/fleet.md's: {have} vs {ddb_doc}")
    want = {"Fn::GetAtt": ["StateTable", "Arn"]}
    if who == "responder":   # and the claim search's index
        want = [want, {"Fn::Sub": "${StateTable.Arn}/index/claimable"}]
    h.check(s.get("Resource") == want, f"{who}'s DynamoDB: the table only (and its claim index): {s.get('Resource')}")
for who, pol, sid in (("responder", responder, "TakeIncidentsFromTheQueueOptional"),
                      ("detector", detector, "PutIncidentsOnTheQueue")):
    h.check(pol[sid].get("Resource") == {"Fn::GetAtt": ["IncidentQueue", "Arn"]}, f"{who}'s SQS: the queue only")
h.check(responder["RevokeStolenSessionsOfTheInstanceRole"]["Resource"] == {"Fn::GetAtt": ["DetectorRole", "Arn"]},
        "the responder revokes sessions of the detectors' role only")

# the state table's key schema (docs/fleet.md, [table-schema])
table = resources["StateTable"]["Properties"]
h.check(table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                               {"AttributeName": "sk", "KeyType": "RANGE"}]
        and {(a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]}
        == {("pk", "S"), ("sk", "S"), ("claimable", "S")}, "state table: pk (S) HASH, sk (S) RANGE")
gsi = table.get("GlobalSecondaryIndexes") or [{}]
h.check(len(gsi) == 1 and gsi[0].get("IndexName") == "claimable"
        and gsi[0].get("KeySchema") == [{"AttributeName": "claimable", "KeyType": "HASH"},
                                        {"AttributeName": "sk", "KeyType": "RANGE"}]
        and gsi[0].get("Projection") == {"ProjectionType": "INCLUDE",
                                         "NonKeyAttributes": ["id", "state", "lease_until_ms"]},
        f"state table: the claim index as ssrfguard makes it: {gsi}")
if "Key schema" in fleet_md:
    h.check("`pk` (String, partition key) and `sk` (String, sort key)" in fleet_md,
            "docs/fleet.md's key schema is the template's")

# the rule: the types the responder contains or observes by default, to the queue
src = open(os.path.join(ROOT, "lib", "playbook", "guardduty.c")).read()
rows = re.findall(r'(?:DETAILS|SESSION)\("([^"]+)", (CONTAIN|OBSERVE|IGNORE)\)', src)
acted_on = {t for t, a in rows if a != "IGNORE"}
h.check(len(rows) > 60, f"the type table read from guardduty.c ({len(rows)} rows)")
rule = resources["GuardDutyFindingsRule"]["Properties"]
pattern = rule["EventPattern"]
h.check(set(pattern["detail"]["type"]) == acted_on,
        f"the rule's types are those contained or observed by default: "
        f"missing {sorted(acted_on - set(pattern['detail']['type']))}, "
        f"extra {sorted(set(pattern['detail']['type']) - acted_on)}")
limit = session.get_service_model("events").operation_model("PutRule").input_shape.members["EventPattern"]
h.check(len(json.dumps(pattern, separators=(",", ":"))) <= limit.metadata["max"],
        f"the pattern fits PutRule's EventPattern ({limit.metadata['max']} characters)")
h.check(rule["Targets"] == [{"Id": "incidents", "Arn": {"Fn::GetAtt": ["IncidentQueue", "Arn"]}}],
        "the rule's one target is the queue")
qpol = by_sid(resources["IncidentQueuePolicy"]["Properties"]["PolicyDocument"])
ev = qpol.get("EventBridgeSendsGuardDutyFindings", {})
h.check(ev.get("Principal") == {"Service": "events.amazonaws.com"} and actions(ev) == {"sqs:SendMessage"}
        and ev.get("Condition") == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["GuardDutyFindingsRule", "Arn"]}}},
        "the queue policy lets EventBridge send for this rule only")
queue = resources["IncidentQueue"]["Properties"]
h.check(queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["IncidentDeadLetterQueue", "Arn"]},
        "the queue redrives to its dead-letter queue")
h.check(int(queue["VisibilityTimeout"]) >= 120, "the queue hides a message as long as the intake does")

lint = shutil.which("cfn-lint") or ("/root/.pyenv/shims/cfn-lint" if os.path.exists("/root/.pyenv/shims/cfn-lint")
                                    else None)
if lint:
    p = subprocess.run([lint, TEMPLATE], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    h.check(p.returncode == 0, f"cfn-lint: {p.stdout[-2000:]}")
    print("cfn-lint: " + ("clean" if p.returncode == 0 else "errors"))
else:
    print("cfn-lint: not on this machine (the checks above still ran)")


# ------------------------------------------------------ on the emulator

def resolve(node, phys):
    """The template's values with its defaults, as CloudFormation would."""
    if isinstance(node, list):
        return [x for x in (resolve(v, phys) for v in node) if x is not None]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        (k, v), = node.items()
        if k == "Ref":
            if v in params:
                return str(params[v].get("Default", ""))
            return phys.get(v, {}).get("Ref") if v in resources else PSEUDO[v]
        if k == "Fn::GetAtt":
            return phys[v[0]][v[1]]
        if k == "Fn::Sub":
            text = v if isinstance(v, str) else v[0]
            return re.sub(r"\$\{([^}]+)\}", lambda m: str(resolve({"Ref": m.group(1)}, phys)), text)
        if k == "Fn::If":
            return resolve(v[1] if cond(v[0]) else v[2], phys)
    return {k: x for k, x in ((k, resolve(v, phys)) for k, v in node.items()) if x is not None}


def cond(name):
    c = conditions[name]
    (k, v), = c.items()
    if k == "Fn::Not":
        (k2, v2), = v[0].items()
        return not (resolve(v2[0], {}) == resolve(v2[1], {}))
    raise ValueError(k)


emu = h.Emulator()
work = tempfile.mkdtemp(prefix="rsp-cfn-")
procs = []
try:
    env = emu.env()
    # the operator deploys with a key of its own, so that the journal tells
    # the responder's and the detector's calls from the deployment's
    emu.post("/credentials", {"access_key_id": "AKIAOPERATOREXAMPLE1", "secret_access_key": "o" * 40,
                              "arn": "arn:aws:iam::123456789012:user/operator"})
    mk = dict(region_name="us-east-1", endpoint_url=env["AWS_ENDPOINT_URL"],
              aws_access_key_id="AKIAOPERATOREXAMPLE1", aws_secret_access_key="o" * 40)
    sqs, events, ddb = (session.create_client(s, **mk) for s in ("sqs", "events", "dynamodb"))
    phys = {}
    ATTR_NAMES = {"VisibilityTimeout", "ReceiveMessageWaitTimeSeconds", "MessageRetentionPeriod",
                  "SqsManagedSseEnabled"}

    def make_queue(name):
        props = resolve(resources[name]["Properties"], phys)
        attrs = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in props.items() if k in ATTR_NAMES}
        if "RedrivePolicy" in props:
            attrs["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        url = sqs.create_queue(QueueName=props["QueueName"], Attributes=attrs)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        phys[name] = {"Ref": url, "Arn": arn, "QueueUrl": url, "QueueName": props["QueueName"]}

    make_queue("IncidentDeadLetterQueue")
    make_queue("IncidentQueue")
    rp = resolve(rule, phys)
    rule_arn = events.put_rule(Name=rp["Name"], EventPattern=json.dumps(rp["EventPattern"]), State=rp["State"],
                               Description=rp["Description"])["RuleArn"]
    phys["GuardDutyFindingsRule"] = {"Ref": rp["Name"], "Arn": rule_arn}
    events.put_targets(Rule=rp["Name"], Targets=resolve(rule["Targets"], phys))
    qp = resolve(resources["IncidentQueuePolicy"]["Properties"], phys)
    for url in qp["Queues"]:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(qp["PolicyDocument"])})
    tp = resolve(table, phys)
    ddb.create_table(**{k: tp[k] for k in ("TableName", "BillingMode", "AttributeDefinitions", "KeySchema",
                                           "GlobalSecondaryIndexes")})
    h.check(ddb.describe_table(TableName=tp["TableName"])["Table"]["KeySchema"] == table["KeySchema"],
            "the table exists with its key schema")
    QUEUE, QNAME = phys["IncidentQueue"]["Ref"], phys["IncidentQueue"]["QueueName"]
    DLQNAME = phys["IncidentDeadLetterQueue"]["QueueName"]

    def depth(name):
        return len(emu.state()["sqs"][name]["messages"])

    wait = h.wait

    # GuardDuty's findings, in their documented shape, through the rule
    samples = sorted(os.listdir(os.path.join(ROOT, "tests", "data", "guardduty")))
    sent = 0
    for f in samples:
        if not f.endswith(".json"):
            continue
        ev_ = json.load(open(os.path.join(ROOT, "tests", "data", "guardduty", f)))
        emu.post("/events", {"Source": ev_["source"], "DetailType": ev_["detail-type"],
                             "Detail": json.dumps(ev_["detail"])})
        sent += ev_["detail"]["type"] in acted_on
    h.check(sent >= 5 and wait(lambda: depth(QNAME) == sent, 5),
            f"the rule put the {sent} acted-on findings on the queue, not the probe: {depth(QNAME)}")

    # the responder takes them (observe: nothing changes on AWS in this test)
    store = os.path.join(work, "responder.db")
    rlog = os.path.join(work, "rsp.log")
    rsp = subprocess.Popen([binary, "respond", "--store", store, "--queue", QUEUE, "--observe", "-q",
                            "--poll-ms", "50"], env=env, stdout=subprocess.DEVNULL, stderr=open(rlog, "w"))
    procs.append(rsp)
    h.check(wait(lambda: depth(QNAME) == 0, 30), f"the responder took them: {open(rlog).read()[-800:]}")
    out = subprocess.run([binary, "incidents", "--store", store, "list", "--json"], stdout=subprocess.PIPE,
                         text=True, env=env).stdout
    lst = json.loads(out) if out.strip() else []
    h.check(sorted(i["instance"] for i in lst) == ["i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002"],
            f"one incident per instance: {lst}")
    # poison: refused each time, moved by the template's redrive policy
    sqs.send_message(QueueUrl=QUEUE, MessageBody="{\"not\": \"an incident\"}")
    h.check(wait(lambda: depth(DLQNAME) == 1 and depth(QNAME) == 0, 40),
            f"poison in the dead-letter queue after {params['MaxReceiveCount']['Default']} receives: "
            f"{open(rlog).read()[-600:]}")
    h.check(open(rlog).read().count("left to the dead-letter policy") == int(params["MaxReceiveCount"]["Default"]),
            "refused once per receive")
    rsp.terminate()
    h.check(rsp.wait(timeout=40) == 0, "the responder stops cleanly")

    # the playbook, and a detector with its own key: every call allowed
    emu.post("/credentials", {"access_key_id": "AKIADETECTOREXAMPLE1", "secret_access_key": "d" * 40,
                              "arn": "arn:aws:sts::123456789012:assumed-role/ssrfguard-detector/i-0a1b2c3d4e5f60001"})
    p = h.respond(binary, emu, work, "--instance", h.VICTIM, "--sns-topic",
                  "arn:aws:sns:us-east-1:123456789012:ssrfguard-incidents")
    h.check(p.returncode == 0, f"the playbook ran: {p.stderr[-800:]}")
    dstore = os.path.join(work, "detector.db")
    subprocess.run([binary, "incidents", "--store", dstore, "open", "i-0a1b2c3d4e5f60002"], env=env,
                   stdout=subprocess.DEVNULL, check=True)
    denv = dict(env, AWS_ACCESS_KEY_ID="AKIADETECTOREXAMPLE1", AWS_SECRET_ACCESS_KEY="d" * 40)
    p = subprocess.run([binary, "respond", "--store", dstore, "--deliver-to", QUEUE, "--detector", "web-2",
                        "--once"], env=denv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    h.check(p.returncode == 0 and "SQS message" in p.stderr, f"the detector delivered: {p.stderr}")

    def allowed(pol_resource, action):
        for s in statements(resources[pol_resource]["Properties"]["PolicyDocument"]):
            if s.get("Effect") == "Allow" and any(fnmatch.fnmatchcase(action, a) for a in actions(s)):
                return True
        return False

    NO_PERMISSION = {"sts:GetCallerIdentity"}   # works even under an explicit deny
    PERMISSION_OF = {"s3:HeadObject": "s3:GetObject"}
    prefix_of = {}
    for svc in SERVICES:
        m = session.get_service_model(svc)
        prefix_of[m.metadata["endpointPrefix"]] = m.metadata.get("signingName") or m.metadata["endpointPrefix"]
        prefix_of[svc] = prefix_of[m.metadata["endpointPrefix"]]
    seen = {"responder": set(), "detector": set()}
    for c in emu.journal():
        who = {env["AWS_ACCESS_KEY_ID"]: "responder", "AKIADETECTOREXAMPLE1": "detector"}.get(c.get("access_key"))
        if not who or not c.get("action"):
            continue
        a = f"{prefix_of.get(c['service'], c['service'])}:{c['action']}"
        a = PERMISSION_OF.get(a, a)
        if a not in NO_PERMISSION:
            seen[who].add(a)
    h.check(len(seen["responder"]) > 25 and "sqs:ReceiveMessage" in seen["responder"],
            f"the journal holds the responder's calls ({len(seen['responder'])})")
    for a in sorted(seen["responder"]):
        h.check(allowed("ResponderPolicy", a), f"the responder's policy allows {a}, which it called")
    h.check(seen["detector"] == {"sqs:SendMessage"}, f"the detector called SendMessage only: {seen['detector']}")
    for a in sorted(seen["detector"]):
        h.check(allowed("DetectorPolicy", a), f"the detector's policy allows {a}")
finally:
    for p_ in procs:
        if p_.poll() is None:
            p_.kill()
    emu.stop()
    shutil.rmtree(work, ignore_errors=True)
h.finish("fleet-cloudformation")
