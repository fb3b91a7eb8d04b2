"""The view model of a digest: what each paper says, decided and formatted, for every format.

Python builds a small view of each paper (title pieces with the matched words marked, author
line, why line, trimmed abstract, links) and of the digest (heading, dates, summary, subject);
the formats (digest.formats and the templates in templates/) only lay it out. Feed text is
never trusted: it is one line of inert text here, and escaped by each format.

The links to a reader's pages (👍/👎 on a paper) come from outside, through a `FeedbackLinks`
(delivery.links.ReaderLinks is one): the view knows no tokens, only the URLs it is given.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from paperwire.digest.kinds import kind_named
from paperwire.digest.words import display_term, format_window
from paperwire.models import (
    ARXIV_BACKED,
    AnnounceType,
    Digest,
    Paper,
    Profile,
    Reason,
    ScoredPaper,
    Trending,
)
from paperwire.tex import tex_to_text
from paperwire.text import CUT_PUNCTUATION, clip_words, one_line, plain_url, plural

ABSTRACT_CHARS = 450  # shown of each abstract, cut at a word boundary
SUBJECT_CHARS = 110


@dataclass(frozen=True, slots=True)
class Footer:
    """What an email's footer offers the reader: all optional."""

    recipient: str = ""  # the subscriber's address, shown as "sent to …"
    unsubscribe_url: str = ""  # an https one-click unsubscribe link
    unsubscribe_mailto: str = ""  # a full "mailto:...?subject=unsubscribe" URL
    preferences_url: str = ""  # an https link to change topics
    more_hint: str = ""  # how to see papers not shown, e.g. "paperwire digest --subscriber …"
    digest_url: str = ""  # an https link to the page of the whole digest; wins over more_hint


class FeedbackLinks(Protocol):
    """Where a reader's 👍 ("up") or 👎 ("down") on a paper goes; "" when nowhere.
    delivery.links.ReaderLinks is one."""

    def feedback(self, paper: str, vote: str) -> str: ...


# --- the view model --------------------------------------------------------------------------
# Read-only by convention, not frozen: a frozen dataclass takes twice as long to build, and a
# digest builds hundreds of these.


@dataclass(slots=True)
class Piece:
    """A run of title or abstract text; `matched` runs are the reader's words."""

    text: str
    matched: bool = False


@dataclass(frozen=True, slots=True)
class WhyItem:
    """One reason, as "<term> <detail>": the term is emphasised, and may be empty. (Frozen:
    these are cached and shared between digests.)"""

    term: str
    detail: str

    @property
    def text(self) -> str:
        return f"{self.term} {self.detail}" if self.term else self.detail


@dataclass(frozen=True, slots=True)
class Link:
    """One of a paper's links: "Abstract", "PDF", "Article", "Code"… (`short` for Markdown's
    compact line: "abs", "pdf", "article", "code")."""

    label: str
    short: str
    url: str


@dataclass(slots=True)
class PaperView:
    """Everything a template shows of one paper, already decided and formatted."""

    rank: int
    key: str
    title: tuple[Piece, ...]
    title_text: str
    url: str  # where the title links: arXiv's abstract page, or the article's
    authors: tuple[Piece, ...]  # "A, B, C … Z (12 authors)", the reader's authors matched
    categories: str  # "cs.LG, also cs.AI, stat.ML", or where a paper from a journal appeared
    label: str  # "New", "Cross-list", "Updated", "Updated cross-list" or ""
    why: tuple[WhyItem, ...]
    abstract: tuple[Piece, ...]
    links: tuple[Link, ...]  # from the source: abstract, PDF, HTML / the article; code, project
    code_url: str  # Hugging Face's GitHub repository, else the first code link in the text
    project_url: str = ""  # the project page Hugging Face knows, or ""
    # What Hugging Face's Daily Papers say, when it featured the paper (None: it did not).
    upvotes: int | None = None
    comments: int | None = None
    github_stars: int | None = None
    stats: str = ""  # "Hugging Face: 42 upvotes, 5 comments · GitHub: 120 stars" or ""
    like_url: str = ""  # the reader's 👍 on this paper, when the digest has pages
    dislike_url: str = ""  # the reader's 👎

    @property
    def authors_text(self) -> str:
        """The author line as plain text."""
        return "".join(piece.text for piece in self.authors)

    @property
    def why_text(self) -> str:
        """The why line as plain text: "multitask learning in title; similar in meaning"."""
        return "; ".join(item.text for item in self.why)


