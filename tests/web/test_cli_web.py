"""`paperwire web` as a user runs it: refused without what the pages need, served for real
until SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests
from webserver import SECRET, free_socket


def test_web_refuses_to_start_without_a_base_url(paperwire: Any) -> None:
    result = paperwire("web", env={"PAPERWIRE_DELIVERY__SECRET": SECRET})

    assert result.exit_code == 2
    assert "delivery.base_url: needed by paperwire web" in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_web_refuses_a_base_url_without_a_secret(paperwire: Any) -> None:
    result = paperwire("web", env={"PAPERWIRE_DELIVERY__BASE_URL": "https://papers.example.org"})

    assert result.exit_code == 2
    assert "delivery" in result.output and "secret: needed when base_url is set" in result.output


def test_web_refuses_plain_http_beyond_this_machine(paperwire: Any) -> None:
    result = paperwire(
        "web",
        env={
            "PAPERWIRE_DELIVERY__BASE_URL": "http://papers.example.org",
            "PAPERWIRE_DELIVERY__SECRET": SECRET,
        },
    )

    assert result.exit_code == 2
    assert "base_url" in result.output and "must be an https:// URL" in result.output


def test_web_serves_until_sigterm(tmp_path: Path, sqlite_url: str) -> None:
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = os.environ | {
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PAPERWIRE_CONFIG": "",
        "PAPERWIRE_DATABASE__URL": sqlite_url,
        "PAPERWIRE_DELIVERY__BASE_URL": f"http://127.0.0.1:{port}",
        "PAPERWIRE_DELIVERY__SECRET": SECRET,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "paperwire", "web", "--port", str(port), "-q"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/subscribe", timeout=2)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "paperwire web did not start"
                time.sleep(0.1)
        assert answer.status_code == 200
        assert "server" not in answer.headers  # uvicorn's banner is not announced
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    # uvicorn shuts down gracefully, then re-raises the signal (systemd counts it as clean).
    assert process.returncode in (0, -signal.SIGTERM), stderr
    assert "Traceback" not in stderr
