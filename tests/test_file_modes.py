"""Who may read what paperwire writes: a reader's private feed is readable by the web server
that serves it but its folder cannot be listed; mail in the outbox is the owner's alone; a
digest written over a file keeps that file's mode."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from conftest import PaperwireCLI
from test_atom import feed_of, write_config
from test_outbox import digest_message
from test_send import DAY1, announce, paper

from paperwire.delivery.email.outbox import OutboxTransport
from paperwire.files import turn, write_atomically
from paperwire.store import open_store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most servers run with, whatever this process had."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_a_private_feed_is_world_readable_in_a_folder_nobody_can_list(
    paperwire: PaperwireCLI, sqlite_url: str
) -> None:
    write_config(paperwire.home, channels='["atom"]')
    with open_store(sqlite_url) as store:
        announce(store, paper("2611.00001", "Diffusion models for graphs", DAY1))

    with time_machine.travel(dt.datetime.combine(DAY1, dt.time(12), dt.UTC), tick=False):
        assert paperwire("send").exit_code == 0

    feed = feed_of(paperwire.home)
    assert mode(feed) == 0o644
    assert mode(feed.parent) == 0o711  # others may open a file they know, not list names


def test_outbox_messages_are_the_owners_alone(tmp_path: Path) -> None:
    with OutboxTransport(tmp_path / "outbox") as outbox:
        outbox.send(digest_message())

    [message] = (tmp_path / "outbox").iterdir()
    assert mode(message) == 0o600


def test_a_file_written_over_keeps_its_mode_and_a_new_one_follows_the_umask(
    tmp_path: Path,
) -> None:
    shared, new = tmp_path / "shared.md", tmp_path / "new.md"
    shared.write_text("old")
    shared.chmod(0o664)

    write_atomically(shared, b"digest", durable=False)
    write_atomically(new, b"digest", durable=False)

    assert (mode(shared), shared.read_bytes()) == (0o664, b"digest")
    assert mode(new) == 0o644


def test_two_processes_rebuilding_one_file_take_turns(tmp_path: Path) -> None:
    lock, log = tmp_path / ".feed.lock", tmp_path / "log"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\nfrom paperwire.files import turn\n"
            f"with turn(Path({str(lock)!r})):\n"
            "    print('holding', flush=True)\n    time.sleep(0.5)\n"
            f"    Path({str(log)!r}).write_text('first')\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "holding\n"

    with turn(lock):
        assert log.read_text() == "first"  # waited for the other to finish
    holder.wait(timeout=10)
