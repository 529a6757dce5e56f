"""The demo-mode audit: every call in the pages that changes shared state sits behind the presenter's password.

`cnnlab.demo.SHARED_STATE_ACTIONS` names each action and the engine calls that perform it; this test walks the
page scripts and their helpers and checks that each such call's function also asks `require(<action>)` (or hands
the call to `_act(<action>, ...)`, which asks it). A new call added without the check fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

from cnnlab import demo

ROOT = Path(__file__).resolve().parents[2]
UI_FILES = sorted([*ROOT.glob("pages/*.py"), *ROOT.glob("cnnlab/ui/**/*.py")])
ACTION_OF = {call: action for action, calls in demo.SHARED_STATE_ACTIONS.items() for call in calls}
GATES = {"require", "_act"}


def _name(node: ast.AST) -> str | None:
    f = node.func if isinstance(node, ast.Call) else node
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None


def _gated_actions(scope: ast.AST) -> set[str]:
    """Actions this scope asks for: require("x", ...) / shell.require("x", ...) / _act("x", ...)."""
    found = set()
    for node in ast.walk(scope):
        if isinstance(node, ast.Call) and _name(node) in GATES and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
    return found


def _scopes(tree: ast.Module):
    """(scope, names used directly in it) for the module and every function (lambdas belong to their function).

    Names, not only calls: `(export.a if x else export.b)(...)` uses both."""
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    inner = {id(c) for f in functions for n in ast.walk(f) if n is not f for c in [n]}
    used = (ast.Name, ast.Attribute)
    yield tree, [n for n in ast.walk(tree) if isinstance(n, used) and id(n) not in inner]
    for f in functions:
        nested = {id(n) for g in ast.walk(f) if g is not f and isinstance(g, (ast.FunctionDef, ast.AsyncFunctionDef))
                  for n in ast.walk(g)}  # fmt: skip
        yield f, [n for n in ast.walk(f) if isinstance(n, used) and id(n) not in nested]


def test_every_shared_state_call_in_the_pages_asks_for_the_password_first() -> None:
    ungated, seen = [], set()
    for path in UI_FILES:
        tree = ast.parse(path.read_text(), filename=str(path))
        for scope, calls in _scopes(tree):
            if getattr(scope, "name", None) in ACTION_OF:
                continue  # a wrapper named in the table (e.g. live.restart): its callers are checked
            gated = _gated_actions(scope)
            for call in calls:
                action = ACTION_OF.get(_name(call) or "")
                if action is None:
                    continue
                seen.add(action)
                if action not in gated:
                    ungated.append(f"{path.relative_to(ROOT)}:{call.lineno} {_name(call)} needs require({action!r})")
    assert not ungated, "\n".join(ungated)
    assert seen == set(demo.SHARED_STATE_ACTIONS), set(demo.SHARED_STATE_ACTIONS) - seen  # the table is not stale


def test_the_audit_table_is_the_locked_set_and_is_in_the_readme() -> None:
    assert demo.RESTRICTED == frozenset(demo.SHARED_STATE_ACTIONS)
    readme = (ROOT / "README.md").read_text()
    for action in demo.SHARED_STATE_ACTIONS:
        assert f"`{action}`" in readme, action
