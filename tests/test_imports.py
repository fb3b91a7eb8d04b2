"""What starting paperwire imports: `--help`, loading a configuration and an idle cron tick
pay only for what they use (the times are in benchmarks/tick.py; these are the reasons)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import paperwire

HEAVY = ("numpy", "scipy", "alembic", "bs4", "jinja2", "requests", "feedparser", "torch")


def _imported_after(code: str, cwd: Path, env: dict[str, str] | None = None) -> set[str]:
    """The top-level modules a fresh interpreter has imported after running `code`."""
    names = "sorted({m.split('.')[0] for m in sys.modules})"
    probe = f"{code}\nimport json, sys\nprint(json.dumps({names}))"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=True,
    )
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_help_imports_neither_the_store_nor_the_configuration(tmp_path: Path) -> None:
    code = (
        "from paperwire.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    )
    modules = _imported_after(code, tmp_path)

    assert modules.isdisjoint({*HEAVY, "sqlalchemy", "pydantic", "rich"})


def test_subcommand_help_imports_neither_the_store_nor_the_configuration(tmp_path: Path) -> None:
    for command in (["subscribers", "edit"], ["fetch"], ["digest"], ["run"], ["doctor"]):
        code = (
            "from paperwire.cli import main\ntry:\n"
            f"    main({[*command, '--help']!r})\nexcept SystemExit:\n    pass"
        )
        modules = _imported_after(code, tmp_path)

        assert modules.isdisjoint({*HEAVY, "sqlalchemy", "pydantic"}), command


def test_loading_a_configuration_imports_no_numpy_scipy_alembic_or_bs4(tmp_path: Path) -> None:
    config = tmp_path / "paperwire.toml"
    config.write_text(
        '[[subscribers]]\nemail = "ada@example.org"\nkeywords = ["LoRA^2"]\n'
        "query = '(graph OR GNN) NOT survey'\n"
    )
    code = (
        "from pathlib import Path\n"
        "from paperwire.config import load_settings\n"
        f"load_settings(Path({str(config)!r}), env={{}})"
    )

    modules = _imported_after(code, tmp_path)

    assert modules.isdisjoint(HEAVY)


def test_the_library_exports_every_name_it_lists() -> None:
    for name in paperwire.__all__:
        assert getattr(paperwire, name) is not None
        if name != "__version__":
            assert getattr(paperwire, name).__doc__, f"{name} has no docstring"


def test_a_configuration_without_addresses_does_not_load_the_address_checker(
    tmp_path: Path,
) -> None:
    config = tmp_path / "paperwire.toml"
    config.write_text('[sources.arxiv]\ncategories = ["cs.LG"]\n')
    code = (
        "from pathlib import Path\n"
        "from paperwire.config import load_settings\n"
        f"load_settings(Path({str(config)!r}), env={{}})"
    )

    assert "email_validator" not in _imported_after(code, tmp_path)


def test_a_tick_with_nothing_to_send_does_not_load_the_ranker(tmp_path: Path) -> None:
    # A new reader and an empty store (the first fetch has not come yet): nothing to plan.
    config = tmp_path / "paperwire.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "paperwire.db"}"\n'
        '[[subscribers]]\nemail = "ada@example.org"\nkeywords = ["diffusion"]\n'
    )
    code = (
        "from paperwire.cli import main\n"
        "try:\n"
        f"    main(['--config', {str(config)!r}, 'run', '--no-fetch'])\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PAPERWIRE_CONFIG": ""}

    modules = _imported_after(code, tmp_path, env)

    assert "sqlalchemy" in modules  # it did look at the store
    assert modules.isdisjoint({"numpy", "scipy", "jinja2", "bs4"})