@dataclass(slots=True)
class DigestView:
    """A whole digest, ready to lay out."""

    subject: str
    heading: str  # "arXiv digest" or "Trending on Hugging Face"
    preheader: str
    dates: str  # "Mon 23 Nov 2026" or "18-23 Nov 2026" (with an en dash)
    summary: str  # "7 of 412 papers announced in cs.LG, cs.CL matched."
    topics: str  # "multi-task learning, LoRA; authors: Yann LeCun" or ""
    papers: tuple[PaperView, ...]
    more: str  # "3 more papers matched." or ""
    empty: str  # the note for a digest with nothing in it, or ""
    footer: Footer


def _topics(profile: Profile) -> str:
    parts = []
    keywords = [display_term(k) for k in profile.keywords]
    if keywords:
        parts.append(", ".join(keywords))
    authors = [display_term(a) for a in profile.authors]
    if authors:
        parts.append("authors: " + ", ".join(authors))
    if profile.query.strip():
        parts.append("query: " + " ".join(profile.query.split()))
    if profile.like:
        parts.append("papers like " + ", ".join(profile.like))
    if profile.description.strip():
        parts.append("your description")
    return one_line("; ".join(parts))


# --- abstracts ----------------------------------------------------------------------------------


def trim_text(text: str, limit: int = ABSTRACT_CHARS, *, clipped: bool = False) -> str:
    """`text` cut to about `limit` characters at a word boundary, with "…" when cut (or when
    it was `clipped` before). Text only slightly longer is kept whole, and raw TeX is never
    cut inside `$…$`."""
    if len(text) <= limit + limit // 10 and not clipped:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    if cut.count("$") % 2:  # inside math: stop before it opened
        cut = cut[: cut.rfind("$")]
    return cut.rstrip(CUT_PUNCTUATION + "(") + " …"


# --- highlighting ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=2048)
def _forms_pattern(forms: tuple[str, ...]) -> re.Pattern[str] | None:
    wanted = sorted({f for f in forms if f.strip()}, key=lambda f: (-len(f), f))
    if not wanted:
        return None
    # No lookbehind for the start of a word: it doubles the time the regex takes.
    # highlight_pieces checks the character before instead.
    return re.compile("(?:" + "|".join(re.escape(f) for f in wanted) + r")(?![\w-])")


def highlight_pieces(text: str, forms: Iterable[str]) -> tuple[Piece, ...]:
    """`text` split into pieces, the whole-word occurrences of `forms` marked as matched;
    longer forms first, and matches one space apart joined ("multi-task learning")."""
    pattern = _forms_pattern(tuple(forms))
    if pattern is None or not text:
        return (Piece(text),) if text else ()
    pieces: list[Piece] = []
    position = 0
    match = pattern.search(text)
    while match is not None:
        start, end = match.span()
        if start and (text[start - 1].isalnum() or text[start - 1] in "_-"):
            match = pattern.search(text, start + 1)  # inside a word: look again one on
            continue
        if pieces and pieces[-1].matched and text[position:start] == " ":
            pieces[-1].text += " " + match.group()
        else:
            if start > position:
                pieces.append(Piece(text[position:start]))
            pieces.append(Piece(match.group(), True))
        position = end
        match = pattern.search(text, end)
    if position < len(text):
        pieces.append(Piece(text[position:]))
    return tuple(pieces)


def highlight(text: str, forms: Iterable[str], before: str = "**", after: str = "**") -> str:
    """`text` with each whole-word occurrence of `forms` (words as the paper writes them, from
    the reasons) wrapped in `before` and `after`; longer forms first, never nested."""
    return "".join(
        f"{before}{p.text}{after}" if p.matched else p.text for p in highlight_pieces(text, forms)
    )


def highlight_forms(scored: ScoredPaper) -> list[str]:
    """The words to highlight in a listed paper's title and abstract: not author names, and
    not the stray words of a partial match ("learning" of "multi-task learning" would light
    up every other abstract; the why line names them)."""
    return [f for r in scored.reasons if r.kind not in ("author", "partial") for f in r.forms]


# --- one paper ----------------------------------------------------------------------------------

