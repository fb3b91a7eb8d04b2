"""A reader's whole life on the pages, in real headless Chromium (Debian's, driven by
Playwright): subscribe, confirm from the mail the loopback SMTP server caught, change
preferences, receive a digest, open the whole digest, give feedback, leave with one click
from the List-Unsubscribe header, and receive nothing after."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from bs4 import BeautifulSoup
from sitekit import Site, announce, paper

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"needs Chromium at {CHROMIUM} (Debian: apt-get install chromium)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


def _html_links(message: Any, path: str) -> list[str]:
    body = message.get_body(("html",))
    soup = BeautifulSoup(body.get_content(), "html.parser")
    return [a["href"] for a in soup.find_all("a", href=True) if f"/{path}?" in a["href"]]


def test_a_reader_subscribes_reads_gives_feedback_and_leaves(make_site: Any, browser: Any) -> None:
    site: Site = make_site(digest={"max_papers": 2})
    announce(
        site.store,
        *[
            paper(f"2611.{10000 + n}", f"Diffusion models for protein design, part {n}")
            for n in range(4)
        ],
        paper("2611.19999", "Flow matching for molecules"),
    )
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # Subscribe.
    page.goto(site.url + "/subscribe")
    page.get_by_label("Email address").fill("grace@example.org")
    page.get_by_label("Keywords").fill("diffusion")
    page.get_by_text("Choose categories").click()
    page.get_by_text("Computer science").click()  # opens the archive's categories
    page.get_by_label("cs.LG — Machine learning").check()
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Check your inbox").is_visible(), page.content()[:3000]

    # Confirm from the mail.
    [mail] = site.mails_to("grace@example.org")
    page.goto(site.link_in(mail, "confirm"))
    page.get_by_role("button", name="Yes, subscribe me").click()
    assert page.get_by_role("heading", name="You are subscribed").is_visible()

    # Change preferences: a second keyword.
    page.get_by_role("link", name="Change your preferences").click()
    keywords = page.get_by_label("Keywords")
    assert keywords.input_value() == "diffusion"
    keywords.fill("diffusion\nflow matching")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("status").inner_text().startswith("Saved: keywords")
    reader = site.store.subscribers.get("grace@example.org")
    assert reader is not None and reader.profile.keywords == ["diffusion", "flow matching"]

    # A digest arrives: two papers shown, the rest on its page.
    site.wire().send_due()
    [_, digest_mail] = site.mails_to("grace@example.org")
    [more] = _html_links(digest_mail, "digest")
    page.goto(more)
    assert page.locator("article").count() == 5
    assert page.get_by_text("Not in the email:").is_visible()

    # Feedback on the page, one click; the button shows it.
    first = page.locator("article").first
    first.get_by_role("button", name="👍 More like this").click()
    assert (
        page.locator("article")
        .first.get_by_role("button", name="👍 More like this")
        .get_attribute("aria-pressed")
        == "true"
    )
    # And from the email: a 👎 link opens the paper (a mail scanner opening it votes
    # nothing), one click on its button records it.
    dislike = [u for u in _html_links(digest_mail, "feedback") if "vote=down" in u]
    page.goto(dislike[1])
    assert len(site.store.feedback.votes("grace@example.org")) == 1
    page.get_by_role("button", name="👎 Not for me").click()
    assert page.get_by_role("heading", name="👎 Noted: not for you").is_visible()
    votes = {v.paper: (v.vote, v.via) for v in site.store.feedback.votes("grace@example.org")}
    assert len(votes) == 2 and sorted(votes.values()) == [(-1, "email"), (1, "web")]

    # Leave with one click, as a mail provider does with the List-Unsubscribe header.
    url = re.search(r"<(http[^>]+)>", digest_mail["List-Unsubscribe"])
    assert url is not None
    answer = requests.post(url.group(1), data={"List-Unsubscribe": "One-Click"}, timeout=10)
    assert answer.status_code == 200

    # Nothing after.
    site.clock.advance(days=1)
    announce(
        site.store,
        paper("2611.20001", "Diffusion for materials", day=site.clock().date()),
    )
    site.wire().send_due()
    assert len(site.mails_to("grace@example.org")) == 2
    assert errors == []  # the strict CSP blocked nothing the pages need
