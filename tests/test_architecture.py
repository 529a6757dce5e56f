"""The layout's rules, checked: import contracts, no import cycles, sizes, one model loader, SQL only in the store.

docs/ARCHITECTURE.md explains the layers; pyproject.toml ([tool.importlinter]) holds the contracts.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "cnnlab"
PAGES = ROOT / "pages"
MAX_MODULE_LINES = 600
MAX_PAGE_LINES = 150
MAX_FUNCTION_LINES = 80
LONG_MARK = re.compile(r"#\s*long:\s*\S")  # "# long: <why>" above a longer function states its reason


def python_files() -> list[Path]:
    return sorted([*ENGINE.rglob("*.py"), *PAGES.glob("*.py"), ROOT / "app.py"])


def test_import_contracts_hold() -> None:
    """import-linter's contracts: no Streamlit in the engine, no Keras in the UI, TF-free light modules, layers."""
    pytest.importorskip("importlinter", reason="import-linter is not installed (pip install -r requirements-dev.txt)")
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout, out.stdout


def test_no_module_imports_itself_through_a_cycle() -> None:
    """No import cycle between any two modules (function-level imports count; `if TYPE_CHECKING:` ones do not)."""
    grimp = pytest.importorskip("grimp", reason="grimp comes with import-linter (pip install -r requirements-dev.txt)")
    graph = grimp.build_graph("cnnlab", exclude_type_checking_imports=True, cache_dir=None)
    modules = sorted(graph.modules)
    edges = {m: {d for d in graph.find_modules_directly_imported_by(m) if d.startswith("cnnlab")} for m in modules}
    cycles = [sorted(c) for c in _strongly_connected(edges) if len(c) > 1]
    assert cycles == [], cycles


def _strongly_connected(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative (a module graph may be deep)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []
    counter = 0
    for root, children_of_root in edges.items():
        if root in index:
            continue
        work = [(root, iter(sorted(children_of_root)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in edges:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                out.append(component)
    return out


def test_modules_and_pages_stay_small() -> None:
    too_long = {
        str(p.relative_to(ROOT)): n
        for p in python_files()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > (MAX_PAGE_LINES if p.parent == PAGES else
                                                                       MAX_MODULE_LINES)
    }  # fmt: skip
    assert too_long == {}


def test_functions_over_80_lines_say_why() -> None:
    """A function longer than 80 lines has a `# long: <reason>` comment just above its `def` (or decorators)."""
    unexplained = []
    for path in python_files():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if node.end_lineno - node.lineno + 1 <= MAX_FUNCTION_LINES:
                continue
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            if not LONG_MARK.search(lines[first - 2] if first >= 2 else ""):
                unexplained.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert unexplained == []


def test_one_model_loader() -> None:
    """Every saved model goes through cnnlab.modelfiles.load_model (safe_mode, the one gate)."""
    loads = {"saving.load_model", "models.load_model"}
    callers = [str(p.relative_to(ROOT)) for p in python_files() if loads & _calls(p)]
    assert callers == ["cnnlab/modelfiles.py"]


SQL = re.compile(r"\b(SELECT\s.+\sFROM|UPDATE\s+\w+\s+SET|INSERT\s+(OR\s+\w+\s+)?INTO|DELETE\s+FROM|CREATE\s+TABLE)\b")


def test_sql_lives_in_the_run_store() -> None:
    owners = {"cnnlab/runs/store.py", "cnnlab/runs/schema.py", "cnnlab/runs/studies.py"}  # the store and its companions
    found = [str(p.relative_to(ROOT)) for p in python_files() if SQL.search(_code(p))]
    assert set(found) <= owners, set(found) - owners


def test_pages_translate_errors_by_key_not_by_matching_english_text() -> None:
    """Engine errors reach pages with their catalogue key; nothing matches English text back to a template."""
    import cnnlab.i18n

    assert not (ENGINE / "i18n" / "errors.py").exists()
    assert not hasattr(cnnlab.i18n, "explain")


def _code(path: Path) -> str:
    """A module's code without its docstrings and comments (so prose that names a call does not count)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                body[0] = ast.Pass()
    return ast.unparse(tree)


def _calls(path: Path) -> set[str]:
    """The names a module calls, as written: `f(...)` gives "f", `a.b.f(...)` gives "f", "b.f" and "a.b.f"."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            parts, func = [], node.func
            while isinstance(func, ast.Attribute):
                parts.insert(0, func.attr)
                func = func.value
            if isinstance(func, ast.Name):
                parts.insert(0, func.id)
            names |= {".".join(parts[i:]) for i in range(len(parts))}
    return names
