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
from paperwire.store.ledger import SENT

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
    # The why line names a liked paper (the three are alike: the first).
    assert listed["2611.02001"] == ("like:like 2611.01000 (Protein folding with contact maps 0)",)
    assert "2611.02003" not in listed  # unrelated papers stay out


def test_the_why_line_names_the_liked_paper_a_paper_is_closest_to(store: Store) -> None:
    colouring = (
        "Graph colouring heuristics assign registers to variables with few spills, using "
        "interference graphs built by the compiler."
    )
    _liked_and_new(store)
    announce(
        store, paper("2611.01009", "Register allocation by graph colouring", colouring, day=DAY1)
    )

    listed = _listed(store, [("2611.01000", UP), ("2611.01001", UP), ("2611.01009", UP)])

    assert listed["2611.02001"] == ("like:like 2611.01000 (Protein folding with contact maps 0)",)
    assert listed["2611.02003"] == (
        "like:like 2611.01009 (Register allocation by graph colouring)",
    )


IMAGES = (
    "Denoising diffusion models generate photographs: a U-Net predicts the noise added to "
    "image pixels, sampled with classifier-free guidance at high resolution."
)
GRAPHS = (
    "Diffusion on graphs spreads node features along edges; the heat kernel of the graph "
    "Laplacian gives a message passing layer for molecules."
)


def _diffusion_days(store: Store) -> None:
    announce(
        store,
        *[
            paper(f"2611.0110{n}", f"Diffusion models for photographs {n}", IMAGES, day=DAY1)
            for n in range(3)
        ],
        paper("2611.02101", "Diffusion models: guided diffusion of image pixels", IMAGES, day=DAY2),
        paper("2611.02102", "Graph diffusion for molecules", GRAPHS, day=DAY2),
    )


def test_without_votes_the_image_paper_comes_first(store: Store) -> None:
    # The baseline of the next test: its keyword alone ranks the image paper first.
    _diffusion_days(store)

    assert list(_listed(store, [])) == ["2611.02101", "2611.02102"]


def test_dislikes_push_papers_much_like_them_down(store: Store) -> None:
    _diffusion_days(store)

    listed = _listed(store, [(f"2611.0110{n}", DOWN) for n in range(3)])

    assert list(listed) == ["2611.02102", "2611.02101"]


def test_one_like_and_two_dislikes_are_three_judgments(store: Store) -> None:
    _liked_and_new(store)

    listed = _listed(store, [("2611.01000", UP), ("2611.01001", DOWN), ("2611.01002", DOWN)])

    assert "2611.02001" in listed  # like the one liked paper, though it names no keyword


# --- a reader who says nothing: their strongest past matches ------------------------------------

NEIGHBOUR = (
    "Learned energy functions over residue contacts predict the 3D structure of a protein "
    "chain; we evaluate on CASP targets and contact maps."
)


def _plan(store: Store, keywords: list[str], now: dt.datetime) -> dict[str, tuple[str, ...]]:
    """Plan the reader's next digest at `now` and mark it sent; its papers and why lines."""
    settings = Settings.model_validate(
        {
            "database": {"url": str(store.engine.url)},
            "sources": {"arxiv": {"categories": ["cs.LG"], "announce_types": ["new"]}},
        }
    )
    wire = Paperwire(settings, store=store, clock=lambda: now)
    subscriptions = wire.subscriptions()
    if store.subscribers.get("ada@example.org") is None:
        subscriptions.add({"email": "ada@example.org", "keywords": keywords})
    else:
        subscriptions.edit("ada@example.org", {"keywords": keywords})
    DigestRun(store, settings, now, wire.channels()).plan(wire.readers())
    waiting = store.ledger.pending()
    if not waiting:
        return {}  # nothing matched: a skipped digest
    [pending] = waiting
    store.ledger.finish(pending.id, SENT, reply="250 OK", transport="outbox", now=now)
    found = store.ledger.listed("ada@example.org", "topics", pending.window_from)
    assert found is not None
    return {p.key: tuple(f"{r.kind}:{r.term}" for r in p.reasons) for p in found[1]}


def _folding_days(store: Store) -> None:
    announce(
        store,
        *[
            paper(f"2611.0100{n}", f"Protein folding with contact maps {n}", FOLDING, day=DAY1)
            for n in range(4)
        ],
    )


def test_past_matches_bring_papers_like_them_on_closer_evidence(store: Store) -> None:
    _folding_days(store)
    first = _plan(store, ["protein folding"], NOW - dt.timedelta(days=1))
    announce(
        store,
        paper("2611.02001", "Contact maps and energy functions", NEIGHBOUR, day=DAY2),
        paper("2611.02002", "Diffusion models for images", day=DAY2),
    )

    listed = _plan(store, ["protein folding"], NOW)

    assert len(first) == 4  # the four full matches of the first day
    assert list(listed) == ["2611.02001"]  # no keyword, but like those; not the unrelated one
    [why] = [r for r in listed["2611.02001"] if r.startswith("like:")]
    assert why.startswith("like:like 2611.0100") and why.endswith(", from an earlier digest")


def test_past_matches_of_keywords_since_dropped_bring_nothing(store: Store) -> None:
    _folding_days(store)
    _plan(store, ["protein folding"], NOW - dt.timedelta(days=1))
    announce(
        store,
        paper("2611.02001", "Contact maps and energy functions", NEIGHBOUR, day=DAY2),
        paper("2611.02002", "Diffusion models for images", day=DAY2),
    )

    listed = _plan(store, ["diffusion"], NOW)  # the reader changed their mind

    assert list(listed) == ["2611.02002"]


def test_without_past_matches_a_neighbour_is_not_listed(store: Store) -> None:
    # The baseline of the tests above: on a first digest, the neighbour names no keyword.
    _folding_days(store)
    announce(store, paper("2611.02001", "Contact maps and energy functions", NEIGHBOUR, day=DAY2))

    assert "2611.02001" not in _plan(store, ["protein folding"], NOW)


def test_a_digest_of_the_day_past_matches_were_sent_still_lists_them(store: Store) -> None:
    # Past matches are not votes: the one-off digest of that day still shows its best papers.
    _folding_days(store)
    _plan(store, ["protein folding"], NOW - dt.timedelta(days=1))
    announce(store, paper("2611.02001", "Contact maps and energy functions", NEIGHBOUR, day=DAY2))
    settings = Settings.model_validate(
        {
            "database": {"url": str(store.engine.url)},
            "sources": {"arxiv": {"categories": ["cs.LG"], "announce_types": ["new"]}},
        }
    )
    wire = Paperwire(settings, store=store, clock=lambda: NOW)
    [reader] = wire.readers()

    result = wire.digest(reader, date=DAY1, fetch=False)

    assert {p.paper.key for p in result.digest.papers} == {f"2611.0100{n}" for n in range(4)}


def test_three_dislikes_and_no_like_keep_the_past_matches(store: Store) -> None:
    _folding_days(store)
    announce(
        store,
        *[
            paper(f"2611.0120{n}", f"Diffusion models for photographs {n}", IMAGES, day=DAY1)
            for n in range(3)
        ],
    )
    _plan(store, ["protein folding"], NOW - dt.timedelta(days=1))
    for n in range(3):
        store.feedback.record("ada@example.org", f"2611.0120{n}", DOWN, "email", NOW)
    announce(store, paper("2611.02001", "Contact maps and energy functions", NEIGHBOUR, day=DAY2))

    listed = _plan(store, ["protein folding"], NOW)

    assert list(listed) == ["2611.02001"]  # still like the reader's earlier best matches
