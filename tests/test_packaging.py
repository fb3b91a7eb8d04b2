"""The wheel ships every sub-package and the templates (pyproject lists packages by hand)."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_every_subpackage_is_listed_in_pyproject() -> None:
    listed = set(
        tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    source = REPO / "src"
    found = {
        ".".join(init.parent.relative_to(source).parts)
        for init in source.rglob("__init__.py")
        if "__pycache__" not in init.parts
    }

    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert "paperwire.templates" in listed
