"""`paperwire digest --open`: the digest written as HTML and handed to the user's browser."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from bs4 import BeautifulSoup
from test_send import announce, paper

from paperwire.store import open_store

DAY = dt.date(2026, 11, 20)


def _digest(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    url = f"sqlite:///{tmp_path / 'paperwire.sqlite3'}"
    store = open_store(url)
    announce(
        store, paper("2611.00001", "Diffusion for tables", DAY), paper("2611.00002", "Bandits", DAY)
    )
    store.close()
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"  # a "browser" that notes what it was asked to open
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {opened}\n')
    browser.chmod(0o755)
    env = os.environ | {
        "HOME": str(tmp_path),
        "PAPERWIRE_CONFIG": "",
        "PAPERWIRE_DATABASE__URL": url,
        "BROWSER": str(browser),
        "TMPDIR": str(tmp_path),
    }
    command = [sys.executable, "-m", "paperwire", "digest", "-c", "cs.LG", "-k", "diffusion"]
    command += ["--date", str(DAY), "--no-fetch", "--open", *args]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    return result, opened


def test_open_writes_html_and_hands_its_file_url_to_the_browser(tmp_path: Path) -> None:
    result, opened = _digest(tmp_path)

    assert result.returncode == 0, result.stderr
    uri = opened.read_text()
    assert uri.startswith(f"file://{tmp_path}/paperwire-") and uri.endswith(
        "/digest-2026-11-20.html"
    )
    page = BeautifulSoup(Path(uri.removeprefix("file://")).read_text(), "html.parser")
    links = [a["href"] for a in page.find_all("a", href=True)]
    assert "https://arxiv.org/abs/2611.00001" in links
    assert "https://arxiv.org/abs/2611.00002" not in links  # bandits do not match "diffusion"


def test_open_with_output_opens_that_file(tmp_path: Path) -> None:
    result, opened = _digest(tmp_path, "-o", str(tmp_path / "mine.html"))

    assert result.returncode == 0, result.stderr
    assert opened.read_text() == (tmp_path / "mine.html").as_uri()
    assert "Diffusion for tables" in (tmp_path / "mine.html").read_text()