_TYPE_LABELS = {
    AnnounceType.NEW: "New",
    AnnounceType.CROSS: "Cross-list",
    AnnounceType.REPLACE: "Updated",
    AnnounceType.REPLACE_CROSS: "Updated cross-list",
}

_CODE_URL = re.compile(
    r"(?<![\w.@/-])(?:https?://)?(?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co)"
    r"/[^\s<>\"'{}|\\^`\[\]]+",
    re.IGNORECASE,
)
_URL_TAIL = ".,;:!?)]}'\"*"


def code_url(paper: Paper) -> str:
    """The first GitHub, GitLab or Hugging Face link in the abstract or the comments, as https."""
    return _code_url(paper.abstract, paper.comments or "")


def _code_url(*texts: str) -> str:
    for text in texts:
        lowered = text.lower()
        # The regex is slow to fail on a long abstract; most have no such link at all.
        if (
            "github.com" not in lowered
            and "gitlab.com" not in lowered
            and "huggingface.co" not in lowered
        ):
            continue
        match = _CODE_URL.search(text.replace("\\_", "_").replace("\\#", "#"))
        if match is None:
            continue
        url = match.group().rstrip(_URL_TAIL)
        if "/" not in url.split("://")[-1].rstrip("/"):
            continue  # a bare host, no repository
        return "https://" + url.split("://", 1)[-1]
    return ""


def author_line(authors: Sequence[str]) -> str:
    """All names up to four; beyond, the first three, "…", the last and how many there are."""
    return "".join(piece.text for piece in author_pieces(authors))


def author_pieces(authors: Sequence[str], followed: Iterable[str] = ()) -> tuple[Piece, ...]:
    """The author line as pieces, the `followed` names (as the paper writes them: an author
    reason's forms) matched. All names up to four; beyond, the first three, the last and how
    many there are, and every followed name wherever it stands: "A, B, C … F … Z (12 authors)"."""
    wanted = {one_line(name).casefold() for name in followed}
    names = [one_line(a) for a in authors]
    marked = [name.casefold() in wanted for name in names]
    if len(names) <= 4:
        shown = list(range(len(names)))
    else:
        shown = sorted({0, 1, 2, len(names) - 1} | {i for i, m in enumerate(marked) if m})
    pieces: list[Piece] = []
    plain = ""  # the text since the last matched name
    for position, index in enumerate(shown):
        if position:
            plain += ", " if index == shown[position - 1] + 1 else " … "
        if marked[index]:
            if plain:
                pieces.append(Piece(plain))
            pieces.append(Piece(names[index], True))
            plain = ""
        else:
            plain += names[index]
    if len(names) > 4:
        plain += f" ({len(names)} authors)"
    if plain:
        pieces.append(Piece(plain))
    return tuple(pieces)


def followed_authors(scored: ScoredPaper) -> list[str]:
    """The paper's authors the reader follows, as the paper writes them."""
    return [f for r in scored.reasons if r.kind == "author" for f in r.forms]


def _category_line(paper: Paper) -> str:
    """arXiv's categories, "cs.LG, also cs.AI"; for a paper from a journal's feed, where it
    appeared: "biorxiv-neuro · Journal of X, 12(3)"."""
    if not paper.categories and paper.source not in ARXIV_BACKED:
        return " · ".join(p for p in (paper.source, paper.journal_ref or "") if p)
    primary = paper.primary_category or (paper.categories[0] if paper.categories else "")
    others = [c for c in paper.categories if c != primary]
    if not others:
        return primary
    return f"{primary}, also {', '.join(others)}" if primary else ", ".join(others)


def _places(where: Sequence[str]) -> str:
    return " and ".join(where)


def why_items(reasons: Sequence[Reason]) -> tuple[WhyItem, ...]:
    """Each reason as a short phrase: "multitask learning" "in title and abstract"."""
    return _why_items(tuple(reasons))


