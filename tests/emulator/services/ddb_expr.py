"""DynamoDB expressions: condition/filter, key condition and update
expressions, evaluated over items in the API's AttributeValue form.

Grammar as the DynamoDB developer guide's "Condition and filter expressions,
operators, and functions" and "Update expressions" pages give it
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html,
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html):
comparisons = <> < <= > >=, BETWEEN, IN, AND/OR/NOT, parentheses, the
functions attribute_exists, attribute_not_exists, begins_with, contains and
size; SET (with + / - and if_not_exists), REMOVE, ADD.  Paths are top-level
names or #placeholders; values are :placeholders.  Every placeholder given
must be used ("Value provided in ExpressionAttributeValues unused in
expressions"), and every one used must be given.
"""
import re
from decimal import Decimal, InvalidOperation

from errors import ApiError

_TOKEN = re.compile(r"\s*(<>|<=|>=|=|<|>|\(|\)|,|\+|-|[#:]?[A-Za-z_][A-Za-z0-9_]*)")
_KEYWORDS = {"AND", "OR", "NOT", "BETWEEN", "IN"}


def invalid(msg):
    return ApiError("ValidationException", msg)


class Expr:
    """One request's expressions sharing its placeholder maps."""

    def __init__(self, names, values):
        self.names = names or {}
        self.values = values or {}
        self.used_names, self.used_values = set(), set()

    def check_all_used(self):
        unused = set(self.values) - self.used_values
        if unused:
            raise invalid(f"Value provided in ExpressionAttributeValues unused in expressions: keys: {{{', '.join(sorted(unused))}}}")
        unused = set(self.names) - self.used_names
        if unused:
            raise invalid(f"Value provided in ExpressionAttributeNames unused in expressions: keys: {{{', '.join(sorted(unused))}}}")

    # ------------------------------------------------------------ parsing
    def tokens(self, text):
        out, pos = [], 0
        text = text or ""
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m:
                if text[pos:].strip() == "":
                    break
                raise invalid(f"Invalid expression: Syntax error; token: \"{text[pos:pos + 10]}\"")
            out.append(m.group(1))
            pos = m.end()
        return out

    def name(self, tok):
        if tok.startswith("#"):
            if tok not in self.names:
                raise invalid(f"Value provided in ExpressionAttributeNames unused in expressions: An expression "
                              f"attribute name used in the document path is not defined; attribute name: {tok}")
            self.used_names.add(tok)
            return self.names[tok]
        if tok.upper() in _KEYWORDS or tok.startswith(":"):
            raise invalid(f"Invalid expression: Syntax error; token: \"{tok}\"")
        return tok

    def value(self, tok):
        if tok not in self.values:
            raise invalid(f"An expression attribute value used in expression is not defined; attribute value: {tok}")
        self.used_values.add(tok)
        return self.values[tok]

    def condition(self, text):
        """A parsed condition: a function item -> bool."""
        toks = self.tokens(text)
        p = _Parser(self, toks)
        fn = p.or_()
        if p.i != len(toks):
            raise invalid(f"Invalid expression: Syntax error; token: \"{toks[p.i]}\"")
        return fn

    def update(self, text, item):
        """Apply an update expression to item (a dict), in place."""
        toks = self.tokens(text)
        i, clause, seen = 0, None, set()
        while i < len(toks):
            t = toks[i].upper()
            if t in ("SET", "REMOVE", "ADD", "DELETE"):
                if t in seen:
                    raise invalid(f"Invalid UpdateExpression: The \"{t}\" section can only be used once")
                clause = t
                seen.add(t)
                i += 1
                continue
            if clause is None:
                raise invalid("Invalid UpdateExpression: Syntax error")
            path = self.name(toks[i])
            i += 1
            if clause == "REMOVE":
                item.pop(path, None)
            elif clause == "SET":
                if i >= len(toks) or toks[i] != "=":
                    raise invalid("Invalid UpdateExpression: Syntax error; expected =")
                v, i = self._set_value(toks, i + 1, item)
                if i < len(toks) and toks[i] in ("+", "-"):
                    op = toks[i]
                    w, i = self._set_value(toks, i + 1, item)
                    v = _arith(v, w, op)
                item[path] = v
            elif clause == "ADD":
                v = self.value(toks[i])
                i += 1
                cur = item.get(path)
                if "N" in v:
                    item[path] = {"N": str(_num(cur or {"N": "0"}) + _num(v))}
                elif any(k in v for k in ("SS", "NS", "BS")):
                    k = next(k for k in ("SS", "NS", "BS") if k in v)
                    item[path] = {k: list(dict.fromkeys((cur or {}).get(k, []) + v[k]))}
                else:
                    raise invalid("Invalid UpdateExpression: Incorrect operand type for operator or function; "
                                  "operator: ADD")
            else:
                raise ApiError("EmulatorNotImplemented", "UpdateExpression DELETE is not emulated", 501)
            if i < len(toks) and toks[i] == ",":
                i += 1

    def _set_value(self, toks, i, item):
        t = toks[i]
        if t.startswith(":"):
            return self.value(t), i + 1
        if t == "if_not_exists":
            path = self.name(toks[i + 2])
            default = self.value(toks[i + 4])
            return (item.get(path) if path in item else default), i + 6
        path = self.name(t)
        if path not in item:
            raise invalid("The provided expression refers to an attribute that does not exist in the item")
        return item[path], i + 1


