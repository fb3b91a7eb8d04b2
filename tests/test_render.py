"""A digest rendered as the email's HTML and text parts, its subject, Markdown and JSON."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import re
import textwrap

import pytest
from bs4 import BeautifulSoup

from paperwire import digest as digest_package
from paperwire.digest import formats, view
from paperwire.digest.formats import digest_json, render_html, render_markdown, render_text, wrap
from paperwire.digest.view import Footer, paper_view, render_subject
from paperwire.models import AnnounceType, Digest, Paper, Profile, Reason, ScoredPaper, Trending
from paperwire.sources.arxiv.ids import arxiv_links
from paperwire.tex import tex_to_text

DAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 6, tzinfo=dt.UTC)
SCRIPT_O = "\U0001d4aa"  # MATHEMATICAL SCRIPT CAPITAL O: pylatexenc's \mathcal{O}
EN_DASH = "\u2013"
HOSTILE = (
    '<script>alert(1)</script> "><img src=x onerror=alert(2)> {{ 7*7 }} {% if 1 %}if{% endif %}'
)
MTL = Reason(
    "keyword",
    "multitask learning",
    ("title", "abstract"),
    ("Multi-Task", "Learning", "multi-task", "learning", "MTL"),
)


def _paper(arxiv_id: str, title: str, abstract: str, **fields: object) -> Paper:
    values: dict = {
        "authors": ["Ana Rodríguez", "Jörg Müller"],
        "categories": ["cs.LG", "cs.AI"],
        "primary_category": "cs.LG",
        "version": 1,
        "announce_type": AnnounceType.NEW,
        "announced": DAY,
    }
    values.update(fields)
    values.setdefault("links", arxiv_links(arxiv_id))
    return Paper(arxiv_id, title, abstract, **values)


def _scored(paper: Paper, *reasons: Reason, score: float = 5.0) -> ScoredPaper:
    return ScoredPaper(paper, score, [r.term for r in reasons], list(reasons))


MTL_PAPER = _scored(
    _paper(
        "2611.10001",
        "Multi-Task Learning with Shared Low-Rank Adapters",
        "We study multi-task learning (MTL) with low-rank adapters and show that sharing "
        "one adapter across tasks is enough.",
    ),
    MTL,
    Reason("author", "Jorg Muller", ("authors",), ("Jörg Müller",)),
    score=9.0,
)
TEX_PAPER = _scored(
    _paper(
        "2611.10002",
        r"Attention in $\mathcal{O}(n \log n)$ Time",
        r"We reduce attention from $\mathcal{O}(n^2)$ to \emph{near-linear} cost for "
        r"multi-task learning, and 95% of the accuracy & more survives.",
    ),
    MTL,
)
HOSTILE_PAPER = _scored(
    _paper(
        "2611.10003",
        f"Robust {HOSTILE}\nMulti-Task\tLearning",
        f"Abstract {HOSTILE} end.",
        authors=["Eve <script>alert(3)</script>", 'Mallory "><b onmouseover=alert(4)>x'],
        categories=["cs.LG", "<i>cs.CR</i>"],
    ),
    MTL,
    Reason("keyword", "<u>term</u>", ("abstract",), ()),
)
MANY_AUTHORS = _scored(
    _paper(
        "2611.10004",
        "A Large Collaboration on Multi-Task Learning",
        "Twelve of us study multi-task learning.",
        authors=[f"Author {n} Lastname{n}" for n in range(1, 13)],
    ),
    MTL,
)
CROSS_LIST = _scored(
    _paper(
        "2611.10005",
        "Protein Graphs for Molecule Design",
        "Graph neural networks for proteins and molecules.",
        categories=["q-bio.BM", "cs.LG"],
        primary_category="q-bio.BM",
        announce_type=AnnounceType.CROSS,
    ),
    Reason("partial", "graph neural molecules", (), ("Graph", "molecules")),
)
WITH_CODE = _scored(
    _paper(
        "2611.10006",
        "Adapters at Scale",
        "We release everything (code: https://github.com/ada/mtl-lora). Multi-task learning "
        "is cheap.",
        announce_type=AnnounceType.REPLACE,
    ),
    MTL,
)
PROFILE = Profile(
    categories=["cs.LG", "cs.CL"],
    keywords=["multitask learning^2", "LoRA"],
    authors=["Jorg Muller"],
    email="ada@example.org",
)
FOOTER = Footer(
    recipient="ada@example.org",
    unsubscribe_url="https://paperwire.example.org/u/3f9c",
    unsubscribe_mailto="mailto:digest@example.org?subject=unsubscribe",
    preferences_url="https://paperwire.example.org/p/3f9c",
    more_hint="paperwire digest --subscriber ada@example.org --since 2026-11-20",
)
ALL = [MTL_PAPER, TEX_PAPER, HOSTILE_PAPER, MANY_AUTHORS, CROSS_LIST, WITH_CODE]
PAGES = "https://paperwire.example.org"


class Votes:
    """Stands for delivery.links.ReaderLinks: where a reader's 👍 or 👎 on a paper goes."""

    def feedback(self, paper: str, vote: str) -> str:
        return f"{PAGES}/feedback?paper={paper}&vote={vote}"


