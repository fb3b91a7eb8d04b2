"""Processes killed at random points and senders racing (issue 18, "keep it proven"): every
digest arrives, none more than twice, at most one extra copy per kill, the ledger consistent."""

from __future__ import annotations

import collections
import datetime as dt
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from smtpserver import SmtpTestServer
from test_send import announce, paper

from paperwire.sources.arxiv.calendar import latest_announcement_date
from paperwire.store import open_store

READERS = [f"reader{i:02d}@example.org" for i in range(20)]


def _setup(db_url: str, smtp: SmtpTestServer, home: Path) -> tuple[list[str], dict[str, str]]:
    config = home / "paperwire.toml"
    config.write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurity = "none"\n'
        '[sources.arxiv]\ncategories = ["cs.LG"]\n[delivery]\nretry_delay = 0\n'
        + "".join(f'[[subscribers]]\nemail = "{r}"\nkeywords = ["diffusion"]\n' for r in READERS)
    )
    today = latest_announcement_date(dt.datetime.now(dt.UTC))
    with open_store(db_url) as store:
        announce(store, *(paper(f"2611.{n:05d}", f"Diffusion study {n}", today) for n in range(3)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    env |= {"PAPERWIRE_DATABASE__URL": db_url, "HOME": str(home)}
    return [sys.executable, "-m", "paperwire", "send", "--config", str(config)], env


def _copies(smtp: SmtpTestServer) -> collections.Counter[str]:
    return collections.Counter(r for m in smtp.arrivals for r in m.rcpt_tos)


def test_send_killed_at_random_points_never_loses_a_digest_nor_sends_a_third_copy(
    db_url: str, smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    command, env = _setup(db_url, smtp_server, tmp_path)
    chance = random.Random(18)  # the same points on every run of the suite
    kills = 0
    for round_ in range(6):
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if round_ == 0:  # once while it starts and plans
            time.sleep(chance.uniform(0.2, 0.8))
        else:  # then mid-batch: after a few more messages have arrived
            target = len(smtp_server.arrivals) + chance.randint(1, 4)
            deadline = time.monotonic() + 60
            while len(smtp_server.arrivals) < target and process.poll() is None:
                assert time.monotonic() < deadline
                time.sleep(0.002)
        if process.poll() is None:
            process.kill()
            kills += 1
        process.wait()
    before = len(smtp_server.arrivals)
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    assert finished.returncode == 0, finished.stderr
    assert "Traceback" not in finished.stderr
    copies = _copies(smtp_server)
    assert kills >= 4 and 0 < before < len(READERS)  # killed mid-batch, some delivered
    assert set(copies) == set(READERS)  # nothing lost
    assert max(copies.values()) <= 2  # never a third copy
    assert sum(copies.values()) <= len(READERS) + kills  # one in flight per kill at most
    with open_store(db_url) as store:
        assert {d.state for d in store.ledger.deliveries()} == {"sent"}
        assert all(d.claimed_by is None for d in store.ledger.deliveries())


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_three_senders_at_once_deliver_each_digest_once(
    request: pytest.FixtureRequest, backend: str, smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    db_url = str(request.getfixturevalue(f"{backend}_url"))
    command, env = _setup(db_url, smtp_server, tmp_path)

    senders = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    results = [(*p.communicate(timeout=120), p.returncode) for p in senders]

    assert [code for _, _, code in results] == [0, 0, 0], results
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == READERS
    assert sum("sent " in out for out, _, _ in results) >= 1
