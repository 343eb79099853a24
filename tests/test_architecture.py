"""The layout's rules (docs/architecture.md), read from the source with ``ast``:

* no import cycle between the project's modules, deferred imports counted (imports under
  ``if TYPE_CHECKING:`` are not);
* arrows point down: ``storage`` <- ``handoff``, ``faq``, ``campaigns``, ``privacy`` <- ``bot``;
  nothing outside ``tests`` imports ``tests``;
* no module over 500 lines (migrations aside).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (
    "storage",
    "handoff",
    "faq",
    "campaigns",
    "privacy",
    "bot",
    "connectors",
    "actions",
    "devtools",
    "bench",
    "rasa_addons",
    "scripts",
    "tests",
)
# what each package may import of the project (bench, scripts and tests may import anything)
ALLOWED = {
    "storage": {"connectors"},
    "faq": set(),
    "handoff": {"storage", "connectors"},
    "campaigns": {"storage", "connectors", "handoff"},
    "privacy": {"storage", "connectors", "handoff", "campaigns"},
    "connectors": set(),
    "actions": {"faq"},
    "rasa_addons": {"faq", "actions"},
    "devtools": {"storage", "connectors", "faq", "handoff", "campaigns", "privacy", "bot", "actions"},
    "bot": {"storage", "connectors", "faq", "handoff", "campaigns", "privacy", "actions"},
}
MAX_LINES = 500


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _type_checking_only(tree: ast.AST) -> set[int]:
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                hidden.update(id(n) for n in ast.walk(child))
    return hidden


def imported(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The project modules ``name`` imports, anywhere in its body (deferred ones too)."""

    def resolve(target: str) -> str | None:
        while target and target not in known:
            target = target.rpartition(".")[0]
        return target or None

    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden = _type_checking_only(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            found = resolve(target)
            if found is not None and found != name:
                yield found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: set(imported(name, path, known)) for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
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
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def test_no_import_cycle_between_modules() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_arrows_point_down() -> None:
    wrong = sorted(
        f"{name} -> {target}"
        for name, targets in graph().items()
        for target in targets
        if (src := name.split(".")[0]) in ALLOWED
        and (dst := target.split(".")[0]) != src
        and dst not in ALLOWED[src]
    )
    assert wrong == []


def test_nothing_outside_tests_imports_tests() -> None:
    wrong = sorted(
        f"{name} -> {target}"
        for name, targets in graph().items()
        if not name.startswith("tests")
        for target in targets
        if target.split(".")[0] == "tests"
    )
    assert wrong == []


def test_no_module_over_500_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in modules().values()
        if "migrations" not in path.parts
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
