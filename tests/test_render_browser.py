"""The digest email in a real browser (headless Chromium): it fits a 320 px phone screen."""

from __future__ import annotations

import datetime as dt
import html
import re
import subprocess
from pathlib import Path

import pytest

from paperwire.digest.formats import render_html
from paperwire.digest.view import Footer
from paperwire.models import AnnounceType, Digest, Paper, Profile, Reason, ScoredPaper

CHROMIUM = Path("/usr/bin/chromium")
WIDTH = 320

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"needs Chromium at {CHROMIUM} (Debian: apt-get install chromium)",
)


def _digest() -> Digest:
    """25 papers with what tends to break a narrow layout: long URLs, long words, long names."""
    long_url = "https://github.com/ada/" + "a-very-long-repository-name" * 4
    long_word = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 2
    papers = []
    for n in range(25):
        abstract = (
            f"We study multi-task learning with {long_word} adapters, see {long_url}. "
            r"The bound is $\mathcal{O}(\sqrt{k/n})$. "
            + "Our experiments on many benchmarks show consistent improvements. "
            * 30
        )
        paper = Paper(
            f"2611.{10000 + n}",
            f"Multi-Task Learning with {long_word} Low-Rank Adapters, Part {n}",
            abstract,
            ["Maximiliane Alexandrina Wolfeschlegelsteinhausenbergerdorff"]
            + [f"Author{a} Surname{a}" for a in range(29)],
            ["cs.LG", "cs.AI", "stat.ML", "math.OC", "q-bio.BM"],
            "cs.LG",
            1,
            AnnounceType.REPLACE_CROSS,
            dt.date(2026, 11, 23),
        )
        reason = Reason("keyword", "multitask learning", ("title", "abstract"), ("Multi-Task",))
        papers.append(ScoredPaper(paper, 9.0 - n / 10, ["multitask learning"], [reason]))
    profile = Profile(categories=["cs.LG"], keywords=["multitask learning"])
    now = dt.datetime(2026, 11, 23, 6, tzinfo=dt.UTC)
    return Digest(profile, dt.date(2026, 11, 20), dt.date(2026, 11, 23), 412, papers, now, 40)


class Votes:
    """A reader's 👍 and 👎, as long as delivery.links makes them."""

    def feedback(self, paper: str, vote: str) -> str:
        return (
            "https://paperwire.example.org/feedback?email=a.very.long.address%40example.org"
            f"&paper={paper}&vote={vote}&token=0.{'x' * 32}"
        )


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, float]:
    """Load the email in a 320 px wide iframe and read its layout back through the title.

    An iframe because a headless window is never narrower than 500 px when Chromium dumps the
    DOM; srcdoc because it shares the parent's origin, so the parent may read its document.
    """
    footer = Footer(
        recipient="a.very.long.address.for.testing@subdomain.example.org",
        unsubscribe_url="https://paperwire.example.org/unsubscribe/" + "f" * 64,
        more_hint="paperwire digest --subscriber a.long.address@example.org --since 2026-11-20",
    )
    email = render_html(_digest(), footer, Votes())
    directory = tmp_path_factory.mktemp("browser")
    page = directory / "probe.html"
    page.write_text(
        '<!DOCTYPE html><html><body style="margin:0">'
        f'<iframe id="email" style="border:0;width:{WIDTH}px;height:600px" '
        f'srcdoc="{html.escape(email, quote=True)}"></iframe>'
        "<script>window.onload = function () {"
        "  var d = document.getElementById('email').contentDocument;"
        "  var sizes = [].map.call(d.querySelectorAll('td.p p.a'),"
        "    function (p) { return parseFloat(getComputedStyle(p).fontSize); });"
        "  document.title = 'width=' + Math.max(d.documentElement.scrollWidth, d.body.scrollWidth)"
        "    + ';paragraphs=' + sizes.length + ';smallest=' + Math.min.apply(null, sizes);"
        "};</script></body></html>",
        encoding="utf-8",
    )
    result = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={directory / 'profile'}",
            "--hide-scrollbars",
            "--window-size=800,600",
            "--virtual-time-budget=3000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    found = re.search(
        r"<title>width=(\d+);paragraphs=(\d+);smallest=([\d.]+)</title>", result.stdout
    )
    # Chromium that ran but measured nothing is a failure, never a pass.
    assert found is not None, f"no measurement (exit {result.returncode}): {result.stderr[-1500:]}"
    return {
        "width": float(found.group(1)),
        "paragraphs": float(found.group(2)),
        "smallest": float(found.group(3)),
    }


def test_email_has_no_horizontal_overflow_at_320px(measured: dict[str, float]) -> None:
    assert measured["width"] <= WIDTH


def test_every_abstract_is_at_least_15px_on_a_phone(measured: dict[str, float]) -> None:
    assert measured["paragraphs"] == 25
    assert measured["smallest"] >= 15
