"""EC2 tags, IAM instance-profile associations, instance metadata options.

Each from its EC2 API reference page
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/): CreateTags (all or
nothing, 50 tags per resource, aws: keys reserved), DeleteTags, DescribeTags;
AssociateIamInstanceProfile (IncorrectState while another association is
live), DisassociateIamInstanceProfile, ReplaceIamInstanceProfileAssociation
(from an associated association; "you can replace the instance profile of a
running instance", EC2 user guide, "Replace an IAM role",
https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/attach-iam-role.html),
each passing the profile's role (iam:PassRole: services/iam.check_pass_role),
associating/disassociating over attach_seconds; DescribeIamInstanceProfile-
Associations; ModifyInstanceMetadataOptions (a field left out is unchanged;
state pending until applied)."""
import sys

from errors import ApiError
from services import ec2, iam, op, register
from services.ec2 import get, instance, st
from world import apply_filters, clone, paginate, set_tags

register(sys.modules[__name__])

_PREFIX_KIND = {"i": "i", "vol": "vol", "snap": "snap", "sg": "sg", "eni": "eni", "vpc": "vpc", "subnet": "subnet"}


def _resource(w, rid):
    kind = rid.split("-", 1)[0] if isinstance(rid, str) and "-" in rid else None
    if kind not in _PREFIX_KIND:
        raise ApiError("InvalidID", f"The ID '{rid}' is not valid")
    # explicit: a just-created id may not be visible yet (eventual consistency)
    return kind, get(w, kind, rid)


def _tag_field(kind):
    return "TagSet" if kind == "eni" else "Tags"