def _digest(
    papers: list[ScoredPaper] | None = None,
    *,
    matched: int = -1,
    window_from: dt.date = DAY,
    profile: Profile = PROFILE,
) -> Digest:
    shown = ALL if papers is None else papers
    return Digest(profile, window_from, DAY, 412, shown, NOW, matched)


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _paper_cell(soup: BeautifulSoup, arxiv_id: str):
    link = soup.find("a", class_="ta", href=f"https://arxiv.org/abs/{arxiv_id}")
    assert link is not None, f"no title link for {arxiv_id}"
    return link.find_parent("td")


# --- HTML: safety -------------------------------------------------------------------------------


def test_html_has_no_script_and_feed_markup_stays_text() -> None:
    soup = _soup(render_html(_digest(), FOOTER))

    assert soup.find_all("script") == []
    assert soup.find_all("img") == []
    assert not [tag for tag in soup.find_all(True) if "onerror" in tag.attrs]
    assert not [tag for tag in soup.find_all(True) if "onmouseover" in tag.attrs]
    assert soup.find_all(["i", "u"]) == []
    cell = _paper_cell(soup, "2611.10003")
    for shown in (
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(2)>',
        "Eve <script>alert(3)</script>",
        'Mallory "><b onmouseover=alert(4)>x',
        "also <i>cs.CR</i>",
        "<u>term</u> in abstract",
    ):
        assert shown in cell.get_text()


def test_template_syntax_in_feed_text_is_not_evaluated() -> None:
    html = render_html(_digest(), FOOTER)
    text = render_text(_digest(), FOOTER)
    from markdown_it import MarkdownIt

    markdown = _soup(MarkdownIt().render(render_markdown(_digest()))).get_text()

    for output in (_soup(html).get_text(), text, markdown):
        output = " ".join(output.split())  # the text part wraps lines
        assert "{{ 7*7 }}" in output
        assert "{% if 1 %}if{% endif %}" in output
        assert "49" not in output


def test_markdown_never_passes_feed_markup_through_as_html() -> None:
    markdown = render_markdown(_digest())

    assert "<script" not in markdown and "<img" not in markdown
    assert "&lt;script>alert(1)&lt;/script>" in markdown


def test_markdown_shows_feed_text_as_written_whatever_its_punctuation() -> None:
    from markdown_it import MarkdownIt

    title = "A ![x](https://e.example/i.png) *star* [2] `code` A_B_C"
    authors = ["J. *Star* Doe", "B_o_b"]
    abstract = "- not a list\n1. nor this; `code` and **bold** and x < y & z, $a_1 * b_2$."
    paper = _scored(_paper("2611.10098", title, abstract, authors=authors))

    soup = _soup(MarkdownIt().render(render_markdown(_digest([paper]))))

    link = next(a for a in soup.find_all("a") if a["href"].endswith("/abs/2611.10098"))
    assert link.get_text() == title  # escaped once: the link is whole, its text as written
    assert soup.find(["em", "code", "img", "ul", "ol"]) is None
    shown = soup.get_text()
    assert "J. *Star* Doe, B_o_b" in shown
    assert "- not a list 1. nor this; `code` and **bold** and x < y & z" in " ".join(shown.split())
    assert "$a_1 * b_2$" in shown  # TeX as written, for viewers that typeset it


def test_markdown_never_turns_feed_text_into_links_or_images() -> None:
    from markdown_it import MarkdownIt  # rich's own Markdown parser, installed with paperwire

    hostile = _scored(
        _paper(
            "2611.10099",
            "Click [here](javascript:alert(1)) now",
            "See [the code](javascript:alert(1)) and ![pixel](https://evil.example/t.png).",
        )
    )

    html = MarkdownIt().render(render_markdown(_digest([hostile])))

    soup = _soup(html)
    assert soup.find("img") is None
    assert [a["href"] for a in soup.find_all("a") if "arxiv.org" not in a["href"]] == []
    text = " ".join(soup.get_text().split())
    assert "See [the code](javascript:alert(1)) and ![pixel](https://evil.example/t.png)." in text


def test_text_part_shows_feed_markup_as_it_is_without_entities() -> None:
    text = render_text(_digest(), FOOTER)

    assert "<script>alert(1)</script>" in text
    assert "&lt;" not in text and "&amp;" not in text and "&#" not in text


