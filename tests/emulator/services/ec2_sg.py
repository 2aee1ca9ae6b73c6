"""EC2 security groups: rules kept flat (one per protocol/ports/peer, each
with its sgr- id) and regrouped into IpPermissions on output; create (AWS's
default egress), delete, describe, authorize/revoke by permissions or rule ids,
DescribeSecurityGroupRules.

From the EC2 API reference (CreateSecurityGroup: a new group "has no inbound
rules" and one outbound rule allowing all IPv4 traffic,
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html;
AuthorizeSecurityGroupIngress/Egress: a rule that exists already is
InvalidPermission.Duplicate; RevokeSecurityGroupEgress of a rule that does
not exist is InvalidPermission.NotFound,
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupEgress.html;
DeleteSecurityGroup of a group in use is DependencyViolation) and the VPC
user guide, "Security group rules" (the default group's rules,
https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html)."""
import ipaddress
import sys

from errors import ApiError
from services import op, register
from services.ec2 import _listing, _max_results, _tag_specs, check_id, get, st
from world import apply_filters, paginate, tags_list
from wire import project, shape_of

register(sys.modules[__name__])


def _vpc_has_ipv6(world, vid):
    v = st(world)["vpcs"].get(vid)
    return bool(v and v.get("Ipv6CidrBlockAssociationSet"))


def add_sg(world, spec, is_default=False):
    s = st(world)
    gid = spec.get("GroupId") or world.new_id("sg")
    check_id(gid, "sg")
    vid = spec.get("VpcId")
    g = {"GroupId": gid, "GroupName": spec["GroupName"], "Description": spec.get("Description", spec["GroupName"]),
         "VpcId": vid, "OwnerId": world.account_id, "Tags": tags_list(spec.get("Tags")), "_rules": []}
    if "IpPermissionsEgress" in spec:
        for perm in spec["IpPermissionsEgress"]:
            _add_rules(world, g, _flatten(world, perm, "egress", g))
    else:
        # AWS: a new group allows all IPv4 egress; only a VPC's *default*
        # group also gets ::/0 (when the VPC has an IPv6 block).
        _add_rules(world, g, [_rule("egress", "-1", None, None, "cidr", "0.0.0.0/0")])
        if is_default and _vpc_has_ipv6(world, vid):
            _add_rules(world, g, [_rule("egress", "-1", None, None, "cidr6", "::/0")])
    for perm in spec.get("IpPermissions") or []:
        _add_rules(world, g, _flatten(world, perm, "ingress", g))
    if is_default and "IpPermissions" not in spec:
        _add_rules(world, g, [_rule("ingress", "-1", None, None, "group", gid)])
    s["sgs"][gid] = g
    return g


# ------------------------------------------------------ security group rules

def _add_rules(world, g, rules):
    for r in rules:
        r["id"] = world.new_id("sgr")
    g["_rules"].extend(rules)


def _rule_out(g, r):
    """One rule as a SecurityGroupRule (DescribeSecurityGroupRules, Authorize*)."""
    out = {"SecurityGroupRuleId": r["id"], "GroupId": g["GroupId"], "GroupOwnerId": g["OwnerId"],
           "IsEgress": r["dir"] == "egress", "IpProtocol": r["proto"],
           "FromPort": r["from"] if r["from"] is not None else -1,
           "ToPort": r["to"] if r["to"] is not None else -1, "Tags": []}
    if r["kind"] == "cidr":
        out["CidrIpv4"] = r["value"]
    elif r["kind"] == "cidr6":
        out["CidrIpv6"] = r["value"]
    elif r["kind"] == "pl":
        out["PrefixListId"] = r["value"]
    else:
        out["ReferencedGroupInfo"] = {"GroupId": r["value"], "UserId": g["OwnerId"]}
    if r["desc"]:
        out["Description"] = r["desc"]
    return out


def _rule(direction, proto, lo, hi, kind, value, desc=None):
    return {"dir": direction, "proto": proto, "from": lo, "to": hi, "kind": kind, "value": value, "desc": desc}


def _norm_proto(p):
    p = str(p).lower()
    return {"all": "-1", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}.get(p, p)


