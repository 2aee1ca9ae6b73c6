"""Service handlers: each module registers (model, operation) -> fn(ctx, params)
and may provide seed(world, scenario) / dump(world) / init(world)."""
import importlib

HANDLERS = {}
MODULES = []


def op(model_name, name):
    def deco(fn):
        HANDLERS[(model_name, name)] = fn
        return fn
    return deco


def register(mod):
    MODULES.append(mod)


# Import order is seeding order: IAM before EC2 (profiles), target groups and
# ELBs before Auto Scaling (a group names its target groups).
for _name in ("iam", "kms", "ec2", "ec2_sg", "ec2_ebs", "ec2_misc", "ec2_types", "ec2_evidence", "disks", "sts", "identity", "elbv2", "elb", "autoscaling", "ssm", "sns", "s3", "sqs", "dynamodb", "events"):
    importlib.import_module("services." + _name)