def test_footer_links_of_other_schemes_are_dropped() -> None:
    footer = Footer(unsubscribe_url="javascript:alert(1)", preferences_url="data:text/html,x")

    soup = _soup(render_html(_digest(), footer))

    # Only the web and the list of titles' links down to each paper ("#p1").
    assert not [a for a in soup.find_all("a") if not a["href"].startswith(("https://", "#p"))]
    assert "reply to this email" in soup.get_text()


# --- HTML: an email, inlined --------------------------------------------------------------------


def test_css_is_inlined_and_only_the_dark_mode_block_is_kept() -> None:
    soup = _soup(render_html(_digest(), FOOTER))

    [style] = soup.find_all("style")
    assert style.get("data-css-inline") == "keep"
    assert "@media (prefers-color-scheme:dark)" in style.text and "!important" in style.text
    assert all(p.get("style") for p in soup.find_all("p"))
    assert "font-size:15px" in soup.find("table", class_="c")["style"]  # inherited
    assert soup.find("meta", attrs={"name": "color-scheme"})["content"] == "light dark"
    assert soup.find("meta", attrs={"name": "supported-color-schemes"})["content"] == "light dark"


def test_nothing_is_fetched_from_outside() -> None:
    soup = _soup(render_html(_digest(), FOOTER))

    assert soup.find_all("link") == [] and soup.find_all("img") == []
    assert not [tag for tag in soup.find_all(True) if tag.get("src")]
    assert "url(" not in str(soup)


def test_layout_is_presentation_tables_in_one_column_at_most_640px() -> None:
    soup = _soup(render_html(_digest(), FOOTER))

    tables = soup.find_all("table")
    assert tables and all(t.get("role") == "presentation" for t in tables)
    container = soup.find("table", class_="c")
    assert "max-width:640px" in container["style"] and container["width"] == "100%"
    assert "overflow-wrap:anywhere" in container["style"]  # long words and URLs wrap


def test_preheader_is_hidden_and_names_the_count_and_top_paper() -> None:
    soup = _soup(render_html(_digest(), FOOTER))

    preheader = soup.body.find("div")
    assert "display:none" in preheader["style"]
    assert preheader.get_text().startswith("6 of 412 papers announced in cs.LG, cs.CL matched.")
    assert "Top: Multi-Task Learning with Shared Low-Rank Adapters" in preheader.get_text()


# --- content ------------------------------------------------------------------------------------


def test_each_paper_links_its_abstract_pdf_and_html() -> None:
    soup = _soup(render_html(_digest(), FOOTER))

    cell = _paper_cell(soup, "2611.10001")
    links = {a.get_text(): a["href"] for a in cell.find_all("a", class_="lk")}
    assert links == {
        "Abstract": "https://arxiv.org/abs/2611.10001",
        "PDF": "https://arxiv.org/pdf/2611.10001",
        "HTML": "https://arxiv.org/html/2611.10001",
    }


def test_a_github_link_in_the_abstract_becomes_a_code_link() -> None:
    soup = _soup(render_html(_digest(), FOOTER))

    code = _paper_cell(soup, "2611.10006").find("a", string="Code")
    assert code["href"] == "https://github.com/ada/mtl-lora"  # without the ")." after it
    assert _paper_cell(soup, "2611.10001").find("a", string="Code") is None
    assert "Code:     https://github.com/ada/mtl-lora\n" in render_text(_digest(), FOOTER)


@pytest.mark.parametrize(
    ("abstract", "comments", "expected"),
    [
        ("See github.com/ada/mtl-lora, and more.", None, "https://github.com/ada/mtl-lora"),
        ("No code.", "Code at http://gitlab.com/a/b;", "https://gitlab.com/a/b"),
        (
            r"Weights: \url{https://huggingface.co/ada/m\_1}.",
            None,
            "https://huggingface.co/ada/m_1",
        ),
        ("Our site is github.com only.", None, ""),
        ("Mail me at ada@github.com/x", None, ""),
    ],
)
def test_code_link_is_found_and_cleaned(abstract: str, comments: str | None, expected: str) -> None:
    paper = _paper("2611.10009", "T", abstract, comments=comments)

    assert view.code_url(paper) == expected


def test_matched_words_are_highlighted_in_title_and_abstract() -> None:
    cell = _paper_cell(_soup(render_html(_digest(), FOOTER)), "2611.10001")

    title_marks = [s.get_text() for s in cell.find("p", class_="t").find_all("strong", class_="hl")]
    abstract_marks = [s.get_text() for s in cell.find("p", class_="a").find_all("strong")]
    assert title_marks == ["Multi-Task Learning"]
    assert abstract_marks == ["multi-task learning", "MTL"]


