"""👍 feedback reaches the ranker: from three liked papers on, they are the reader's example
papers, and papers like them are listed with a why line saying so; fewer change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sitekit import NOW, announce, paper

from paperwire.app import Paperwire
from paperwire.config import Settings
from paperwire.delivery.planner import DigestRun
from paperwire.store import Store
from paperwire.store.feedback import DOWN, UP

DAY1, DAY2 = dt.date(2026, 11, 23), dt.date(2026, 11, 24)
FOLDING = (
    "Protein structure prediction and folding with learned energy functions over residue "
    "contacts, evaluated on CASP targets."
)


def _liked_and_new(store: Store) -> None:
    announce(
        store,
        *[
            paper(f"2611.0100{n}", f"Protein folding with contact maps {n}", FOLDING, day=DAY1)
            for n in range(4)
        ],
        paper("2611.02001", "Residue contacts predict protein folding energy", FOLDING, day=DAY2),
        paper("2611.02002", "Diffusion models for images", day=DAY2),
        paper("2611.02003", "Graph colouring heuristics for register allocation", day=DAY2),
    )


def _listed(store: Store, votes: list[tuple[str, int]]) -> dict[str, tuple[str, ...]]:
    settings = Settings.model_validate(
        {
            "database": {"url": str(store.engine.url)},
            "sources": {"arxiv": {"categories": ["cs.LG"], "announce_types": ["new"]}},
        }
    )
    wire = Paperwire(settings, store=store, clock=lambda: NOW)
    wire.subscriptions().add({"email": "ada@example.org", "keywords": ["diffusion"]})
    for key, vote in votes:
        store.feedback.record("ada@example.org", key, vote, "email", NOW)
    # Planned only (recorded in the ledger with every listed paper): nothing is delivered.
    DigestRun(store, settings, NOW, wire.channels()).plan(wire.readers())
    found = store.ledger.listed("ada@example.org", "topics", DAY2)
    assert found is not None
    return {p.key: tuple(f"{r.kind}:{r.term}" for r in p.reasons) for p in found[1]}


@pytest.mark.parametrize("liked", [0, 2])
def test_fewer_than_three_likes_change_nothing(store: Store, liked: int) -> None:
    _liked_and_new(store)

    listed = _listed(store, [(f"2611.0100{n}", UP) for n in range(liked)])

    assert list(listed) == ["2611.02002"]


def test_three_likes_bring_papers_like_them_and_say_why(store: Store) -> None:
    _liked_and_new(store)

    listed = _listed(store, [(f"2611.0100{n}", UP) for n in range(3)] + [("2611.01003", DOWN)])

    assert set(listed) == {"2611.02001", "2611.02002"}
    assert listed["2611.02001"] == ("like:like 2611.01000, 2611.01001, 2611.01002",)
    assert "2611.02003" not in listed  # unrelated papers stay out
