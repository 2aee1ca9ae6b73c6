"""DynamoDB (JSON 1.0): tables with a partition key and optional sort key,
conditional writes, and queries on the keys.

Per the DynamoDB API reference (CreateTable, PutItem, GetItem, UpdateItem,
DeleteItem, Query: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/)
and the developer guide: a new table is CREATING, then ACTIVE
(`table_seconds`), and until then ResourceNotFoundException; an item must
carry the key attributes with their declared types; a ConditionExpression
that does not hold is ConditionalCheckFailedException and changes nothing;
Query needs an equality on the partition key and may bound the sort key
(=, <, <=, >, >=, BETWEEN, begins_with), returns items in sort-key order
(ScanIndexForward) with Limit / LastEvaluatedKey paging, FilterExpression
after the key condition.  Expressions: services/ddb_expr.
"""
import json
import sys
import uuid
from decimal import Decimal

from errors import ApiError
from services import ddb_expr, op, register

register(sys.modules[__name__])


def st(world):
    return world.ns.setdefault("dynamodb", {"tables": {}})


def dump(world):
    return {n: {"TableStatus": t["desc"]["TableStatus"], "Items": list(t["items"].values())}
            for n, t in st(world)["tables"].items()}


def seed(world, sc):
    for spec in sc.get("dynamodb_tables") or []:
        t = _create(world, spec)
        t["desc"]["TableStatus"] = "ACTIVE"
        for it in spec.get("Items") or []:
            t["items"][_key_of(t, it)] = it