def test_highlighting_hostile_text_still_escapes_it() -> None:
    html = render_html(_digest([HOSTILE_PAPER]), FOOTER)

    title = _soup(html).find("p", class_="t")
    assert [s.get_text() for s in title.find_all("strong")] == ["Multi-Task Learning"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_authors_beyond_four_are_shortened_to_the_first_three_and_the_last() -> None:
    cell = _paper_cell(_soup(render_html(_digest(), FOOTER)), "2611.10004")

    authors = cell.find("p", class_="m").get_text("\n").splitlines()[0]
    assert authors == (
        "Author 1 Lastname1, Author 2 Lastname2, Author 3 Lastname3 … Author 12 Lastname12 "
        "(12 authors)"
    )
    assert view.author_line(["A", "B", "C", "D"]) == "A, B, C, D"


def test_categories_and_announce_type_label() -> None:
    soup = _soup(render_html(_digest(), FOOTER))

    cross = _paper_cell(soup, "2611.10005").find("p", class_="m")
    assert "q-bio.BM, also cs.LG" in cross.get_text()
    assert cross.find("span", class_="lb").get_text() == "Cross-list"
    assert _paper_cell(soup, "2611.10006").find("span", class_="lb").get_text() == "Updated"
    assert _paper_cell(soup, "2611.10001").find("span", class_="lb").get_text() == "New"


def test_why_line_says_what_matched_where() -> None:
    reasons = [
        MTL,
        Reason("author", "Jorg Muller", ("authors",), ("Jörg Müller",)),
        Reason("partial", "score matching", (), ("Matching", "matching")),
        Reason("description", "description", ("abstract",), ("adapters",)),
        Reason("like", "like 2401.01234", ("abstract",), ()),
        Reason("semantic", "similar meaning"),
    ]

    text = render_text(_digest([_scored(MTL_PAPER.paper, *reasons)]), FOOTER)

    why = " ".join(text.split("Why: ", 1)[1].split("\n\n", 1)[0].split())
    assert why == (
        "multitask learning in title and abstract; Jorg Muller among the authors (Jörg Müller); "
        "score matching partly (Matching); close to your description; like 2401.01234; "
        "similar in meaning"
    )


def test_why_line_emphasises_the_terms_in_html() -> None:
    cell = _paper_cell(_soup(render_html(_digest(), FOOTER)), "2611.10001")

    why = cell.find("p", class_="w")
    assert why.get_text().startswith("Why: multitask learning in title and abstract;")
    assert [b.get_text() for b in why.find_all("b")] == ["multitask learning", "Jorg Muller"]


def test_tex_is_shown_as_text_in_html_and_text() -> None:
    html_text = _soup(render_html(_digest([TEX_PAPER]), FOOTER)).get_text()
    text = render_text(_digest([TEX_PAPER]), FOOTER)

    for output in (html_text, text):
        assert "\\mathcal" not in output and "\\emph" not in output and "$" not in output
        assert f"{SCRIPT_O}(n^2)" in output and "near-linear cost" in output
        assert f"{SCRIPT_O}(n log n) Time" in output
        assert "95% of the accuracy & more survives" in output  # % and & are not TeX here


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (r"$n^{-1/2}$", "n^{-1/2}"),
        (r"$x_{ij}$", "x_{ij}"),
        (r"$n^2$", "n^2"),
        (r"$n^{2}$", "n^2"),
        (r"$n^{\alpha}$", "n^\u03b1"),
        (r"$e^{-x^{2}}$", "e^{-x^2}"),
        (r"$\sum_{i=1}^{n} a_i$", "\u2211_{i=1}^n a_i"),
        (r"{B}ayesian", "{B}ayesian"),  # not TeX math: left as written
    ],
)
def test_a_longer_super_or_subscript_keeps_its_braces(tex: str, text: str) -> None:
    assert tex_to_text(tex) == text


def test_grouped_exponents_read_right_in_html_text_and_markdown() -> None:
    paper = _scored(_paper("2611.10017", r"Rates of $n^{-1/2}$ for $x_{ij}$ and $n^2$", "x"))
    digest = _digest([paper])

    html_title = _soup(render_html(digest, FOOTER)).find("p", class_="t").get_text()
    text = render_text(digest, FOOTER)

    assert html_title == "1. Rates of n^{-1/2} for x_{ij} and n^2"
    assert " 1. Rates of n^{-1/2} for x_{ij} and n^2\n" in text
    assert r"Rates of $n^{-1/2}$ for $x_{ij}$ and $n^2$" in render_markdown(digest)
    assert render_subject(digest) == "1 new paper for you: Rates of n^{-1/2} for x_{ij} and n^2"


def test_markdown_keeps_tex_for_viewers_that_typeset_it() -> None:
    assert r"$\mathcal{O}(n^2)$" in render_markdown(_digest([TEX_PAPER]))


def test_tex_with_an_authors_own_macro_is_shown_as_written() -> None:
    # pylatexenc would drop \RR silently and show "M ∈^d"; the TeX says more.
    paper = _scored(
        _paper("2611.10014", "T", r"A rank-$r$ matrix $M \in \RR^{d}$ is $\left(x\right)$.")
    )

    text = render_text(_digest([paper]), FOOTER)

    assert r"A rank-r matrix $M \in \RR^{d}$ is (x)." in text


