"""Every API handler of the emulator cites the AWS page it models (the team
rule "each emulator behaviour cites the AWS page it models"; AUDIT5 M6,
AUDIT6 L3): a docs.aws.amazon.com address in the handler's docstring or in
the comment lines right above its @op decorator.  Read from the source with
ast, nothing imported: a handler added without its page fails here, by
name."""
import ast
import os
import re
import unittest

SERVICES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "emulator", "services")
CITATION = re.compile(r"https://docs\.aws\.amazon\.com/\S+")


def op_of(fn):
    """("ec2", "DescribeInstances") for a function decorated @op(...), else None."""
    for d in fn.decorator_list:
        if isinstance(d, ast.Call) and getattr(d.func, "id", None) == "op" and len(d.args) == 2:
            return tuple(a.value for a in d.args)
    return None


def comments_above(lines, lineno):
    """The contiguous comment lines right above line `lineno` (1-based)."""
    out, i = [], lineno - 2
    while i >= 0 and lines[i].lstrip().startswith("#"):
        out.append(lines[i])
        i -= 1
    return "\n".join(reversed(out))


def handlers():
    for name in sorted(os.listdir(SERVICES)):
        if not name.endswith(".py"):
            continue
        path = os.path.join(SERVICES, name)
        src = open(path, encoding="utf-8").read()
        lines = src.splitlines()
        for node in ast.walk(ast.parse(src, path)):
            if isinstance(node, ast.FunctionDef) and op_of(node):
                first = min(d.lineno for d in node.decorator_list)
                text = (ast.get_docstring(node) or "") + "\n" + comments_above(lines, first)
                yield name, node.name, op_of(node), text


class Citations(unittest.TestCase):
    def test_there_are_handlers(self):
        # a broken walk must not pass by finding nothing
        self.assertGreater(len(list(handlers())), 100)

    def test_every_handler_cites_its_page(self):
        missing = [f"{mod}:{fn} ({svc} {action})" for mod, fn, (svc, action), text in handlers()
                   if not CITATION.search(text)]
        self.assertEqual(missing, [], "handlers without a docs.aws.amazon.com citation")


if __name__ == "__main__":
    unittest.main()
