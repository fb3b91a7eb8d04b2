"""A digest in each format: the email's HTML and plain text, Markdown (templates/), and JSON.

The templates lay out the view model (digest.view) and hold no logic; the filters here escape
each piece of feed text for its format. HTML is autoescaped, and markup is only ever wrapped
around escaped pieces.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import importlib.util
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from paperwire.digest.view import FeedbackLinks, Footer, PaperView, Piece, digest_view
from paperwire.models import Digest, ScoredPaper, Trending
from paperwire.text import clip_words

TEXT_WIDTH = 72


def templates_dir() -> Path:
    """Where the templates are: the `paperwire.templates` package of an installed wheel, or
    the repository's top-level templates/ in an editable install (setuptools' editable finder
    does not map a sub-package that lives outside src/)."""
    spec = importlib.util.find_spec("paperwire.templates")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parents[3] / "templates"


@functools.lru_cache(maxsize=1)
def _default_templates_dir() -> Path:
    return templates_dir()


def html_pieces(pieces: Iterable[Piece]) -> Markup:
    """Title or abstract pieces as HTML, the reader's words marked (the templates' `pieces`)."""
    # Each piece escaped on its own (html.escape quotes " and ' too, like markupsafe, and is
    # five times faster on a str); only the <strong> around a match is markup.
    return Markup(
        "".join(
            f'<strong class="hl">{html.escape(p.text)}</strong>'
            if p.matched
            else html.escape(p.text)
            for p in pieces
        )
    )


# Feed text in Markdown is text: every character Markdown would read as markup is escaped
# once, here (CommonMark lets a backslash escape any ASCII punctuation). "<" and "&" become
# entities: raw HTML passes through Markdown, and an entity stays inert even after a
# backslash, where "\\<" would not ("\\<script>" is an escaped backslash, then a tag).
_MARKDOWN_MARKUP = re.compile(r"([\\`*_\[\]|~])")  # links need "[": "(" and "!" are safe
_MARKDOWN_LINE_START = re.compile(r"(?m)^([ \t]*)(\d+(?=[.)]))?([-+=#>.)])")
# TeX math is kept as written for viewers that typeset it: inside $…$ only what could make a
# link, an image or a tag is escaped.
_MATH = re.compile(r"(?<![\\$])\$(?=[^\s$])[^$\n]*?(?<=[^\s\\$])\$(?!\d)")


def _markdown_escaped(text: str, at_line_start: bool) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    text = _MARKDOWN_MARKUP.sub(r"\\\1", text)

    # A line starting "- ", "1. ", "# ", "> " would start a list, a heading or a quote (a
    # piece of a title after a highlighted word starts no line).
    def marker(found: re.Match[str]) -> str:
        if found.start() == 0 and not at_line_start:
            return found[0]
        return f"{found[1]}{found[2] or ''}\\{found[3]}"

    return _MARKDOWN_LINE_START.sub(marker, text)


def _markdown_math(math: str) -> str:
    return math.replace("<", "&lt;").replace("](", "]\\(").replace("![", "!\\[")


def _markdown_text(text: str, at_line_start: bool = True) -> str:
    parts, last = [], 0
    for found in _MATH.finditer(text):
        before = _markdown_escaped(text[last : found.start()], at_line_start and last == 0)
        parts += [before, _markdown_math(found.group())]
        last = found.end()
    parts.append(_markdown_escaped(text[last:], at_line_start and last == 0))
    return "".join(parts)


def _markdown_pieces(pieces: Iterable[Piece]) -> str:
    return "".join(
        f"**{_markdown_text(p.text, i == 0)}**" if p.matched else _markdown_text(p.text, i == 0)
        for i, p in enumerate(pieces)
    )


def _markdown_link_text(pieces: Iterable[Piece]) -> str:
    # Brackets are escaped with the rest: an unbalanced one cannot end the link text early.
    return _markdown_pieces(pieces)


def _plain_pieces(pieces: Iterable[Piece]) -> str:
    # The text part's view marks no words of titles and abstracts, only followed authors.
    return "".join(f"*{p.text}*" if p.matched else p.text for p in pieces)


def wrap(text: str, width: int = TEXT_WIDTH, first: str = "", indent: str = "") -> str:
    """`text` filled to `width` columns, `first` before the first line and `indent` before the
    others; words longer than a line (URLs) are never broken. The lines textwrap.fill makes with
    break_long_words and break_on_hyphens off, ten times faster (textwrap takes ~50 µs an
    abstract, a fifth of a digest's time budget)."""
    text = " ".join(text.split())
    lines = []
    prefix, start, end = first, 0, len(text)
    while end - start > width - len(prefix):
        # The last space that still lets the line fit; else the end of a too-long word.
        cut = text.rfind(" ", start, start + width - len(prefix) + 1)
        if cut <= start:
            cut = text.find(" ", start + 1)
            if cut == -1:
                break
        lines.append(prefix + text[start:cut])
        prefix, start = indent, cut + 1
    if start < end:
        lines.append(prefix + text[start:])
    return "\n".join(lines)


@functools.lru_cache(maxsize=4)
def _environment(directory: Path, kind: str) -> Any:
    """One Jinja environment per templates directory and output kind, built once a process."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    environment = Environment(
        loader=FileSystemLoader(directory),
        # Only HTML is escaped: Markdown and text would show "&lt;" for a "<" in a title.
        autoescape=kind == "html",
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    environment.filters["pieces"] = {
        "html": html_pieces,
        "markdown": _markdown_pieces,
        "text": _plain_pieces,
    }[kind]
    environment.filters["md"] = _markdown_text
    environment.filters["link_text"] = _markdown_link_text
    environment.filters["wrap"] = wrap
    environment.filters["clip"] = clip_words
    return environment


@functools.lru_cache(maxsize=1)
def _inliner() -> Any:
    import css_inline

    # Style tags marked data-css-inline="keep" (the dark-mode rules) survive; nothing is fetched.
    return css_inline.CSSInliner(
        load_remote_stylesheets=False, keep_style_tags=False, minify_css=True
    )


def _render(kind: str, template: str, **context: Any) -> str:
    environment = _environment(_default_templates_dir(), kind)
    return environment.get_template(template).render(**context)


def render_html(
    digest: Digest,
    footer: Footer | None = None,
    links: FeedbackLinks | None = None,
    *,
    papers: Sequence[PaperView] | None = None,
) -> str:
    """The email's HTML part: a complete document, CSS inlined, from templates/digest.html.j2;
    with `links`, a 👍 and a 👎 on each paper. `papers`: the papers' views made already
    (paper_view with `links`)."""
    view = digest_view(digest, footer, links=links, papers=papers)
    return _inliner().inline(_render("html", "digest.html.j2", view=view))


def render_text(
    digest: Digest,
    footer: Footer | None = None,
    links: FeedbackLinks | None = None,
    *,
    papers: Sequence[PaperView] | None = None,
) -> str:
    """The email's text/plain part, wrapped at 72 columns, from templates/digest.txt.j2;
    with `links`, a 👍 and a 👎 on each paper. `papers`: the papers' views made already
    (paper_view with `marks=False` and `links`)."""
    # Text has no way to mark a word inside a title; a followed author is *starred*.
    view = digest_view(digest, footer, marks=False, links=links, papers=papers)
    return _render("text", "digest.txt.j2", view=view, width=TEXT_WIDTH).rstrip() + "\n"


def render_markdown(digest: Digest) -> str:
    """The digest as Markdown, from templates/digest.md.j2 (TeX kept for Markdown viewers)."""
    view = digest_view(digest, tex_as_text=False)
    return _render("markdown", "digest.md.j2", view=view).rstrip() + "\n"


# --- JSON --------------------------------------------------------------------------------------


def _paper_json(scored: ScoredPaper) -> dict[str, Any]:
    paper = scored.paper
    return {
        "arxiv_id": paper.arxiv_id,
        "id": paper.key,
        "source": paper.source,
        "doi": paper.doi,
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
        "abs_url": paper.links.get("abs"),
        "pdf_url": paper.links.get("pdf"),
        "url": paper.url or None,
        "upvotes": paper.trending.upvotes if paper.trending else None,
        "huggingface": _trending_json(paper.trending),
    }


def _trending_json(trending: Trending | None) -> dict[str, Any] | None:
    if trending is None:
        return None
    return {
        "featured": trending.featured.isoformat(),
        "upvotes": trending.upvotes,
        "comments": trending.comments,
        "github_repo": trending.github_repo,
        "github_stars": trending.github_stars,
        "project_page": trending.project_page,
        "ai_summary": trending.ai_summary,
        "ai_keywords": list(trending.ai_keywords),
        "organization": trending.organization,
    }


def digest_json(digest: Digest) -> str:
    """The JSON document of SPEC.md: papers in rank order, best first."""
    document = {
        "generated_at": digest.generated_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "subscriber": digest.profile.email,
        "mode": digest.kind,
        "window": {"from": digest.window_from.isoformat(), "to": digest.window_to.isoformat()},
        "papers": [_paper_json(s) for s in digest.papers],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


FORMATS = ("text", "html", "markdown", "json")


def render(
    digest: Digest,
    format: str = "text",
    footer: Footer | None = None,
    links: FeedbackLinks | None = None,
) -> str:
    """A digest in one of FORMATS: the email's text part, its HTML part, Markdown or JSON
    (`footer` and `links` are the email's: for text and HTML)."""
    if format == "text":
        return render_text(digest, footer, links)
    if format == "html":
        return render_html(digest, footer, links)
    if format == "markdown":
        return render_markdown(digest)
    if format == "json":
        return digest_json(digest) + "\n"
    raise ValueError(f"{format!r} is not a format ({', '.join(FORMATS)})")