def test_dollar_prices_are_not_taken_for_math() -> None:
    paper = _scored(_paper("2611.10015", "T", r"It costs $5 and saves $10 for $n^2$ items."))

    assert "It costs $5 and saves $10 for n^2 items." in render_text(_digest([paper]), FOOTER)


def test_broken_tex_is_shown_raw() -> None:
    broken = _scored(_paper("2611.10010", r"On $\frac{a", r"Bound \frac{1}{ and $x$ here."))

    text = render_text(_digest([broken]), FOOTER)

    assert r"On $\frac{a" in text
    assert r"Bound \frac{1}{ and x here." in text


def test_long_abstract_is_cut_near_450_characters_at_a_word() -> None:
    words = [f"word{n}" for n in range(400)]
    paper = _scored(_paper("2611.10011", "Long", " ".join(words)))

    [view_abstract] = paper_view(paper, 1).abstract
    shown = view_abstract.text

    assert 400 <= len(shown) <= 460 and shown.endswith(" …")
    assert shown.removesuffix(" …").split()[-1] in words


def test_header_names_the_day_the_counts_and_the_topics_without_weights() -> None:
    text = render_text(_digest(matched=7, papers=[MTL_PAPER]), FOOTER)

    assert text.startswith("arXiv digest · Mon 23 Nov 2026\n")
    assert "7 of 412 papers announced in cs.LG, cs.CL matched." in text
    assert "Your topics: multitask learning, LoRA; authors: Jorg Muller." in text


@pytest.mark.parametrize(
    ("window_from", "shown"),
    [
        (dt.date(2026, 11, 18), f"18{EN_DASH}23 Nov 2026"),
        (dt.date(2026, 10, 30), f"30 Oct {EN_DASH} 23 Nov 2026"),
        (dt.date(2025, 12, 30), f"30 Dec 2025 {EN_DASH} 23 Nov 2026"),
    ],
)
def test_a_window_of_several_days_is_shown_as_a_range(window_from: dt.date, shown: str) -> None:
    html = render_html(_digest(window_from=window_from), FOOTER)

    assert _soup(html).find("h1").get_text() == f"arXiv digest · {shown}"


def test_papers_not_shown_are_counted_with_the_way_to_see_them() -> None:
    digest = _digest([MTL_PAPER, TEX_PAPER], matched=5)

    soup = _soup(render_html(digest, FOOTER))
    text = render_text(digest, FOOTER)

    more = soup.find("td", class_="more")
    assert more.get_text().startswith("3 more papers matched.")
    assert more.find("code").get_text() == FOOTER.more_hint
    assert "3 more papers matched.\nTo see them:\n    paperwire digest --subscriber" in text
    assert "more paper" not in render_text(_digest([MTL_PAPER]), FOOTER)


def test_with_a_digest_page_the_papers_not_shown_link_to_it_instead_of_the_command() -> None:
    digest = _digest([MTL_PAPER, TEX_PAPER], matched=5)
    footer = dataclasses.replace(FOOTER, digest_url=f"{PAGES}/digest?day=2026-11-23&token=t")

    more = _soup(render_html(digest, footer)).find("td", class_="more")
    text = render_text(digest, footer)

    assert more.get_text() == "3 more papers matched. See every paper of this digest"
    [link] = more.find_all("a")
    assert link["href"] == f"{PAGES}/digest?day=2026-11-23&token=t"
    assert more.find("code") is None
    assert (
        "3 more papers matched.\nSee every paper of this digest:\n"
        f"    {PAGES}/digest?day=2026-11-23&token=t\n"
    ) in text
    assert "paperwire digest --subscriber" not in text


def test_empty_digest_says_nothing_matched() -> None:
    digest = _digest([], matched=0)
    note = "Nothing matched your topics among the 412 papers announced on Mon 23 Nov 2026."

    assert note in _soup(render_html(digest, FOOTER)).get_text()
    assert note in " ".join(render_text(digest, FOOTER).split())
    assert note in render_markdown(digest)
    assert render_subject(digest) == "No new papers matched on 23 Nov"
    assert _soup(render_html(digest, FOOTER)).find("a", class_="ta") is None


def test_footer_offers_links_when_given_and_a_reply_otherwise() -> None:
    soup = _soup(render_html(_digest(), FOOTER))
    bare = _soup(render_html(_digest(), None))

    footer = soup.find("td", class_="f")
    assert "Sent to ada@example.org" in footer.get_text()
    hrefs = {a.get_text(): a["href"] for a in footer.find_all("a")}
    assert hrefs == {
        "Change your topics": FOOTER.preferences_url,
        "Unsubscribe": FOOTER.unsubscribe_url,
        "by email": FOOTER.unsubscribe_mailto,
    }
    bare_footer = bare.find("td", class_="f").get_text()
    assert bare.find("td", class_="f").find("a") is None
    assert "To change your topics, reply to this email" in bare_footer
    assert "reply with “unsubscribe”" in bare_footer and "paperwire" in bare_footer


