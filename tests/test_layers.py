"""The pipeline's shape, checked from the source: imports point against the data's flow.

docs/ARCHITECTURE.md states these rules; a change that breaks one fails here, naming the
module and the import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import paperwire

PACKAGE = Path(paperwire.__file__).parent
STAGES = ("sources", "store", "scoring", "digest", "delivery")


def _imports(module: Path) -> list[tuple[int, str]]:
    """Every `paperwire.*` module the file imports, at any depth (lazy imports count too)."""
    found = []
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            names = ["paperwire.<relative import>"]  # not used here: every import is absolute
        elif isinstance(node, ast.ImportFrom) and node.module == "paperwire":
            names = [f"paperwire.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [(node.lineno, name) for name in names if name.startswith("paperwire.")]
    return found


def _offences(stage: str, allowed: set[str]) -> list[str]:
    """Imports of `paperwire.*` from the package (or module) `stage` outside `allowed`."""
    offences = []
    single = PACKAGE / f"{stage}.py"
    modules = [single] if single.is_file() else sorted((PACKAGE / stage).rglob("*.py"))
    for module in modules:
        for line, name in _imports(module):
            top = name.split(".")[1]
            if top != stage and top not in allowed:
                offences.append(f"{module.relative_to(PACKAGE)}:{line} imports {name}")
    return offences


SHARED = {"models", "errors", "syntax", "text", "tex", "files", "http", "doi", "tokens", "_lazy"}


def test_no_stage_imports_a_later_stage_or_what_drives_the_pipeline() -> None:
    shared = SHARED
    offences = []
    for position, stage in enumerate(STAGES):
        earlier = set(STAGES[:position])
        # A source writes what it fetched into the store it is handed.
        if stage == "sources":
            earlier.add("store")
        configured = {"config"} if stage not in {"store", "scoring"} else set()
        offences += _offences(stage, shared | earlier | configured)

    assert offences == []


def test_the_store_and_the_ranker_do_not_know_the_configuration_file() -> None:
    shared = {"models", "errors", "syntax", "text", "tex", "files", "doi", "_lazy"}

    assert _offences("store", shared) == []
    assert _offences("scoring", shared | {"store"}) == []


def test_the_rules_see_imports_at_any_depth(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from paperwire.app import Paperwire\n")

    assert _imports(module) == [(2, "paperwire.app")]
    module.write_text("from paperwire import Paperwire\nfrom .app import x\n")
    assert _imports(module) == [(1, "paperwire.Paperwire"), (2, "paperwire.<relative import>")]


def test_what_every_stage_shares_imports_only_what_is_shared() -> None:
    offences = []
    for name in sorted(SHARED - {"_lazy"}):
        offences += _offences(name, SHARED)

    assert offences == []
