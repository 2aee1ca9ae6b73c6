"""Service handlers: each module registers (model, operation) -> fn(ctx, params)
and may provide seed(world, scenario) / dump(world) / init(world)."""
HANDLERS = {}
MODULES = []


def op(model_name, name):
    def deco(fn):
        HANDLERS[(model_name, name)] = fn
        return fn
    return deco


def register(mod):
    MODULES.append(mod)


from services import iam, ec2, ec2_ebs, ec2_misc, sts, autoscaling, elbv2, elb, ssm, sns  # noqa: E402,F401
