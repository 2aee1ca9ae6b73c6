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

Stricter points the responder relies on, each from its AWS page:
- Items are at most 400 KB, names and values counted in UTF-8 (developer
  guide, "Service, account, and table quotas in Amazon DynamoDB": "The maximum
  item size in DynamoDB is 400 KB, which includes both attribute name binary
  length (UTF-8 length) and attribute value lengths"): ValidationException
  "Item size has exceeded the maximum allowed size".
- A Query returns at most 1 MB per page, with LastEvaluatedKey, even without
  Limit (API reference, Query,
  https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html:
  a single Query "will read up to the maximum number of items set (if using
  the Limit parameter) or a maximum of 1 MB of data and then apply any
  filtering"; developer guide, "Paginating table query results in
  DynamoDB"): the 1 MB and Limit count the items read before the filter, so
  a page may hold fewer matches than asked, or none, and still have a
  LastEvaluatedKey.  A page cut by Limit carries one even when nothing
  follows ("If LastEvaluatedKey is not empty, it does not necessarily mean
  that there is more data in the result set"), and ExclusiveStartKey is a
  position in key order, so an item deleted since it was returned still
  marks where the next page starts.
- Reads are eventually consistent unless ConsistentRead is true (developer
  guide, "DynamoDB read consistency": an eventually consistent read "might not
  reflect the results of a recently completed write"): GetItem and Query
  without it see every item as it was `ddb_stale_seconds` ago.
- TransactWriteItems (API reference, TransactWriteItems,
  https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html:
  "groups up to 100 action requests ... no two actions can target the same
  item ... The aggregate size of the items in the transaction cannot exceed
  4 MB"; "A client request token is valid for 10 minutes after the first
  request that uses it is completed"): 1-100 actions, at most one per item,
  the new items together at most 4 MB (ValidationException), all or nothing; a failed condition cancels the whole
  transaction with TransactionCanceledException and CancellationReasons (one
  per action: "None" or "ConditionalCheckFailed"); ClientRequestToken makes a
  resend within 10 minutes of one that succeeded a no-op answered success,
  and the same token with other parameters is
  IdempotentParameterMismatchException.  "Multiple identical calls have the
  same effect as one single call" (ClientRequestToken): a resend of one that
  was cancelled or never arrived is one call, evaluated now (the token is
  remembered only when the transaction is applied) — what the store's
  settling of unanswered transactions relies on (src/store/dynamo_settle.c).
- Global secondary indexes (CreateTable GlobalSecondaryIndexes; developer
  guide, "Using Global Secondary Indexes in DynamoDB",
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html):
  sparse (an item without the index's key attributes is not in it),
  projected ALL / KEYS_ONLY / INCLUDE, and eventually consistent only: "Queries
  on global secondary indexes support eventual consistency only", ConsistentRead
  true is a ValidationException, and a write reaches the index
  `ddb_index_seconds` (1 s) later ("Changes to the table data are propagated
  to the global secondary indexes within a fraction of a second, under normal
  conditions").  Query IndexName pages as the table does; LastEvaluatedKey
  holds the table's and the index's keys.
- Transactions in flight (developer guide, "Managing complex workflows with
  DynamoDB transactions", "Transaction conflict handling in DynamoDB",
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-conflict-handling:
  a PutItem, UpdateItem or DeleteItem "for an item conflicts with an ongoing
  TransactWriteItems request that includes the same item" and fails with
  TransactionConflictException; "an item within a TransactWriteItems request
  is part of another ongoing TransactWriteItems request" cancels it with
  TransactionCanceledException, reason TransactionConflict; nothing is
  written either way): a transaction stays in flight `ddb_transaction_seconds`
  (0 by default: it commits at once) between checking its conditions and
  writing, the world lock released meanwhile, so writers racing for one
  item meet these refusals as they do on AWS; a resend of its
  ClientRequestToken meanwhile is TransactionInProgressException ("The
  transaction with the given request token is already in progress": API
  reference, TransactWriteItems, Errors).
- Throughput: ProvisionedThroughputExceededException / ThrottlingException are
  injected with fault rules ({"kind": "throttle", "service": "dynamodb",
  "code": "ProvisionedThroughputExceededException"}); the SDKs retry them.
"""
import hashlib
import json
import sys
import time
import uuid
from decimal import Decimal

from errors import ApiError
from services import ddb_expr, op, register

register(sys.modules[__name__])


ITEM_MAX = 400 * 1024
PAGE_MAX = 1024 * 1024
TOKEN_SECONDS = 600
TX_BYTES_MAX = 4 * 1024 * 1024


def st(world):
    return world.ns.setdefault("dynamodb", {"tables": {}, "tokens": {}})


def _value_size(v):
    (t, x), = v.items()
    if t == "S":
        return len(x.encode("utf-8"))
    if t == "N":
        return (len(x.lstrip("-").replace(".", "").lstrip("0")) + 1) // 2 + 1
    if t == "B":
        return len(x) * 3 // 4
    if t in ("BOOL", "NULL"):
        return 1
    if t in ("SS", "NS", "BS"):
        return sum(_value_size({t[0]: e}) for e in x)
    if t == "L":
        return 3 + sum(1 + _value_size(e) for e in x)
    if t == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + _value_size(e) for k, e in x.items())
    return 0


def item_size(item):
    return sum(len(k.encode("utf-8")) + _value_size(v) for k, v in item.items())


def _in_flight(w):
    """The (table, key) pairs of the transactions in flight."""
    return st(w).setdefault("in_flight", set())


def _refuse_if_in_flight(w, t, k):
    if (id(t), k) in _in_flight(w):
        raise ApiError("TransactionConflictException", "Transaction is ongoing for the item")


def _check_size(item):
    if item is not None and item_size(item) > ITEM_MAX:
        raise ApiError("ValidationException", "Item size has exceeded the maximum allowed size")


def _write(w, t, k, new):
    """Store new (None deletes); keep the old version for eventually
    consistent readers."""
    t.setdefault("prev", {})[k] = (t["items"].get(k), w.now())
    if new is None:
        t["items"].pop(k, None)
    else:
        t["items"][k] = new


def _view(w, t, k, consistent, lag=None):
    """The item under key k as a read sees it (an index's read: lag seconds
    behind the table)."""
    cur = t["items"].get(k)
    if consistent:
        return cur
    lag = w.timing.get("ddb_stale_seconds", 0.0) if lag is None else lag
    old = t.get("prev", {}).get(k)
    if old is not None and w.now() - old[1] < lag:
        return old[0]
    return cur


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
    gsis = p.get("GlobalSecondaryIndexes") or []
    keyed = {k["AttributeName"] for k in ks} | {k["AttributeName"] for g in gsis for k in g["KeySchema"]}
    if set(types) != keyed:
        raise ApiError("ValidationException", "One or more parameter values were invalid: Number of attributes in "
                       "KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
    indexes = {}
    for g in gsis:
        gh = [k["AttributeName"] for k in g["KeySchema"] if k["KeyType"] == "HASH"]
        if len(gh) != 1 or len(g["KeySchema"]) > 2 or g["IndexName"] in indexes:
            raise ApiError("ValidationException", f"One or more parameter values were invalid: index "
                           f"{g['IndexName']}: invalid KeySchema")
        proj = g.get("Projection") or {}
        if proj.get("ProjectionType") not in ("ALL", "KEYS_ONLY", "INCLUDE"):
            raise ApiError("ValidationException", "Unknown ProjectionType")
        indexes[g["IndexName"]] = {
            "hash": gh[0], "range": next((k["AttributeName"] for k in g["KeySchema"] if k["KeyType"] == "RANGE"),
                                         None),
            "desc": {"IndexName": g["IndexName"], "KeySchema": g["KeySchema"], "Projection": proj,
                     "IndexStatus": "ACTIVE", "ItemCount": 0, "IndexSizeBytes": 0,
                     "IndexArn": f"arn:{w.partition()}:dynamodb:{w.region}:{w.account_id}:table/{name}/index/"
                                 f"{g['IndexName']}"}}
    desc = {"TableName": name, "KeySchema": ks, "AttributeDefinitions": p["AttributeDefinitions"],
            "TableStatus": "CREATING", "CreationDateTime": w.now(), "ItemCount": 0, "TableSizeBytes": 0,
            "TableArn": f"arn:{w.partition()}:dynamodb:{w.region}:{w.account_id}:table/{name}",
            "TableId": str(uuid.UUID(int=w.rng.getrandbits(128), version=4)),
            "BillingModeSummary": {"BillingMode": p.get("BillingMode") or "PROVISIONED"}}
    if indexes:
        desc["GlobalSecondaryIndexes"] = [x["desc"] for x in indexes.values()]
    t = {"desc": desc, "items": {}, "hash": hashes[0]["AttributeName"], "types": types,
         "range": next((k["AttributeName"] for k in ks if k["KeyType"] == "RANGE"), None), "indexes": indexes}
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


# AWS: DynamoDB API reference, CreateTable: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html
@op("dynamodb", "CreateTable")
def create_table(ctx, p):
    w = ctx.world
    t = _create(w, p)

    def active():
        t["desc"]["TableStatus"] = "ACTIVE"
    w.at(w.timing["table_seconds"], active)
    return {"TableDescription": dict(t["desc"])}


# AWS: DynamoDB API reference, DescribeTable: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTable.html
@op("dynamodb", "DescribeTable")
def describe_table(ctx, p):
    t = table(ctx.world, p["TableName"], active=False)
    return {"Table": dict(t["desc"], ItemCount=len(t["items"]))}


# AWS: DynamoDB API reference, PutItem: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html
@op("dynamodb", "PutItem")
def put_item(ctx, p):
    t = table(ctx.world, p["TableName"])
    item = p["Item"]
    k = _key_of(t, item)
    _refuse_if_in_flight(ctx.world, t, k)
    old = t["items"].get(k)
    _condition(p, ddb_expr.Expr(p.get("ExpressionAttributeNames"), p.get("ExpressionAttributeValues")), old)
    _check_size(item)
    _write(ctx.world, t, k, item)
    return _returned(p, old, item, ("NONE", "ALL_OLD"))


# AWS: DynamoDB API reference, GetItem: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html
@op("dynamodb", "GetItem")
def get_item(ctx, p):
    t = table(ctx.world, p["TableName"])
    it = _view(ctx.world, t, _key_of(t, p["Key"], only_key=True), p.get("ConsistentRead") is True)
    return {"Item": it} if it is not None else {}


# AWS: DynamoDB API reference, DeleteItem: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteItem.html
@op("dynamodb", "DeleteItem")
def delete_item(ctx, p):
    t = table(ctx.world, p["TableName"])
    k = _key_of(t, p["Key"], only_key=True)
    _refuse_if_in_flight(ctx.world, t, k)
    old = t["items"].get(k)
    _condition(p, ddb_expr.Expr(p.get("ExpressionAttributeNames"), p.get("ExpressionAttributeValues")), old)
    if old is not None:
        _write(ctx.world, t, k, None)
    return _returned(p, old, None, ("NONE", "ALL_OLD"))


def _updated(t, p):
    """(key, old, new) of an UpdateItem (or a transaction's Update); the
    condition checked against old."""
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
    _check_size(new)
    return k, old, new


# AWS: DynamoDB API reference, UpdateItem: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html
@op("dynamodb", "UpdateItem")
def update_item(ctx, p):
    t = table(ctx.world, p["TableName"])
    _refuse_if_in_flight(ctx.world, t, _key_of(t, p["Key"], only_key=True))
    k, old, new = _updated(t, p)
    _write(ctx.world, t, k, new)
    return _returned(p, old, new, ("NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"))


def _tx_action(w, a):
    """One TransactItems member: (table, key, new item or None to delete,
    or the sentinel KEEP for a ConditionCheck); raises
    ConditionalCheckFailedException when its condition does not hold."""
    kinds = [n for n in ("ConditionCheck", "Put", "Delete", "Update") if a.get(n)]
    if len(kinds) != 1:
        raise ApiError("ValidationException", "TransactItems can only contain one of Check, Put, Update or Delete")
    kind, p = kinds[0], a[kinds[0]]
    t = table(w, p["TableName"])
    ex = ddb_expr.Expr(p.get("ExpressionAttributeNames"), p.get("ExpressionAttributeValues"))
    if kind == "Put":
        k = _key_of(t, p["Item"])
        _condition(p, ex, t["items"].get(k))
        _check_size(p["Item"])
        return t, k, p["Item"]
    if kind == "Update":
        k, _old, new = _updated(t, p)
        return t, k, new
    k = _key_of(t, p["Key"], only_key=True)
    _condition(p, ex, t["items"].get(k))
    return t, k, KEEP if kind == "ConditionCheck" else None


KEEP = object()


# AWS: DynamoDB API reference, TransactWriteItems: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
@op("dynamodb", "TransactWriteItems")
def transact_write_items(ctx, p):
    w = ctx.world
    acts = p.get("TransactItems") or []
    if not 1 <= len(acts) <= 100:
        raise ApiError("ValidationException", "Member must have length less than or equal to 100")
    token = p.get("ClientRequestToken")
    digest = hashlib.sha256(json.dumps(acts, sort_keys=True, default=str).encode()).hexdigest()
    tokens = st(w)["tokens"]
    if token and token in st(w).setdefault("tokens_in_flight", set()):
        raise ApiError("TransactionInProgressException",
                       "The transaction with the given request token is already in progress.")
    if token:
        seen = tokens.get(token)
        if seen and w.now() - seen[1] < TOKEN_SECONDS:
            if seen[0] != digest:
                raise ApiError("IdempotentParameterMismatchException",
                               "The request uses the same client token as a previous, but non-identical request.")
            return {}
    plan, reasons, failed = [], [], False
    seen_keys = set()
    flying = _in_flight(w)
    for a in acts:
        try:
            t, k, new = _tx_action(w, a)
        except ApiError as e:
            if e.code != "ConditionalCheckFailedException":
                raise
            reasons.append({"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"})
            failed = True
            continue
        if (id(t), k) in seen_keys:
            raise ApiError("ValidationException",
                           "Transaction request cannot include multiple operations on one item")
        seen_keys.add((id(t), k))
        if (id(t), k) in flying:
            reasons.append({"Code": "TransactionConflict",
                            "Message": "Transaction is ongoing for the item"})
            failed = True
            continue
        reasons.append({"Code": "None"})
        plan.append((t, k, new))
    if sum(item_size(new) for _t, _k, new in plan if isinstance(new, dict)) > TX_BYTES_MAX:
        raise ApiError("ValidationException",
                       "Transaction request cannot be larger than 4 MB")
    if failed:
        codes = ", ".join(r["Code"] for r in reasons)
        raise ApiError("TransactionCanceledException",
                       f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
                       extra={"CancellationReasons": reasons})
    _fly(w, {(id(t), k) for t, k, _new in plan}, token)
    for t, k, new in plan:
        if new is not KEEP:
            _write(w, t, k, new)
    if token:
        tokens[token] = (digest, w.now())
    return {}


def _fly(w, keys, token):
    """Keep a checked transaction in flight ddb_transaction_seconds: its
    items refuse other writers meanwhile (the world lock is released), so
    they are as the checks saw them when it writes."""
    seconds = w.timing.get("ddb_transaction_seconds", 0.0)
    if seconds <= 0:
        return
    flying, tokens = _in_flight(w), st(w).setdefault("tokens_in_flight", set())
    flying.update(keys)
    if token:
        tokens.add(token)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            w.cond.wait(max(0.0, deadline - time.monotonic()))    # releases the world lock
    finally:
        flying.difference_update(keys)
        tokens.discard(token)


def _projected(t, ix, item):
    """An item as the index holds it (its projection)."""
    proj = ix["desc"]["Projection"]
    if proj.get("ProjectionType") == "ALL":
        return item
    keep = {t["hash"], t["range"], ix["hash"], ix["range"]} | set(proj.get("NonKeyAttributes") or [])
    return {k: v for k, v in item.items() if k in keep}


# AWS: DynamoDB API reference, Query: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html
@op("dynamodb", "Query")
def query(ctx, p):
    t = table(ctx.world, p["TableName"])
    ix = None
    if p.get("IndexName"):
        ix = t["indexes"].get(p["IndexName"])
        if ix is None:
            raise ApiError("ValidationException", "The table does not have the specified index: " + p["IndexName"])
        if p.get("ConsistentRead") is True:
            raise ApiError("ValidationException", "Consistent reads are not supported on global secondary indexes")
    hkey, rkey = (ix["hash"], ix["range"]) if ix else (t["hash"], t["range"])
    if not p.get("KeyConditionExpression"):
        raise ApiError("ValidationException", "Either the KeyConditions or KeyConditionExpression parameter must "
                       "be specified in the request.")
    ex = ddb_expr.Expr(p.get("ExpressionAttributeNames"), p.get("ExpressionAttributeValues"))
    keycond = ex.condition(p["KeyConditionExpression"])
    used = {ex.names.get(n, n) for n in ex.used_names} | _plain_names(p["KeyConditionExpression"])
    if hkey not in used or not used <= {hkey, rkey}:
        raise ApiError("ValidationException", "Query condition missed key schema element: " + hkey)
    filt = ex.condition(p["FilterExpression"]) if p.get("FilterExpression") else None
    ex.check_all_used()
    consistent = p.get("ConsistentRead") is True
    lag = ctx.world.timing.get("ddb_index_seconds", 1.0) if ix else None
    keys = set(t["items"]) | set(t.get("prev", {}))
    view = (_view(ctx.world, t, k, consistent, lag) for k in keys)
    rows = [it for it in view if it is not None and (ix is None or (hkey in it and (rkey is None or rkey in it)))
            and keycond(it)]
    if ix:
        rows = [_projected(t, ix, it) for it in rows]
    backward = p.get("ScanIndexForward") is False

    def order(it):
        return (ddb_expr._scalar(it[rkey])[0] or Decimal(0), _key_of(t, it)) if rkey else _key_of(t, it)
    rows.sort(key=order, reverse=backward)
    if p.get("ExclusiveStartKey"):    # a position: the item itself may be gone
        if rkey and rkey not in p["ExclusiveStartKey"]:
            raise ApiError("ValidationException", "The provided starting key is invalid")
        start = order(p["ExclusiveStartKey"])
        rows = [it for it in rows if (order(it) < start if backward else order(it) > start)]
    limit = p.get("Limit") or len(rows)
    page, size = [], 0
    for it in rows[:limit]:
        if page and size + item_size(it) > PAGE_MAX:
            break
        page.append(it)
        size += item_size(it)
    out_rows = [it for it in page if filt is None or filt(it)]
    out = {"Items": out_rows, "Count": len(out_rows), "ScannedCount": len(page)}
    if page and (len(rows) > len(page) or len(page) == p.get("Limit")):
        last = page[-1]
        out["LastEvaluatedKey"] = {n: last[n] for n in (t["hash"], t["range"], hkey, rkey) if n}
    return out


def _plain_names(text):
    return {tok for tok in ddb_expr.Expr(None, None).tokens(text)
            if tok[0].isalpha() and tok.upper() not in ("AND", "BETWEEN", "BEGINS_WITH") and tok != "begins_with"}