# --- the reader's 👍 and 👎 -----------------------------------------------------------------------


def test_with_pages_each_paper_offers_more_and_less_like_this() -> None:
    soup = _soup(render_html(_digest(), FOOTER, Votes()))

    for scored in ALL:
        key = scored.paper.key
        votes = _paper_cell(soup, key).find("p", class_="fb").find_all("a")
        assert [(a.get_text(), a["href"]) for a in votes] == [
            ("👍 More like this", f"{PAGES}/feedback?paper={key}&vote=up"),
            ("👎 Not for me", f"{PAGES}/feedback?paper={key}&vote=down"),
        ]


def test_the_text_part_gives_each_vote_its_url() -> None:
    text = render_text(_digest([MTL_PAPER, CROSS_LIST]), FOOTER, Votes())

    assert (
        "    HTML:     https://arxiv.org/html/2611.10001\n"
        f"    👍 More like this: {PAGES}/feedback?paper=2611.10001&vote=up\n"
        f"    👎 Not for me: {PAGES}/feedback?paper=2611.10001&vote=down\n"
    ) in text
    assert f"    👎 Not for me: {PAGES}/feedback?paper=2611.10005&vote=down\n" in text


def test_without_pages_there_is_no_vote() -> None:
    html = render_html(_digest(), FOOTER)
    text = render_text(_digest(), FOOTER)

    assert _soup(html).find("p", class_="fb") is None
    for output in (html, text):
        assert "like this" not in output and "/feedback" not in output


def test_a_vote_url_of_another_scheme_is_dropped() -> None:
    class Hostile:
        def feedback(self, paper: str, vote: str) -> str:
            return "javascript:alert(1)"

    html = render_html(_digest([MTL_PAPER]), FOOTER, Hostile())

    assert "javascript" not in html and "like this" not in html


# --- the list of titles -------------------------------------------------------------------------


def test_a_list_of_the_titles_at_the_top_links_down_to_each_paper() -> None:
    soup = _soup(render_html(_digest(), FOOTER))

    contents = soup.find("td", class_="h").find("ol")
    listed = [(a.get_text(), a["href"]) for a in contents.find_all("a")]
    assert listed == [
        ("Multi-Task Learning with Shared Low-Rank Adapters", "#p1"),
        (f"Attention in {SCRIPT_O}(n log n) Time", "#p2"),
        ('Robust <script>alert(1)</script> "><img src=x onerror=alert(2)> {{ 7*7 }} {%…', "#p3"),
        ("A Large Collaboration on Multi-Task Learning", "#p4"),
        ("Protein Graphs for Molecule Design", "#p5"),
        ("Adapters at Scale", "#p6"),
    ]
    for scored, (_, anchor) in zip(ALL, listed, strict=True):
        assert soup.find(id=anchor[1:]) is _paper_cell(soup, scored.paper.key)
    ids = [tag["id"] for tag in soup.find_all(id=True)]
    assert len(ids) == len(set(ids))


def test_the_text_part_lists_the_titles_numbered_after_the_summary() -> None:
    text = render_text(_digest([MTL_PAPER, TEX_PAPER, CROSS_LIST]), FOOTER)

    assert (
        "Your topics: multitask learning, LoRA; authors: Jorg Muller.\n\n"
        " 1. Multi-Task Learning with Shared Low-Rank Adapters\n"
        f" 2. Attention in {SCRIPT_O}(n log n) Time\n"
        " 3. Protein Graphs for Molecule Design\n\n---"
    ) in text


def test_a_long_title_is_cut_to_one_line_in_the_list() -> None:
    title = "Multi-Task Learning " + "with many words of varying length " * 5
    text = render_text(_digest([_scored(_paper("2611.10016", title, "x")), MTL_PAPER]), FOOTER)

    listed = text.split("\n\n")[2].splitlines()
    assert listed == [
        " 1. Multi-Task Learning with many words of varying length with many…",
        " 2. Multi-Task Learning with Shared Low-Rank Adapters",
    ]
    assert max(len(line) for line in listed) <= 72


def test_a_digest_of_one_paper_has_no_list_of_titles() -> None:
    soup = _soup(render_html(_digest([MTL_PAPER]), FOOTER))
    text = render_text(_digest([MTL_PAPER]), FOOTER)

    assert soup.find("ol") is None
    assert text.count("Multi-Task Learning with Shared Low-Rank Adapters") == 1


# --- followed authors ---------------------------------------------------------------------------


