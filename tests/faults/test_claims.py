"""Claims on the ledger (issue 18, item 3): a claim left by a dead run is taken over, also when
its PID now belongs to another live process."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Iterator

import pytest

from paperwire.delivery.planner import _claim_is_stale, process_owner
from paperwire.models import DeliveryState
from paperwire.store.ledger import Delivery

NOW = dt.datetime(2026, 11, 19, 7, tzinfo=dt.UTC)


def _claimed(by: str) -> Delivery:
    day = NOW.date()
    return Delivery(
        1, "ada@example.org", "topics", "email", day, day, DeliveryState.PENDING, 1, "<m@x>",
        "s", 1, None, None, by, NOW, NOW, None,
    )  # fmt: skip


@pytest.fixture
def stranger() -> Iterator[int]:
    """A live process of this machine that never claimed anything."""
    process = subprocess.Popen(["sleep", "30"])
    yield process.pid
    process.kill()
    process.wait()


def test_a_claim_under_a_reused_pid_is_stale(stranger: int) -> None:
    me = process_owner()
    claimant, _, started = me.partition("@")
    host, _, pid = claimant.rpartition(":")
    assert pid == str(os.getpid()) and started  # this machine has /proc
    boot = started.split(".")[0]

    # The claimant died; its PID went to `stranger`, which started at another moment.
    reused = _claimed(f"{host}:{stranger}@{boot}.1")
    # A claim of the live stranger itself (its own start), and one in the old form.
    with open(f"/proc/{stranger}/stat") as stat:
        ticks = stat.read().rpartition(")")[2].split()[19]
    its_own = _claimed(f"{host}:{stranger}@{boot}.{ticks}")
    old_form = _claimed(f"{host}:{stranger}")

    assert _claim_is_stale(reused, me, NOW)
    assert not _claim_is_stale(its_own, me, NOW)
    assert not _claim_is_stale(old_form, me, NOW)  # as before: a live PID holds it


def test_a_claim_of_a_dead_process_or_another_machine_past_its_lease_is_stale() -> None:
    me = process_owner()
    host = me.partition("@")[0].rpartition(":")[0]
    dead = _claimed(f"{host}:{2**22 + 7}@x.1")  # above pid_max: no such process
    elsewhere = _claimed("other-host:123@x.1")

    assert _claim_is_stale(dead, me, NOW)
    assert not _claim_is_stale(elsewhere, me, NOW + dt.timedelta(minutes=5))
    assert _claim_is_stale(elsewhere, me, NOW + dt.timedelta(hours=1))
