"""A bounded fuzz run of what reads hostile input: every source's parser, the reader's boolean
query language and the search syntax. Not part of the test suite: run it by hand, or nightly.

    python fuzz/fuzz.py [--seconds 60] [--seed 18]

Inputs are the real responses in ../shared/fixtures/real (or $PAPERWIRE_FIXTURES) and the
repository's own fixtures, mutated: bytes flipped, cut, repeated, spliced with each other and
with hostile snippets (entity declarations, deep nesting, huge fields, control characters).
A parser may accept an input or refuse it with FeedFormatError (one line); anything else is a
crash, printed with its input saved under fuzz/crashes/. A query may parse or be refused with
ProfileError. Each input must also finish within --slow seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

import paperwire
from paperwire.errors import PaperwireError, ProfileError
from paperwire.syntax import parse_query  # the query language itself: not a library export

REPO = Path(__file__).resolve().parent.parent
REAL = Path(os.environ.get("PAPERWIRE_FIXTURES", REPO.parent / "shared" / "fixtures" / "real"))
OWN = REPO / "tests" / "fixtures"
CRASHES = Path(__file__).resolve().parent / "crashes"

# Which parser reads which fixture folder (by the folder's or the file's name).
FORMATS = {
    "rss2": "arxiv-rss",
    "rss-atom": "arxiv-rss",
    "api": "arxiv-api",
    "oai": "arxiv-oai",
    "listing-html": "arxiv-listing",
    "feeds": "feed",
    "hf": "huggingface-api",
}
HOSTILE = [
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>',
    b"<!ENTITY xxe SYSTEM 'file:///etc/passwd'>",
    b"[" * 50_000,
    b"{" * 50_000,
    b"<a>" * 20_000,
    b"\x00\x01\x02\x1b[31m\xff\xfe",
    b"A" * 2_000_000,
    b"<title>" + b"x" * 500_000 + b"</title>",
    b"<author><name>" * 5_000,
    b"]]>",
    b"&#0;&#xD800;&#x110000;",
]
QUERY_WORDS = ['"graph neural"', "GNN", "AND", "OR", "NOT", "(", ")", "-survey", '"', "*", "^2"]


def _inputs() -> list[tuple[str, str, bytes]]:
    found = []
    for root in (REAL, OWN):
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.suffix in (".md", ".csv", ".sql", ".gz"):
                continue
            parts = {*path.relative_to(root).parts[:-1], path.parent.name}
            name = next((FORMATS[p] for p in parts if p in FORMATS), None)
            if name is None and path.suffix == ".json":
                name = "huggingface-api"
            if name is not None:
                found.append((name, str(path.relative_to(root)), path.read_bytes()))
    return found


def _mutated(body: bytes, others: list[bytes], chance: random.Random) -> bytes:
    data = bytearray(body)
    for _ in range(chance.randint(1, 4)):
        what = chance.randrange(6)
        at = chance.randrange(len(data) + 1) if data else 0
        if what == 0 and data:  # flip bytes
            for _ in range(chance.randint(1, 16)):
                data[chance.randrange(len(data))] = chance.randrange(256)
        elif what == 1:  # cut
            data = data[:at]
        elif what == 2 and data:  # repeat a slice
            end = min(len(data), at + chance.randint(1, 4096))
            data[at:at] = data[at:end] * chance.randint(2, 50)
        elif what == 3:  # a hostile snippet
            data[at:at] = chance.choice(HOSTILE)
        elif what == 4 and others:  # splice another response in
            other = chance.choice(others)
            start = chance.randrange(len(other) + 1)
            data[at:at] = other[start : start + chance.randint(1, 20_000)]
        else:  # drop a slice
            del data[at : at + chance.randint(1, 2048)]
    return bytes(data)


def _parse(name: str, body: bytes) -> None:
    import datetime as dt

    day = dt.date(2026, 11, 20) if name.startswith("huggingface") else None
    paperwire.parse(name, body, f"fuzz:{name}", day=day)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to run")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--slow", type=float, default=5.0, help="an input slower than this fails")
    args = parser.parse_args(argv)
    chance = random.Random(args.seed)
    inputs = _inputs()
    if not inputs:
        print("no fixtures found", file=sys.stderr)
        return 2
    bodies = [body for _, _, body in inputs]
    counts: dict[str, Counter[str]] = {}
    slowest: dict[str, float] = {}
    crashes = 0
    store = paperwire.open_store("sqlite://")
    ends = time.monotonic() + args.seconds
    while time.monotonic() < ends:
        roll = chance.random()
        if roll < 0.8:
            name, source, body = chance.choice(inputs)
            data = _mutated(body, bodies, chance)
            run = lambda name=name, data=data: _parse(name, data)  # noqa: E731
            refused: tuple[type[BaseException], ...] = (PaperwireError,)
        else:
            words = [chance.choice(QUERY_WORDS) for _ in range(chance.randint(0, 30))]
            text = " ".join(words)
            name, source, data = ("query", "generated", text.encode())
            if roll < 0.9:
                run = lambda text=text: parse_query(text)  # noqa: E731
                refused = (ProfileError,)
            else:
                name = "search"
                run = lambda text=text: store.search(text)  # noqa: E731
                refused = (PaperwireError,)
        started = time.monotonic()
        try:
            run()
            outcome = "ok"
        except refused as exc:
            outcome = "refused" if "\n" not in str(exc) else "refused in several lines"
        except Exception:
            outcome = "crash"
            crashes += 1
            CRASHES.mkdir(exist_ok=True)
            key = hashlib.sha256(data).hexdigest()[:16]
            (CRASHES / f"{name}-{key}.bin").write_bytes(data)
            print(f"crash: {name} from {source} ({key})", file=sys.stderr)
            traceback.print_exc(limit=3)
        took = time.monotonic() - started
        if took > args.slow:
            outcome = "too slow"
        counts.setdefault(name, Counter())[outcome] += 1
        slowest[name] = max(slowest.get(name, 0.0), took)
    store.close()

    outcomes = ["ok", "refused", "refused in several lines", "crash", "too slow"]
    print(f"{'input':<18}" + "".join(f"{o:>26}" for o in outcomes) + f"{'slowest ms':>12}")
    for name in sorted(counts):
        row = "".join(f"{counts[name][o]:>26,}" for o in outcomes)
        print(f"{name:<18}{row}{slowest[name] * 1000:>12,.0f}")
    bad = sum(c["crash"] + c["too slow"] + c["refused in several lines"] for c in counts.values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