def test_a_followed_author_is_emphasised_in_every_format() -> None:
    digest = _digest([MTL_PAPER])

    line = _soup(render_html(digest, FOOTER)).find("p", class_="m")
    assert [s.get_text() for s in line.find_all("strong")] == ["Jörg Müller"]
    assert "    Ana Rodríguez, *Jörg Müller*\n" in render_text(digest, FOOTER)
    assert "Ana Rodríguez, **Jörg Müller** · cs.LG" in render_markdown(digest)


def test_a_followed_author_deep_in_a_long_list_is_still_shown() -> None:
    followed = _scored(
        MANY_AUTHORS.paper,
        MTL,
        Reason("author", "Lastname7", ("authors",), ("Author 7 Lastname7",)),
    )

    cell = _paper_cell(_soup(render_html(_digest([followed]), FOOTER)), "2611.10004")

    line = cell.find("p", class_="m")
    assert line.get_text().startswith(
        "Author 1 Lastname1, Author 2 Lastname2, Author 3 Lastname3 … Author 7 Lastname7 … "
        "Author 12 Lastname12 (12 authors)cs.LG, also cs.AI"  # the categories after a <br>
    )
    assert [s.get_text() for s in line.find_all("strong")] == ["Author 7 Lastname7"]


@pytest.mark.parametrize(
    ("followed", "shown"),
    [
        ([], "A1, A2, A3 … A8 (8 authors)"),
        (["A4"], "A1, A2, A3, [A4] … A8 (8 authors)"),
        (["A2", "A6"], "A1, [A2], A3 … [A6] … A8 (8 authors)"),
        (["A5", "A6"], "A1, A2, A3 … [A5], [A6] … A8 (8 authors)"),
        (["A8"], "A1, A2, A3 … [A8] (8 authors)"),
        (["a6"], "A1, A2, A3 … [A6] … A8 (8 authors)"),  # as the paper writes it, any case
        (["A7"], "A1, A2, A3 … [A7], A8 (8 authors)"),
    ],
)
def test_author_line_keeps_every_followed_author(followed: list[str], shown: str) -> None:
    pieces = view.author_pieces([f"A{n}" for n in range(1, 9)], followed)

    assert "".join(f"[{p.text}]" if p.matched else p.text for p in pieces) == shown


# --- Hugging Face -------------------------------------------------------------------------------


def test_a_trending_paper_links_its_hugging_face_page() -> None:
    trending = _scored(
        _paper("2611.10030", "Trending Adapters", "x", trending=Trending(DAY, upvotes=42)), MTL
    )
    digest = _digest([trending, MTL_PAPER])

    soup = _soup(render_html(digest, FOOTER))

    links = {a.get_text(): a["href"] for a in _paper_cell(soup, "2611.10030").find_all("a")}
    assert links["Hugging Face"] == "https://huggingface.co/papers/2611.10030"
    assert _paper_cell(soup, "2611.10001").find("a", string="Hugging Face") is None
    text = render_text(digest, FOOTER)
    assert (
        "    Abstract:     https://arxiv.org/abs/2611.10030\n"
        "    PDF:          https://arxiv.org/pdf/2611.10030\n"
        "    HTML:         https://arxiv.org/html/2611.10030\n"
        "    Hugging Face: https://huggingface.co/papers/2611.10030\n"
    ) in text
    assert "    Abstract: https://arxiv.org/abs/2611.10001\n" in text  # no wider than it needs
    assert "[hf](https://huggingface.co/papers/2611.10030)" in render_markdown(digest)


def test_the_hugging_face_page_a_source_gave_is_shown_once() -> None:
    page = "https://huggingface.co/papers/2611.10031"
    paper = _paper(
        "2611.10031",
        "T",
        "x",
        trending=Trending(DAY),
        links=arxiv_links("2611.10031") | {"huggingface": page},
    )

    links = paper_view(_scored(paper), 1).links

    assert [(link.label, link.url) for link in links if "huggingface" in link.url] == [
        ("Hugging Face", page)
    ]


# --- subject ------------------------------------------------------------------------------------


def test_subject_counts_the_papers_and_names_the_best() -> None:
    assert render_subject(_digest([MTL_PAPER])) == (
        "1 new paper for you: Multi-Task Learning with Shared Low-Rank Adapters"
    )
    # Seven matched, three listed: the subject counts what the digest holds, as the ledger
    # and `send --dry-run` do; the summary inside says how many matched.
    shown = len(_digest().papers)
    assert render_subject(_digest(matched=7)).startswith(f"{shown} new papers for you: Multi")
    assert "7 of 412 papers announced" in render_text(_digest(matched=7), FOOTER)