def _num(v):
    try:
        return Decimal(v["N"])
    except (KeyError, InvalidOperation, TypeError):
        raise invalid("An operand in the update expression has an incorrect data type")


def _arith(a, b, op):
    return {"N": str(_num(a) + _num(b) if op == "+" else _num(a) - _num(b))}


def _scalar(v):
    """A comparable Python value and its type tag, or (None, None)."""
    if v is None:
        return None, None
    if "N" in v:
        return Decimal(v["N"]), "N"
    if "S" in v:
        return v["S"], "S"
    if "B" in v:
        return v["B"], "B"
    return None, next(iter(v), None)


def compare(a, b, op):
    (x, tx), (y, ty) = _scalar(a), _scalar(b)
    if op in ("=", "<>"):
        same = a == b if tx is None or ty is None else (tx == ty and x == y)
        return same if op == "=" else not same
    if tx is None or tx != ty:
        return False
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


class _Parser:
    def __init__(self, ex, toks):
        self.ex, self.toks, self.i = ex, toks, 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, want=None):
        t = self.peek()
        if t is None or (want is not None and t.upper() != want):
            raise invalid(f"Invalid expression: Syntax error; token: \"{t or '<EOF>'}\", expected {want or 'more'}")
        self.i += 1
        return t

    def or_(self):
        left = self.and_()
        while (self.peek() or "").upper() == "OR":
            self.take()
            right = self.and_()
            left = (lambda a, b: lambda it: a(it) or b(it))(left, right)
        return left

    def and_(self):
        left = self.not_()
        while (self.peek() or "").upper() == "AND":
            self.take()
            right = self.not_()
            left = (lambda a, b: lambda it: a(it) and b(it))(left, right)
        return left

    def not_(self):
        if (self.peek() or "").upper() == "NOT":
            self.take()
            inner = self.not_()
            return lambda it: not inner(it)
        return self.primary()

    def operand(self):
        t = self.take()
        if t.startswith(":"):
            v = self.ex.value(t)
            return lambda it: v
        if t == "size":
            self.take("(")
            path = self.ex.name(self.take())
            self.take(")")

            def size(it):
                v = it.get(path)
                if v is None:
                    return None
                k, x = next(iter(v.items()))
                return {"N": str(len(x) if k in ("S", "B", "SS", "NS", "BS", "L", "M") else 0)}
            return size
        path = self.ex.name(t)
        return lambda it: it.get(path)

    def primary(self):
        t = self.peek()
        if t == "(":
            self.take()
            inner = self.or_()
            self.take(")")
            return inner
        if t in ("attribute_exists", "attribute_not_exists", "begins_with", "contains"):
            self.take()
            self.take("(")
            path = self.ex.name(self.take())
            if t.startswith("attribute_"):
                self.take(")")
                return (lambda it: path in it) if t == "attribute_exists" else (lambda it: path not in it)
            self.take(",")
            arg = self.operand()
            self.take(")")
            if t == "begins_with":
                return lambda it: _begins(it.get(path), arg(it))
            return lambda it: _contains(it.get(path), arg(it))
        left = self.operand()
        op = self.take()
        if op in ("=", "<>", "<", "<=", ">", ">="):
            right = self.operand()
            return lambda it: compare(left(it), right(it), op)
        if op.upper() == "BETWEEN":
            lo = self.operand()
            self.take("AND")
            hi = self.operand()
            return lambda it: compare(left(it), lo(it), ">=") and compare(left(it), hi(it), "<=")
        if op.upper() == "IN":
            self.take("(")
            opts = [self.operand()]
            while self.peek() == ",":
                self.take()
                opts.append(self.operand())
            self.take(")")
            return lambda it: any(compare(left(it), o(it), "=") for o in opts)
        raise invalid(f"Invalid expression: Syntax error; token: \"{op}\"")


def _begins(v, prefix):
    (x, tx), (y, ty) = _scalar(v), _scalar(prefix)
    return tx in ("S", "B") and tx == ty and x.startswith(y)


def _contains(v, x):
    if v is None or x is None:
        return False
    k, val = next(iter(v.items()))
    if k == "S" and "S" in x:
        return x["S"] in val
    if k in ("SS", "NS", "BS"):
        return next(iter(x.values())) in val
    if k == "L":
        return x in val
    return False