def _flatten(world, perm, direction, group):
    proto = _norm_proto(perm.get("IpProtocol", "-1"))
    if proto not in ("-1", "tcp", "udp", "icmp", "icmpv6") and not proto.isdigit():
        raise ApiError("InvalidParameterValue", f"Invalid value '{proto}' for IP protocol. Unknown protocol.")
    lo, hi = perm.get("FromPort"), perm.get("ToPort")
    if proto in ("tcp", "udp"):
        if lo is None or hi is None:
            raise ApiError("InvalidParameterValue", "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange.")
        if not (0 <= lo <= hi <= 65535):
            raise ApiError("InvalidParameterValue", "Invalid value for portRange. Must specify both from and to ports with TCP/UDP.")
    if proto == "-1":
        lo = hi = None
    out = []
    for r in perm.get("IpRanges") or []:
        try:
            ipaddress.IPv4Network(r["CidrIp"])
        except (KeyError, ValueError):
            raise ApiError("InvalidParameterValue", f"CIDR block {r.get('CidrIp')} is malformed")
        out.append(_rule(direction, proto, lo, hi, "cidr", r["CidrIp"], r.get("Description")))
    for r in perm.get("Ipv6Ranges") or []:
        try:
            ipaddress.IPv6Network(r["CidrIpv6"])
        except (KeyError, ValueError):
            raise ApiError("InvalidParameterValue", f"CIDR block {r.get('CidrIpv6')} is malformed")
        out.append(_rule(direction, proto, lo, hi, "cidr6", r["CidrIpv6"], r.get("Description")))
    for r in perm.get("UserIdGroupPairs") or []:
        gid = r.get("GroupId")
        if gid is None:
            raise ApiError("MissingParameter", "The request must contain the parameter groupId")
        get(world, "sg", gid, explicit=False)
        out.append(_rule(direction, proto, lo, hi, "group", gid, r.get("Description")))
    for r in perm.get("PrefixListIds") or []:
        out.append(_rule(direction, proto, lo, hi, "pl", r["PrefixListId"], r.get("Description")))
    if not out:
        raise ApiError("InvalidParameterValue", "The request must contain at least one source or destination")
    return out


def _same(a, b):
    return all(a[k] == b[k] for k in ("dir", "proto", "from", "to", "kind", "value"))


def _perms(g, direction):
    groups = {}
    for r in g["_rules"]:
        if r["dir"] != direction:
            continue
        key = (r["proto"], r["from"], r["to"])
        p = groups.get(key)
        if p is None:
            p = {"IpProtocol": r["proto"], "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [],
                 "UserIdGroupPairs": []}
            if r["from"] is not None:
                p["FromPort"], p["ToPort"] = r["from"], r["to"]
            groups[key] = p
        d = {"Description": r["desc"]} if r["desc"] else {}
        if r["kind"] == "cidr":
            p["IpRanges"].append({"CidrIp": r["value"], **d})
        elif r["kind"] == "cidr6":
            p["Ipv6Ranges"].append({"CidrIpv6": r["value"], **d})
        elif r["kind"] == "group":
            p["UserIdGroupPairs"].append({"GroupId": r["value"], "UserId": g["OwnerId"], **d})
        else:
            p["PrefixListIds"].append({"PrefixListId": r["value"], **d})
    return list(groups.values())


def _sg_out(g):
    out = {k: v for k, v in g.items() if not k.startswith("_")}
    out["IpPermissions"] = _perms(g, "ingress")
    out["IpPermissionsEgress"] = _perms(g, "egress")
    return out


def _perm_list(p):
    perms = list(p.get("IpPermissions") or [])
    if p.get("CidrIp") or p.get("SourceSecurityGroupName") or p.get("IpProtocol"):
        perms.append({"IpProtocol": p.get("IpProtocol", "-1"), "FromPort": p.get("FromPort"),
                      "ToPort": p.get("ToPort"),
                      "IpRanges": [{"CidrIp": p["CidrIp"]}] if p.get("CidrIp") else []})
    if not perms:
        raise ApiError("MissingParameter", "The request must contain the parameter ipPermissions")
    return perms


