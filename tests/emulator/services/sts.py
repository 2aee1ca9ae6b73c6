"""STS: GetCallerIdentity answers for the credentials that signed the call."""
import sys

from services import op, register

register(sys.modules[__name__])


@op("sts", "GetCallerIdentity")
def get_caller_identity(ctx, p):
    c = ctx.cred
    uid = c["user_id"]
    if c.get("role"):
        uid = f"{uid}:{c.get('session_name', 'session')}"
    return {"UserId": uid, "Account": ctx.world.account_id, "Arn": c["arn"]}
