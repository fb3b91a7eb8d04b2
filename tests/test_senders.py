"""Several senders sharing one store (issue 17): `paperwire send --deliver-only` processes
claim the planned digests in batches (FOR UPDATE SKIP LOCKED on PostgreSQL) and each digest
goes out once, whichever process sends it."""

from __future__ import annotations

import collections
import datetime as dt
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from smtpserver import SmtpTestServer
from test_send import DAY2 as DAY
from test_send import NOW, announce, paper

from paperwire import Paperwire
from paperwire.delivery.planner import CLAIM_BATCH, PARALLEL_MIN, DigestRun
from paperwire.sources.arxiv.calendar import latest_announcement_date
from paperwire.store import open_store

READERS = [f"reader{i:03d}@example.org" for i in range(6 * CLAIM_BATCH)]


def _plan(db_url: str, smtp: SmtpTestServer, home: Path) -> tuple[list[str], dict[str, str]]:
    """A store with one pending digest per reader (planned, not sent), and the command line
    of a sender that only delivers."""
    config = home / "paperwire.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurity = "none"\n'
        '[sources.arxiv]\ncategories = ["cs.LG"]\n[delivery]\nretry_delay = 0\n'
        + "".join(f'[[subscribers]]\nemail = "{r}"\nkeywords = ["diffusion"]\n' for r in READERS)
    )
    now = dt.datetime.now(dt.UTC)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    env |= {"HOME": str(home)}
    with open_store(db_url) as store:
        day = latest_announcement_date(now)
        announce(store, *(paper(f"2611.{n:05d}", f"Diffusion study {n}", day) for n in range(3)))
        with Paperwire.from_config(config, env=env) as pw:
            run = DigestRun(store, pw.settings, now, pw.channels())
            outcomes = run.plan(pw.readers())
    assert [o.status for o in outcomes] == ["planned"] * len(READERS)
    command = [sys.executable, "-m", "paperwire", "send", "--deliver-only", "--config", str(config)]
    return command, env


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_three_senders_share_the_planned_digests_and_send_each_once(
    request: pytest.FixtureRequest, backend: str, smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    db_url = str(request.getfixturevalue(f"{backend}_url"))
    command, env = _plan(db_url, smtp_server, tmp_path)
    smtp_server.latency = 0.05  # a relay that takes its time: one sender alone needs 6 s

    senders = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    results = [(*p.communicate(timeout=120), p.returncode) for p in senders]

    assert [code for _, _, code in results] == [0, 0, 0], results
    assert all("Traceback" not in err for _, err, _ in results)
    copies = collections.Counter(r for m in smtp_server.messages for r in m.rcpt_tos)
    assert sorted(copies) == READERS and set(copies.values()) == {1}  # each once
    with open_store(db_url) as store:
        deliveries = store.ledger.deliveries()
    assert {d.state for d in deliveries} == {"sent"}
    assert all(d.claimed_by is None and d.attempts == 1 for d in deliveries)
    # Every sender took part: none waited for another's batch to finish.
    sent_by = [int(re.search(r"sent (\d+) digests?", out)[1]) for out, _, _ in results]  # type: ignore[index]
    assert sum(sent_by) == len(READERS) and min(sent_by) > 0, results


def test_deliver_only_plans_nothing(
    sqlite_url: str, smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    command, env = _plan(sqlite_url, smtp_server, tmp_path)
    with open_store(sqlite_url) as store:
        store.ledger.finish(
            store.ledger.pending()[0].id,
            "failed",
            reply="550 no",
            transport="smtp",
            now=dt.datetime.now(dt.UTC),
        )

    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    # The failed reader's days would be planned again by `send`; --deliver-only plans nothing.
    assert len(smtp_server.messages) == len(READERS) - 1
    with open_store(sqlite_url) as store:
        assert len(store.ledger.deliveries()) == len(READERS)


def test_plan_only_records_the_digests_and_deliver_only_sends_them(
    sqlite_url: str, smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    config = tmp_path / "paperwire.toml"
    config.write_text(
        f'[database]\nurl = "{sqlite_url}"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_server.port}\nsecurity = "none"\n'
        '[sources.arxiv]\ncategories = ["cs.LG"]\n'
        + "".join(
            f'[[subscribers]]\nemail = "{r}"\nkeywords = ["diffusion"]\n' for r in READERS[:5]
        )
    )
    with open_store(sqlite_url) as store:
        day = latest_announcement_date(dt.datetime.now(dt.UTC))
        announce(store, *(paper(f"2611.{n:05d}", f"Diffusion study {n}", day) for n in range(3)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")} | {
        "HOME": str(tmp_path)
    }
    send = [sys.executable, "-m", "paperwire", "send", "--config", str(config)]

    planned = subprocess.run([*send, "--plan-only"], env=env, capture_output=True, text=True)
    arrived_after_planning = len(smtp_server.messages)
    with open_store(sqlite_url) as store:
        pending = store.ledger.pending()
    both = subprocess.run(
        [*send, "--plan-only", "--deliver-only"], env=env, capture_output=True, text=True
    )
    delivered = subprocess.run([*send, "--deliver-only"], env=env, capture_output=True, text=True)

    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.startswith("planned 5 digests (15 papers)")
    assert len(pending) == 5 and arrived_after_planning == 0
    assert both.returncode == 2 and "exclude each other" in both.stderr
    assert delivered.returncode == 0 and delivered.stdout.startswith("sent 5 digests")
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == READERS[:5]


@pytest.mark.parametrize("empty", ["skip", "note"])
def test_worker_processes_compose_the_same_emails_as_the_run_itself(
    tmp_path: Path, empty: str, caplog: pytest.LogCaptureFixture
) -> None:
    """With many digests to compose, forked workers compose them; the outbox holds the same
    bytes, in the same order of the ledger, as when the run composes each itself."""
    from paperwire import Settings

    readers = [f"reader{i:03d}@example.org" for i in range(PARALLEL_MIN + 20)]
    outboxes = {}
    for workers in (1, 2):
        home = tmp_path / f"workers{workers}"
        url = f"sqlite:///{home / 'store.sqlite3'}"
        home.mkdir()
        settings = Settings.model_validate(
            {
                "database": {"url": url},
                "sources": {"arxiv": {"categories": ["cs.LG"]}},
                "delivery": {"outbox": str(home / "outbox"), "workers": workers},
                "digest": {"empty": empty},
                # Every sixth reader follows nothing announced: an empty digest.
                "subscribers": [
                    {"email": r, "keywords": ["zebra" if n % 6 == 0 else f"study {n % 3}"]}
                    for n, r in enumerate(readers)
                ],
            }
        )
        with open_store(url) as store:
            announce(
                store, *(paper(f"2611.{n:05d}", f"Diffusion study {n}", DAY) for n in range(3))
            )
            caplog.clear()
            with (
                caplog.at_level(logging.INFO, "paperwire.delivery.planner"),
                Paperwire(settings, store=store, clock=lambda: NOW) as pw,
            ):
                result = pw.send_due()
            used = "starting 2 worker processes" in caplog.text
            assert used == (workers == 2), caplog.text
            assert not result.failed
            outboxes[workers] = [
                (d.subscriber, d.state, d.papers, d.subject) for d in store.ledger.deliveries()
            ]
        outboxes[workers].append(
            tuple(sorted(p.read_bytes() for p in (home / "outbox").glob("*.eml")))  # type: ignore[arg-type]
        )

    assert outboxes[1] == outboxes[2]
    sent = sum(1 for row in outboxes[2][:-1] if row[1] == "sent")
    assert sent == (len(readers) if empty == "note" else len(readers) - len(readers[::6]))