def _authorize(ctx, p, direction):
    g = get(ctx.world, "sg", p["GroupId"]) if p.get("GroupId") else _sg_by_name(ctx.world, p.get("GroupName"))
    new = []
    for perm in _perm_list(p):
        new.extend(_flatten(ctx.world, perm, direction, g))
    for r in new:
        if any(_same(r, o) for o in g["_rules"]) or sum(_same(r, o) for o in new) > 1:
            what = r["value"]
            raise ApiError("InvalidPermission.Duplicate",
                           f"the specified rule \"peer: {what}, {r['proto'].upper()}, ALLOW\" already exists")
    _add_rules(ctx.world, g, new)
    return {"Return": True, "SecurityGroupRules": [_rule_out(g, r) for r in new]}


def _revoke(ctx, p, direction):
    g = get(ctx.world, "sg", p["GroupId"]) if p.get("GroupId") else _sg_by_name(ctx.world, p.get("GroupName"))
    if p.get("SecurityGroupRuleIds"):
        if p.get("IpPermissions"):
            raise ApiError("InvalidParameterCombination",
                           "SecurityGroupRuleIds cannot be used with IpPermissions")
        for rid in p["SecurityGroupRuleIds"]:
            if not any(r["id"] == rid and r["dir"] == direction for r in g["_rules"]):
                raise ApiError("InvalidSecurityGroupRuleId.NotFound",
                               f"The security group rule ID '{rid}' does not exist")
        g["_rules"] = [r for r in g["_rules"] if r["id"] not in p["SecurityGroupRuleIds"]]
        return {"Return": True}
    gone, unknown = [], []
    default_vpc = (st(ctx.world)["vpcs"].get(g["VpcId"]) or {}).get("IsDefault", False)
    for perm in _perm_list(p):
        for r in _flatten(ctx.world, perm, direction, g):
            match = [o for o in g["_rules"] if _same(r, o)]
            if not match:
                # AWS: an error in a non-default VPC; in a default VPC no
                # error, and the rules not revoked are listed in the reply
                if not default_vpc:
                    raise ApiError("InvalidPermission.NotFound",
                                   "The specified rule does not exist in this security group.")
                unknown.append(r)
            gone.extend(match)
    g["_rules"] = [o for o in g["_rules"] if not any(o is x for x in gone)]
    out = {"Return": True}
    if unknown:
        out["UnknownIpPermissions"] = _perms({"_rules": unknown, "OwnerId": g["OwnerId"]}, direction)
    return out


def _sg_by_name(world, name):
    if not name:
        raise ApiError("MissingParameter", "The request must contain the parameter groupId")
    for g in st(world)["sgs"].values():
        if g["GroupName"] == name:
            return g
    raise ApiError("InvalidGroup.NotFound", f"The security group '{name}' does not exist in default VPC")


# AWS: EC2 API reference, AuthorizeSecurityGroupIngress: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html
@op("ec2", "AuthorizeSecurityGroupIngress")
def authorize_ingress(ctx, p):
    return _authorize(ctx, p, "ingress")


# AWS: EC2 API reference, AuthorizeSecurityGroupEgress: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupEgress.html
@op("ec2", "AuthorizeSecurityGroupEgress")
def authorize_egress(ctx, p):
    return _authorize(ctx, p, "egress")


# AWS: EC2 API reference, RevokeSecurityGroupIngress: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupIngress.html
@op("ec2", "RevokeSecurityGroupIngress")
def revoke_ingress(ctx, p):
    return _revoke(ctx, p, "ingress")


# AWS: EC2 API reference, RevokeSecurityGroupEgress: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupEgress.html
@op("ec2", "RevokeSecurityGroupEgress")
def revoke_egress(ctx, p):
    return _revoke(ctx, p, "egress")


# AWS: EC2 API reference, CreateSecurityGroup: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html
@op("ec2", "CreateSecurityGroup")
def create_security_group(ctx, p):
    w = ctx.world
    vid = p.get("VpcId")
    if vid is None:
        vid = next((v["VpcId"] for v in st(w)["vpcs"].values() if v.get("IsDefault")), None)
        if vid is None:
            raise ApiError("VPCIdNotSpecified", "No default VPC for this user")
    get(w, "vpc", vid, explicit=False)
    name = p["GroupName"]
    if name.lower().startswith("sg-"):
        raise ApiError("InvalidParameterValue", "Group names may not be in the format sg-*.")
    for g in st(w)["sgs"].values():
        if g["VpcId"] == vid and g["GroupName"] == name:
            raise ApiError("InvalidGroup.Duplicate", f"The security group '{name}' already exists for VPC '{vid}'")
    tags = _tag_specs(p, "security-group")
    g = add_sg(w, {"GroupName": name, "Description": p["Description"], "VpcId": vid, "Tags": tags})
    w.created(g["GroupId"])
    out = {"GroupId": g["GroupId"]}
    if tags:
        out["Tags"] = tags
    return out