@functools.lru_cache(maxsize=4096)
def _why_items(reasons: tuple[Reason, ...]) -> tuple[WhyItem, ...]:
    # Cached: a reader's reasons repeat from paper to paper ("LoRA in title and abstract").
    items = []
    for reason in reasons:
        term = one_line(reason.term)
        if reason.kind == "author":
            names = ", ".join(f for f in reason.forms if f.casefold() != term.casefold())
            detail = "among the authors" + (f" ({one_line(names)})" if names else "")
            items.append(WhyItem(term, detail))
        elif reason.kind == "partial":
            words = {f.casefold(): f for f in reversed(reason.forms)}  # "Inference, inference"
            shown = ", ".join(list(words.values())[::-1][:4])
            detail = "partly" + (f", in {_places(reason.where)}" if reason.where else "")
            items.append(WhyItem(term, detail + (f" ({one_line(shown)})" if shown else "")))
        elif reason.kind == "description":
            items.append(WhyItem("", "close to your description"))
        elif reason.kind == "like":
            items.append(WhyItem("", term if term.startswith("like ") else f"like {term}"))
        elif reason.kind == "semantic":
            items.append(WhyItem("", "similar in meaning"))
        else:  # keyword, query, and any kind added later
            where = f"in {_places(reason.where)}" if reason.where else "matched"
            items.append(WhyItem(term, where))
    return tuple(items)


@functools.lru_cache(maxsize=2048)
def _shown_text(
    title: str, abstract: str, comments: str, tex_as_text: bool
) -> tuple[str, str, str]:
    """The title, the trimmed abstract and the code link as shown: the same for every reader,
    so a batch of digests works them out once a paper (keys are the strings themselves)."""
    code = _code_url(abstract, comments)
    title = one_line(title)
    # Twice what is shown is enough to cut from, even when TeX shrinks as it becomes text;
    # cleaning and TeX never walk a 20,000-character abstract.
    window = ABSTRACT_CHARS * 2
    clipped = len(abstract) > window
    abstract = one_line(abstract[:window])
    if tex_as_text:
        title = tex_to_text(title)
        abstract = tex_to_text(abstract)
    return title, trim_text(abstract, clipped=clipped), code


def trending_stats(trending: Trending | None) -> str:
    """ "Hugging Face: 42 upvotes, 5 comments · GitHub: 120 stars", or "" when unknown."""
    if trending is None:
        return ""
    parts = [plural(trending.upvotes, "upvote", grouped=True)]
    if trending.comments:
        parts.append(plural(trending.comments, "comment", grouped=True))
    line = "Hugging Face: " + ", ".join(parts)
    if trending.github_stars is not None and plain_url(trending.github_repo):
        line += f" \u00b7 GitHub: {plural(trending.github_stars, 'star', grouped=True)}"
    return line


# What each link a source gives is called, in the order they are shown.
_LINK_NAMES = (
    ("abs", "Abstract", "abs"),
    ("pdf", "PDF", "pdf"),
    ("html", "HTML", "html"),
    ("url", "Article", "article"),
)
HUGGING_FACE_PAGE = "https://huggingface.co/papers/"  # + an arXiv id: the paper's page there


def paper_links(paper: Paper, code: str, project: str) -> tuple[Link, ...]:
    """The paper's links as its source gave them (plain http(s) URLs only), its Hugging Face
    page when Hugging Face featured it, then code and project pages, and for a paper off arXiv
    its DOI when no link carries it."""
    links = [
        Link(label, short, url)
        for key, label, short in _LINK_NAMES
        if (url := plain_url(paper.links.get(key)))
    ]
    # The Daily Papers' copy names the page; arXiv's record, merged over it, may not.
    hugging_face = plain_url(paper.links.get("huggingface"))
    if not hugging_face and paper.trending is not None and paper.arxiv_id:
        hugging_face = plain_url(HUGGING_FACE_PAGE + paper.arxiv_id)
    if hugging_face:
        links.append(Link("Hugging Face", "hf", hugging_face))
    if paper.doi and paper.arxiv_id is None:
        doi = plain_url(f"https://doi.org/{paper.doi.strip()}")
        if doi and not any(paper.doi.strip().lower() in link.url.lower() for link in links):
            links.append(Link("DOI", "doi", doi))
    if code:
        links.append(Link("Code", "code", code))
    if project:
        links.append(Link("Project", "project", project))
    return tuple(links)