def test_subject_of_a_hostile_title_stays_one_short_line() -> None:
    title = "Ignore\r\nBcc: eve@example.org\n\x1b[31m\u202eevil\u202c " + "very long words " * 20
    digest = _digest([_scored(_paper("2611.10012", title, "x"))])

    subject = render_subject(digest)

    assert len(subject) <= 110 and subject.endswith("…")
    assert subject.isprintable() and "  " not in subject
    assert subject.startswith("1 new paper for you: Ignore Bcc: eve@example.org [31mevil very")


def test_subject_shows_tex_as_text() -> None:
    subject = render_subject(_digest([TEX_PAPER]))

    assert subject == f"1 new paper for you: Attention in {SCRIPT_O}(n log n) Time"


# --- plain text ---------------------------------------------------------------------------------


def test_text_lines_fit_72_columns_except_urls() -> None:
    long_abstract = "Multi-task learning " + "with many words of varying length " * 60
    papers = [*ALL, _scored(_paper("2611.10013", "Long " * 40, long_abstract), MTL)]

    text = render_text(_digest(papers, matched=9), FOOTER)

    too_long = [line for line in text.splitlines() if len(line) > 72 and "://" not in line]
    assert too_long == []
    assert "    Abstract: https://arxiv.org/abs/2611.10013" in text.splitlines()


def test_text_numbers_the_papers() -> None:
    text = render_text(_digest(), FOOTER)

    numbered = [line[:4] for line in text.splitlines() if re.match(r" ?\d+\. ", line)]
    # Once in the list of titles at the top, once before each paper.
    assert numbered == [" 1. ", " 2. ", " 3. ", " 4. ", " 5. ", " 6. "] * 2


def test_wrap_makes_the_lines_textwrap_makes() -> None:
    rng = random.Random(7)
    words = ["a", "multi-task", "learning", "https://github.com/" + "x" * 80, "y" * 72, "z" * 68]
    for _ in range(300):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 40)))
        for first, indent in (("", ""), (" 1. ", "    "), ("Why: ", "  ")):
            expected = textwrap.fill(
                text,
                72,
                initial_indent=first,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
            assert wrap(text, 72, first, indent) == expected


# --- size, JSON, re-exports ---------------------------------------------------------------------


def test_25_long_papers_render_under_75_kb_of_html() -> None:
    abstract = (
        "We study multi-task learning (MTL) with low-rank adapters in $\\mathcal{O}(n)$ time. "
        + "Our experiments on many benchmarks show consistent improvements over baselines. " * 30
    )[:1900]
    papers = [
        _scored(
            _paper(
                f"2611.{20000 + n}",
                f"Multi-Task Learning with Shared Low-Rank Adapters, Revisited at Scale, Part {n}",
                abstract,
                authors=[f"Firstname{a} Lastname{a}" for a in range(30)],
                comments="Code: https://github.com/ada/mtl-lora",
            ),
            MTL,
            Reason("author", "Lastname3", ("authors",), ("Firstname3 Lastname3",)),
        )
        for n in range(25)
    ]

    html = render_html(_digest(papers, matched=40), FOOTER)

    assert len(_soup(html).find_all("a", class_="ta")) == 25
    assert len(html.encode()) < 75_000


def test_json_follows_the_spec_with_reasons() -> None:
    document = json.loads(digest_json(_digest([CROSS_LIST])))

    assert document == {
        "generated_at": "2026-11-23T06:00:00Z",
        "subscriber": "ada@example.org",
        "mode": "topics",
        "window": {"from": "2026-11-23", "to": "2026-11-23"},
        "papers": [
            {
                "arxiv_id": "2611.10005",
                "id": "2611.10005",
                "source": "arxiv",
                "doi": None,
                "version": 1,
                "title": "Protein Graphs for Molecule Design",
                "authors": ["Ana Rodríguez", "Jörg Müller"],
                "categories": ["q-bio.BM", "cs.LG"],
                "primary_category": "q-bio.BM",
                "announce_type": "cross",
                "announced": "2026-11-23",
                "abstract": "Graph neural networks for proteins and molecules.",
                "score": 5.0,
                "matched": ["graph neural molecules"],
                "reasons": [
                    {
                        "kind": "partial",
                        "term": "graph neural molecules",
                        "where": [],
                        "forms": ["Graph", "molecules"],
                    }
                ],
                "abs_url": "https://arxiv.org/abs/2611.10005",
                "pdf_url": "https://arxiv.org/pdf/2611.10005",
                "url": "https://arxiv.org/abs/2611.10005",
                "upvotes": None,
                "huggingface": None,
            }
        ],
    }


def test_digest_package_still_exports_the_renderers() -> None:
    for name in ("digest_json", "render_markdown", "highlight", "highlight_forms", "templates_dir"):
        assert getattr(digest_package, name) is getattr(
            view if hasattr(view, name) else formats, name
        )


def test_upvotes_have_a_place_in_the_view_but_are_not_known_yet() -> None:
    assert paper_view(MTL_PAPER, 1).upvotes is None