# AWS: EC2 API reference, DeleteSecurityGroup: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html
@op("ec2", "DeleteSecurityGroup")
def delete_security_group(ctx, p):
    w = ctx.world
    g = get(w, "sg", p["GroupId"]) if p.get("GroupId") else _sg_by_name(w, p.get("GroupName"))
    if g["GroupName"] == "default":
        raise ApiError("CannotDelete", f"the specified group: \"{g['GroupId']}\" name: \"default\" cannot be deleted by a user")
    for e in st(w)["enis"].values():
        if any(x["GroupId"] == g["GroupId"] for x in e["Groups"]):
            raise ApiError("DependencyViolation", f"resource {g['GroupId']} has a dependent object")
    del st(w)["sgs"][g["GroupId"]]
    return {"Return": True, "GroupId": g["GroupId"]}


_SG_FILTERS = {
    "group-id": lambda g: g["GroupId"], "group-name": lambda g: g["GroupName"], "vpc-id": lambda g: g["VpcId"],
    "description": lambda g: g["Description"], "owner-id": lambda g: g["OwnerId"],
    "ip-permission.cidr": lambda g: [r["value"] for r in g["_rules"] if r["dir"] == "ingress" and r["kind"] == "cidr"],
    "ip-permission.ipv6-cidr": lambda g: [r["value"] for r in g["_rules"] if r["dir"] == "ingress" and r["kind"] == "cidr6"],
    "egress.ip-permission.cidr": lambda g: [r["value"] for r in g["_rules"] if r["dir"] == "egress" and r["kind"] == "cidr"],
    "egress.ip-permission.ipv6-cidr": lambda g: [r["value"] for r in g["_rules"] if r["dir"] == "egress" and r["kind"] == "cidr6"],
}


# AWS: EC2 API reference, DescribeSecurityGroups: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSecurityGroups.html
@op("ec2", "DescribeSecurityGroups")
def describe_security_groups(ctx, p):
    w = ctx.world
    _max_results(p, "GroupIds")
    items = _listing(w, "sg", p.get("GroupIds"))
    if p.get("GroupNames"):
        items = [g for g in items if g["GroupName"] in p["GroupNames"]]
        missing = set(p["GroupNames"]) - {g["GroupName"] for g in items}
        if missing:
            raise ApiError("InvalidGroup.NotFound", f"The security group '{sorted(missing)[0]}' does not exist in default VPC")
    items = apply_filters(items, p.get("Filters"), _SG_FILTERS)
    page, nxt = paginate(items, p.get("MaxResults"), p.get("NextToken"), 5, 1000)
    shape = shape_of("ec2", "SecurityGroup")
    out = {"SecurityGroups": [project(shape, _sg_out(g)) for g in page]}
    if nxt:
        out["NextToken"] = nxt
    return out


# AWS: EC2 API reference, DescribeSecurityGroupRules: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSecurityGroupRules.html
@op("ec2", "DescribeSecurityGroupRules")
def describe_security_group_rules(ctx, p):
    w = ctx.world
    rows = [(g, r) for g in st(w)["sgs"].values() for r in g["_rules"]]
    if p.get("SecurityGroupRuleIds"):
        want = p["SecurityGroupRuleIds"]
        have = {r["id"] for _, r in rows}
        for rid in want:
            if rid not in have:
                raise ApiError("InvalidSecurityGroupRuleId.NotFound",
                               f"The security group rule ID '{rid}' does not exist")
        rows = [(g, r) for g, r in rows if r["id"] in want]
    items = [_rule_out(g, r) for g, r in rows]
    items = apply_filters(items, p.get("Filters"), {"group-id": lambda x: x["GroupId"],
                                                     "security-group-rule-id": lambda x: x["SecurityGroupRuleId"]})
    page, nxt = paginate(items, p.get("MaxResults"), p.get("NextToken"), 5, 1000)
    out = {"SecurityGroupRules": page}
    if nxt:
        out["NextToken"] = nxt
    return out