# AWS: EC2 API reference, CreateTags: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTags.html
@op("ec2", "CreateTags")
def create_tags(ctx, p):
    w = ctx.world
    tags = p["Tags"]
    for t in tags:
        if t["Key"].lower().startswith("aws:"):
            raise ApiError("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
        if len(t["Key"]) > 128 or len(t.get("Value") or "") > 256:
            raise ApiError("InvalidParameterValue", "Tag key or value is too long")
    targets = [_resource(w, rid) for rid in p["Resources"]]
    # All or nothing: a refused CreateTags changes no resource (EC2 API
    # reference, CreateTags,
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTags.html;
    # 50 tags per resource: "Tag restrictions",
    # https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions).
    for kind, r in targets:
        trial = {_tag_field(kind): [dict(t) for t in r.get(_tag_field(kind)) or []]}
        set_tags(trial, tags, _tag_field(kind))
        if len(trial[_tag_field(kind)]) > 50:
            raise ApiError("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.")
    for kind, r in targets:
        set_tags(r, tags, _tag_field(kind))
    return {}


# AWS: EC2 API reference, DeleteTags: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteTags.html
@op("ec2", "DeleteTags")
def delete_tags(ctx, p):
    w = ctx.world
    for rid in p["Resources"]:
        kind, r = _resource(w, rid)
        f = _tag_field(kind)
        for t in p.get("Tags") or []:
            r[f] = [x for x in r.get(f, []) if not (x["Key"] == t["Key"] and (t.get("Value") is None or
                                                                               x["Value"] == t["Value"]))]
        if not p.get("Tags"):
            r[f] = []
    return {}


# AWS: EC2 API reference, DescribeTags: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeTags.html
@op("ec2", "DescribeTags")
def describe_tags(ctx, p):
    w = ctx.world
    rows = []
    s = st(w)
    for kind, table in ec2._TABLE.items():
        for rid, r in s[table].items():
            if r.get("_gone"):
                continue
            for t in r.get(_tag_field(kind)) or []:
                rows.append({"Key": t["Key"], "Value": t["Value"], "ResourceId": rid,
                             "ResourceType": ec2._RTYPE[kind]})
    rows = apply_filters(rows, p.get("Filters"), {
        "resource-id": lambda x: x["ResourceId"], "resource-type": lambda x: x["ResourceType"],
        "key": lambda x: x["Key"], "value": lambda x: x["Value"]}, tag_field="_none")
    page, nxt = paginate(rows, p.get("MaxResults"), p.get("NextToken"), 5, 1000)
    out = {"Tags": page}
    if nxt:
        out["NextToken"] = nxt
    return out


# --------------------------------------------------- instance profiles

def _profile_from(w, spec):
    if spec.get("Arn"):
        p = iam.profile_by_arn(w, spec["Arn"])
        if p is None:
            raise ApiError("InvalidParameterValue",
                           f"Value ({spec['Arn']}) for parameter iamInstanceProfile.arn is invalid. "
                           "Invalid IAM Instance Profile ARN")
        return p
    if spec.get("Name"):
        p = iam.st(w)["profiles"].get(spec["Name"])
        if p is None:
            raise ApiError("InvalidParameterValue",
                           f"Value ({spec['Name']}) for parameter iamInstanceProfile.name is invalid. "
                           "Invalid IAM Instance Profile name")
        return p
    raise ApiError("MissingParameter", "The request must contain the parameter iamInstanceProfile")


def _assoc(w, aid):
    a = st(w)["assocs"].get(aid)
    if a is None or a["State"] == "disassociated":
        raise ApiError("InvalidAssociationID.NotFound", f"The association ID '{aid}' does not exist")
    return a


def _settle(w, a, final):
    def run():
        if final == "disassociated" and a["State"] == "disassociating":
            a["State"] = "disassociated"
        elif final == "associated" and a["State"] == "associating":
            a["State"] = "associated"
    w.at(w.timing["attach_seconds"], run)


# AWS: EC2 API reference, AssociateIamInstanceProfile: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateIamInstanceProfile.html
@op("ec2", "AssociateIamInstanceProfile")
def associate(ctx, p):
    w = ctx.world
    inst = instance(w, p["InstanceId"])
    prof = _profile_from(w, p["IamInstanceProfile"])
    iam.check_pass_role(w, ctx.cred, prof)
    for a in st(w)["assocs"].values():
        if a["InstanceId"] == inst["InstanceId"] and a["State"] in ("associating", "associated", "disassociating"):
            raise ApiError("IncorrectState",
                           f"There is an existing association for instance {inst['InstanceId']}")
    aid = w.new_id("iip-assoc")
    a = {"AssociationId": aid, "InstanceId": inst["InstanceId"], "State": "associating",
         "IamInstanceProfile": {"Arn": prof["Arn"], "Id": prof["InstanceProfileId"]}, "Timestamp": w.now()}
    st(w)["assocs"][aid] = a
    w.created(aid)
    _settle(w, a, "associated")
    return {"IamInstanceProfileAssociation": clone(a)}


# AWS: EC2 API reference, DisassociateIamInstanceProfile: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DisassociateIamInstanceProfile.html
@op("ec2", "DisassociateIamInstanceProfile")
def disassociate(ctx, p):
    w = ctx.world
    a = _assoc(w, p["AssociationId"])
    if a["State"] == "disassociating":
        raise ApiError("IncorrectState", f"Association '{a['AssociationId']}' is already being disassociated")
    a["State"] = "disassociating"
    _settle(w, a, "disassociated")
    return {"IamInstanceProfileAssociation": clone(a)}


# AWS: EC2 API reference, ReplaceIamInstanceProfileAssociation: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ReplaceIamInstanceProfileAssociation.html
@op("ec2", "ReplaceIamInstanceProfileAssociation")
def replace(ctx, p):
    w = ctx.world
    old = _assoc(w, p["AssociationId"])
    if old["State"] != "associated":
        raise ApiError("IncorrectState", f"Association '{old['AssociationId']}' is not in the associated state")
    prof = _profile_from(w, p["IamInstanceProfile"])
    iam.check_pass_role(w, ctx.cred, prof)
    old["State"] = "disassociated"
    aid = w.new_id("iip-assoc")
    a = {"AssociationId": aid, "InstanceId": old["InstanceId"], "State": "associating",
         "IamInstanceProfile": {"Arn": prof["Arn"], "Id": prof["InstanceProfileId"]}, "Timestamp": w.now()}
    st(w)["assocs"][aid] = a
    _settle(w, a, "associated")
    return {"IamInstanceProfileAssociation": clone(a)}


# AWS: EC2 API reference, DescribeIamInstanceProfileAssociations: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeIamInstanceProfileAssociations.html
@op("ec2", "DescribeIamInstanceProfileAssociations")
def describe_assocs(ctx, p):
    w = ctx.world
    if p.get("AssociationIds") and p.get("Filters"):
        raise ApiError("InvalidParameterCombination", "The parameter AssociationIds cannot be used with Filters")
    if p.get("AssociationIds"):
        items = [_assoc(w, a) for a in p["AssociationIds"]]
    else:
        items = [a for a in st(w)["assocs"].values() if a["State"] != "disassociated" and w.visible(a["AssociationId"])]
    items = apply_filters(items, p.get("Filters"), {"instance-id": lambda a: a["InstanceId"],
                                                     "state": lambda a: a["State"]})
    page, nxt = paginate(items, p.get("MaxResults"), p.get("NextToken"), 5, 1000)
    out = {"IamInstanceProfileAssociations": clone(page)}
    if nxt:
        out["NextToken"] = nxt
    return out


# ------------------------------------------------------ metadata options

# AWS: EC2 API reference, ModifyInstanceMetadataOptions: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceMetadataOptions.html
@op("ec2", "ModifyInstanceMetadataOptions")
def modify_metadata_options(ctx, p):
    w = ctx.world
    inst = instance(w, p["InstanceId"])
    mo = inst["MetadataOptions"]
    new = dict(mo)
    for k in ("HttpTokens", "HttpPutResponseHopLimit", "HttpEndpoint", "HttpProtocolIpv6", "InstanceMetadataTags"):
        if p.get(k) is not None:
            new[k] = p[k]
    if new == mo and all(p.get(k) is None for k in ("HttpTokens", "HttpPutResponseHopLimit", "HttpEndpoint",
                                                     "HttpProtocolIpv6", "InstanceMetadataTags")):
        raise ApiError("InvalidParameterCombination", "At least one parameter must be specified")
    if new["HttpTokens"] not in ("optional", "required"):
        raise ApiError("InvalidParameterValue", f"Value ({new['HttpTokens']}) for parameter HttpTokens is invalid.")
    hop = new["HttpPutResponseHopLimit"]
    if hop != -1 and not 1 <= hop <= 64:
        raise ApiError("InvalidParameterValue",
                       f"Value ({hop}) for parameter HttpPutResponseHopLimit is invalid. Must be between 1 and 64.")
    # The reply and Describe* show the new values at once, State "pending";
    # IMDS keeps the old behaviour until the change is applied.  On an
    # instance that is not running the change stays pending until it runs
    # again (botocore ec2 InstanceMetadataOptionsResponse.State: "pending -
    # The metadata options are being updated and the instance is not ready
    # to process metadata traffic with the new selection"; EC2 user guide,
    # "Modify instance metadata options for existing instances",
    # https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-existing-instances.html).
    pending = dict(new)
    pending["State"] = "pending"
    inst["_metadata_effective"] = dict(mo)
    inst["MetadataOptions"] = pending

    def apply():
        if inst["MetadataOptions"] is not pending:
            return
        if inst["State"]["Name"] != "running":
            w.at(max(1.0, w.timing["metadata_seconds"]), apply)     # not before it runs again
            return
        pending["State"] = "applied"
        inst.pop("_metadata_effective", None)
    w.at(w.timing["metadata_seconds"], apply)
    return {"InstanceId": inst["InstanceId"], "InstanceMetadataOptions": clone(pending)}
