"""What a DOI is to paperwire: found in text or a link, in one normal form, arXiv's own told
apart. The feed parser and the store's identity both use it, so that one work's DOI is one
alias however a source wrote it.
"""

from __future__ import annotations

import re

# "https://doi.org/10.1101/743294", "doi:10.1101/743294", "DOI: 10.1101/743294". A link's
# query and fragment are not part of it ("…/aca4c6#new_tab?utm_source=rss"), nor are quotes
# and angle brackets around it.
_DOI = re.compile(
    r"(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/[^\s\"<>?#]+)", re.IGNORECASE
)
# arXiv's own DataCite DOI names the arXiv paper, not a journal version.
_ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(.+)", re.IGNORECASE)


def normal_doi(text: str | None) -> str | None:
    """The first DOI in `text`, lower-cased (DOIs are case-insensitive), without the
    punctuation a sentence puts after it; None when there is none."""
    if not text:
        return None
    match = _DOI.search(text.strip())
    if match is None:
        return None
    doi = match.group(1).rstrip(".,;:")
    while doi.endswith(")") and doi.count(")") > doi.count("("):  # "(doi:10.1/x)"
        doi = doi[:-1].rstrip(".,;:")
    return doi.lower() if doi.partition("/")[2] else None


def arxiv_id_of_doi(doi: str | None) -> str | None:
    """The arXiv id of arXiv's own DOI (10.48550/arXiv.2401.01234), else None."""
    match = _ARXIV_DOI.fullmatch(doi or "")
    return match.group(1) if match else None