def paper_view(
    scored: ScoredPaper,
    rank: int,
    *,
    tex_as_text: bool = True,
    marks: bool = True,
    links: FeedbackLinks | None = None,
) -> PaperView:
    """The view model of one listed paper. Markdown keeps TeX (`tex_as_text=False`): its
    viewers typeset `$…$` themselves. Without `marks` (plain text), no word of the title or
    abstract is highlighted; followed authors always are. With `links`, the paper offers the
    reader's 👍 and 👎."""
    paper = scored.paper
    hf = paper.trending
    forms = highlight_forms(scored) if marks else ()
    title, abstract, code = _shown_text(
        paper.title, paper.abstract, paper.comments or "", tex_as_text
    )
    code_link = (plain_url(hf.github_repo) if hf else "") or code
    project = plain_url(hf.project_page) if hf else ""
    shown_links = paper_links(paper, code_link, project)
    first = shown_links[0] if shown_links else None
    return PaperView(
        rank=rank,
        key=paper.key,
        title=highlight_pieces(title, forms),
        title_text=title,
        url=first.url if first and first.short not in ("hf", "code", "project") else "",
        authors=author_pieces(paper.authors, followed_authors(scored)),
        categories=one_line(_category_line(paper)),
        label=_TYPE_LABELS.get(paper.announce_type, "") if paper.announce_type else "",
        why=why_items(scored.reasons),
        abstract=highlight_pieces(abstract, forms),
        links=shown_links,
        code_url=code_link,
        project_url=project,
        upvotes=hf.upvotes if hf else None,
        comments=hf.comments if hf else None,
        github_stars=hf.github_stars if hf and plain_url(hf.github_repo) else None,
        stats=trending_stats(hf),
        like_url=_safe_url(links.feedback(paper.key, "up"), _WEB) if links else "",
        dislike_url=_safe_url(links.feedback(paper.key, "down"), _WEB) if links else "",
    )


# --- the whole digest ---------------------------------------------------------------------------


def render_subject(digest: Digest) -> str:
    """The subject line: how many papers and the best one's title; one line, ≤ 110 chars."""
    return clip_words(
        one_line(tex_to_text(one_line(kind_named(digest.kind).subject(digest)))), SUBJECT_CHARS
    )


_WEB = ("https://", "http://")
_SPACE = re.compile(r"\s")


def _safe_url(url: str, schemes: tuple[str, ...]) -> str:
    url = url.strip()
    return url if url.lower().startswith(schemes) and not _SPACE.search(url) else ""


def digest_view(
    digest: Digest,
    footer: Footer | None = None,
    *,
    tex_as_text: bool = True,
    marks: bool = True,
    links: FeedbackLinks | None = None,
    papers: Sequence[PaperView] | None = None,
) -> DigestView:
    """The view model of a digest, shared by the HTML, text and Markdown templates; with
    `links`, each paper offers the reader's 👍 and 👎. `papers`: the views of the digest's
    papers made already (by paper_view, with these options), as when one digest is laid out
    again with fewer papers."""
    footer = footer or Footer()
    footer = replace(
        footer,
        recipient=one_line(footer.recipient),
        unsubscribe_url=_safe_url(footer.unsubscribe_url, _WEB),
        unsubscribe_mailto=_safe_url(footer.unsubscribe_mailto, ("mailto:",)),
        preferences_url=_safe_url(footer.preferences_url, _WEB),
        more_hint=one_line(footer.more_hint),
        digest_url=_safe_url(footer.digest_url, _WEB),
    )
    if papers is None:
        views = tuple(
            paper_view(scored, rank, tex_as_text=tex_as_text, marks=marks, links=links)
            for rank, scored in enumerate(digest.papers, 1)
        )
    elif len(papers) == len(digest.papers):
        views = tuple(papers)
    else:
        raise ValueError(f"{len(papers)} paper views for a digest of {len(digest.papers)}")
    kind = kind_named(digest.kind)
    dates = format_window(digest.window_from, digest.window_to)
    summary = kind.summary(digest)
    empty = kind.empty_note(digest, dates)
    preheader = summary
    if views:
        top = views[0].title_text if tex_as_text else tex_to_text(views[0].title_text)
        preheader = clip_words(f"{summary} Top: {top}", 150)
    more = kind.more_note(digest.more) if digest.more > 0 else ""
    return DigestView(
        subject=render_subject(digest),
        heading=kind.title(digest),
        preheader=preheader,
        dates=dates,
        summary=summary,
        topics=_topics(digest.profile),
        papers=views,
        more=more,
        empty=empty,
        footer=footer,
    )