def _create(w, p):
    name = p["TableName"]
    if name in st(w)["tables"]:
        raise ApiError("ResourceInUseException", f"Table already exists: {name}")
    ks = p["KeySchema"]
    types = {a["AttributeName"]: a["AttributeType"] for a in p["AttributeDefinitions"]}
    hashes = [k for k in ks if k["KeyType"] == "HASH"]
    if len(hashes) != 1 or len(ks) > 2 or any(k["AttributeName"] not in types for k in ks):
        raise ApiError("ValidationException", "One or more parameter values were invalid: invalid KeySchema or "
                       "AttributeDefinitions")
    if set(types) != {k["AttributeName"] for k in ks}:
        raise ApiError("ValidationException", "One or more parameter values were invalid: Number of attributes in "
                       "KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
    desc = {"TableName": name, "KeySchema": ks, "AttributeDefinitions": p["AttributeDefinitions"],
            "TableStatus": "CREATING", "CreationDateTime": w.now(), "ItemCount": 0, "TableSizeBytes": 0,
            "TableArn": f"arn:{w.partition()}:dynamodb:{w.region}:{w.account_id}:table/{name}",
            "TableId": str(uuid.UUID(int=w.rng.getrandbits(128), version=4)),
            "BillingModeSummary": {"BillingMode": p.get("BillingMode") or "PROVISIONED"}}
    t = {"desc": desc, "items": {}, "hash": hashes[0]["AttributeName"], "types": types,
         "range": next((k["AttributeName"] for k in ks if k["KeyType"] == "RANGE"), None)}
    st(w)["tables"][name] = t
    return t


def table(w, name, active=True):
    t = st(w)["tables"].get(name)
    if t is None or (active and t["desc"]["TableStatus"] != "ACTIVE"):
        raise ApiError("ResourceNotFoundException", "Requested resource not found")
    return t


def _key_of(t, item, only_key=False):
    names = [t["hash"]] + ([t["range"]] if t["range"] else [])
    if only_key and set(item) != set(names):
        raise ApiError("ValidationException", "The provided key element does not match the schema")
    for n in names:
        v = item.get(n)
        if v is None:
            raise ApiError("ValidationException", f"One or more parameter values were invalid: Missing the key {n} "
                           "in the item")
        if list(v) != [t["types"][n]]:
            raise ApiError("ValidationException", f"One or more parameter values were invalid: Type mismatch for key "
                           f"{n} expected: {t['types'][n]} actual: {list(v)[0]}")
    return json.dumps([item[n] for n in names], sort_keys=True, default=str)


def _condition(p, ex, current):
    if p.get("ConditionExpression") is not None:
        cond = ex.condition(p["ConditionExpression"])
        ex.check_all_used()
        if not cond(current or {}):
            raise ApiError("ConditionalCheckFailedException", "The conditional request failed")
    else:
        ex.check_all_used()


def _returned(p, old, new, allowed):
    rv = p.get("ReturnValues") or "NONE"
    if rv not in allowed:
        raise ApiError("ValidationException", f"ReturnValues can only be {' or '.join(allowed)} for this operation")
    if rv == "ALL_OLD" and old:
        return {"Attributes": old}
    if rv == "ALL_NEW" and new:
        return {"Attributes": new}
    if rv in ("UPDATED_NEW", "UPDATED_OLD"):
        src = new if rv == "UPDATED_NEW" else old
        changed = {k: v for k, v in (src or {}).items() if (old or {}).get(k) != (new or {}).get(k)}
        return {"Attributes": changed} if changed else {}
    return {}


@op("dynamodb", "CreateTable")
def create_table(ctx, p):
    w = ctx.world
    t = _create(w, p)

    def active():
        t["desc"]["TableStatus"] = "ACTIVE"
    w.at(w.timing["table_seconds"], active)
    return {"TableDescription": dict(t["desc"])}


@op("dynamodb", "DescribeTable")
def describe_table(ctx, p):
    t = table(ctx.world, p["TableName"], active=False)
    return {"Table": dict(t["desc"], ItemCount=len(t["items"]))}


@op("dynamodb", "PutItem")
def put_item(ctx, p):
    t = table(ctx.world, p["TableName"])
    item = p["Item"]
    k = _key_of(t, item)
    old = t["items"].get(k)
    _condition(p, ddb_expr.Expr(p.get("ExpressionAttributeNames"), p.get("ExpressionAttributeValues")), old)
    t["items"][k] = item
    return _returned(p, old, item, ("NONE", "ALL_OLD"))


@op("dynamodb", "GetItem")
def get_item(ctx, p):
    t = table(ctx.world, p["TableName"])
    it = t["items"].get(_key_of(t, p["Key"], only_key=True))
    return {"Item": it} if it is not None else {}


@op("dynamodb", "DeleteItem")
def delete_item(ctx, p):
    t = table(ctx.world, p["TableName"])
    k = _key_of(t, p["Key"], only_key=True)
    old = t["items"].get(k)
    _condition(p, ddb_expr.Expr(p.get("ExpressionAttributeNames"), p.get("ExpressionAttributeValues")), old)
    t["items"].pop(k, None)
    return _returned(p, old, None, ("NONE", "ALL_OLD"))


@op("dynamodb", "UpdateItem")
def update_item(ctx, p):
    t = table(ctx.world, p["TableName"])
    k = _key_of(t, p["Key"], only_key=True)
    old = t["items"].get(k)
    ex = ddb_expr.Expr(p.get("ExpressionAttributeNames"), p.get("ExpressionAttributeValues"))
    new = dict(old or p["Key"])
    if p.get("UpdateExpression"):
        ex.update(p["UpdateExpression"], new)
    for n in p["Key"]:
        if new.get(n) != p["Key"][n]:
            raise ApiError("ValidationException", f"One or more parameter values were invalid: Cannot update "
                           f"attribute {n}. This attribute is part of the key")
    _condition(p, ex, old)
    t["items"][k] = new
    return _returned(p, old, new, ("NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"))


@op("dynamodb", "Query")
def query(ctx, p):
    t = table(ctx.world, p["TableName"])
    if p.get("IndexName"):
        raise ApiError("EmulatorNotImplemented", "secondary indexes are not emulated", 501)
    if not p.get("KeyConditionExpression"):
        raise ApiError("ValidationException", "Either the KeyConditions or KeyConditionExpression parameter must "
                       "be specified in the request.")
    ex = ddb_expr.Expr(p.get("ExpressionAttributeNames"), p.get("ExpressionAttributeValues"))
    keycond = ex.condition(p["KeyConditionExpression"])
    used = {ex.names.get(n, n) for n in ex.used_names} | _plain_names(p["KeyConditionExpression"])
    if t["hash"] not in used or not used <= {t["hash"], t["range"]}:
        raise ApiError("ValidationException", "Query condition missed key schema element: " + t["hash"])
    filt = ex.condition(p["FilterExpression"]) if p.get("FilterExpression") else None
    ex.check_all_used()
    rows = [it for it in t["items"].values() if keycond(it)]
    if t["range"]:
        rows.sort(key=lambda it: ddb_expr._scalar(it[t["range"]])[0] or Decimal(0),
                  reverse=p.get("ScanIndexForward") is False)
    if p.get("ExclusiveStartKey"):
        start = _key_of(t, p["ExclusiveStartKey"], only_key=True)
        keys = [_key_of(t, it) for it in rows]
        rows = rows[keys.index(start) + 1:] if start in keys else []
    limit = p.get("Limit")
    page = rows[:limit] if limit else rows
    out_rows = [it for it in page if filt is None or filt(it)]
    out = {"Items": out_rows, "Count": len(out_rows), "ScannedCount": len(page)}
    if limit and len(rows) > limit:
        last = page[-1]
        out["LastEvaluatedKey"] = {n: last[n] for n in (t["hash"], t["range"]) if n}
    return out


def _plain_names(text):
    return {tok for tok in ddb_expr.Expr(None, None).tokens(text)
            if tok[0].isalpha() and tok.upper() not in ("AND", "BETWEEN", "BEGINS_WITH") and tok != "begins_with"}
