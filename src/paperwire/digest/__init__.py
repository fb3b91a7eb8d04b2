"""Choose a reader's papers for a window of announcement dates and render them."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from paperwire.digest.corpus import refresh_corpus_stats, semantic_vectors
from paperwire.models import Digest, Profile, ScoredPaper
from paperwire.scoring import RankSettings, in_categories
from paperwire.scoring.semantic import Embedder
from paperwire.store import Store


def build_digest(
    store: Store,
    profile: Profile,
    window_from: dt.date,
    window_to: dt.date,
    *,
    now: dt.datetime,
    limit: int,
    min_score: float = 0.0,
    announce_types: list[str] | None = None,
    partial_matches: bool = False,
    settings: RankSettings | None = None,
    embedder: Embedder | None = None,
    skip: Collection[str] = (),
) -> Digest:
    """The best `limit` papers announced in the window for `profile`, scoring at least
    min_score, each with the reasons it is there. Scores use the statistics of the whole store;
    with an `embedder`, the semantic layer is added. Papers in `skip` (arXiv ids the reader
    has already received) are left out before ranking."""
    from paperwire.scoring.ranker import Ranker  # scipy: imported when a digest is built

    announced = store.papers_announced(window_from, window_to, announce_types)
    in_scope = [
        p for p in announced if in_categories(p, profile.categories) and p.arxiv_id not in skip
    ]
    ranker = Ranker(refresh_corpus_stats(store, now), settings)
    liked = store.get_papers(profile.like) if profile.like else {}
    paper_vectors = profile_vector = None
    if embedder is not None and in_scope:
        paper_vectors, [profile_vector] = semantic_vectors(
            store, embedder, in_scope, [profile], liked, now
        )
    ranked = ranker.rank_explained(
        in_scope,
        profile,
        liked=liked,
        min_score=min_score,
        require_match=not partial_matches,
        paper_vectors=paper_vectors,
        profile_vector=profile_vector,
        explain_limit=limit,
    )
    return Digest(profile, window_from, window_to, len(in_scope), ranked[:limit], now, len(ranked))


def _paper_json(scored: ScoredPaper) -> dict[str, Any]:
    paper = scored.paper
    return {
        "arxiv_id": paper.arxiv_id,
        "version": paper.version,
        "title": paper.title,
        "authors": paper.authors,
        "categories": paper.categories,
        "primary_category": paper.primary_category,
        "announce_type": paper.announce_type.value if paper.announce_type else None,
        "announced": paper.announced.isoformat() if paper.announced else None,
        "abstract": paper.abstract,
        "score": round(scored.score, 4),
        "matched": scored.matched,
        "reasons": [
            {"kind": r.kind, "term": r.term, "where": list(r.where), "forms": list(r.forms)}
            for r in scored.reasons
        ],
        "abs_url": paper.abs_url,
        "pdf_url": paper.pdf_url,
        "upvotes": None,
    }


def digest_json(digest: Digest) -> str:
    """The JSON document of SPEC.md: papers in rank order, best first."""
    document = {
        "generated_at": digest.generated_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "subscriber": digest.profile.email,
        "window": {"from": digest.window_from.isoformat(), "to": digest.window_to.isoformat()},
        "papers": [_paper_json(s) for s in digest.papers],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def templates_dir() -> Path:
    """Where the templates are: the `paperwire.templates` package of an installed wheel, or
    the repository's top-level templates/ in an editable install (setuptools' editable finder
    does not map a sub-package that lives outside src/)."""
    spec = importlib.util.find_spec("paperwire.templates")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parents[3] / "templates"


def highlight(text: str, forms: Iterable[str], before: str = "**", after: str = "**") -> str:
    """`text` with each whole-word occurrence of `forms` (words as the paper writes them, from
    the reasons) wrapped in `before` and `after`; longer forms first, never nested."""
    wanted = sorted({f for f in forms if f.strip()}, key=lambda f: (-len(f), f))
    if not wanted:
        return text
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(f) for f in wanted) + r")(?![\w-])")
    marked = pattern.sub(lambda m: f"{before}{m.group(1)}{after}", text)
    return marked.replace(f"{after} {before}", " ")  # one mark around "multi-task learning"


def highlight_forms(scored: ScoredPaper) -> list[str]:
    """The words to highlight in a listed paper's title and abstract (not author names)."""
    return [f for r in scored.reasons if r.kind != "author" for f in r.forms]


def render_markdown(digest: Digest) -> str:
    """The digest as Markdown, from templates/digest.md.j2."""
    # Markdown is text, not HTML: autoescaping would turn "<" in a title into "&lt;".
    environment = Environment(
        loader=FileSystemLoader(templates_dir()),
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters["highlight"] = highlight
    environment.globals["highlight_forms"] = highlight_forms
    return environment.get_template("digest.md.j2").render(digest=digest)
