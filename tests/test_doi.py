"""One DOI, one form: however a source writes it, the alias it becomes is the same."""

from __future__ import annotations

import pytest

from paperwire.doi import arxiv_id_of_doi, normal_doi


@pytest.mark.parametrize(
    ("text", "doi"),
    [
        ("10.1101/743294", "10.1101/743294"),
        ("https://doi.org/10.1038/S41586-024-07000-1", "10.1038/s41586-024-07000-1"),
        ("http://dx.doi.org/10.1101/743294?rss=1", "10.1101/743294"),
        (
            "https://doi.org/10.3847/1538-4365/aca4c6#new_tab?utm_source=rss",
            "10.3847/1538-4365/aca4c6",
        ),
        ("doi: 10.1016/j.parint.2021.102531.", "10.1016/j.parint.2021.102531"),
        ("(doi:10.1000/xyz)", "10.1000/xyz"),
        ("10.1002/(SICI)1097-4636(199706)35:4<3>", "10.1002/(sici)1097-4636(199706)35:4"),
        ("10.1103/PhysRevD.1.2 10.1000/other", "10.1103/physrevd.1.2"),
        ("no doi here", None),
        ("10.1000/", None),
        (None, None),
    ],
)
def test_a_doi_is_found_and_made_one_form(text: str | None, doi: str | None) -> None:
    assert normal_doi(text) == doi


def test_arxivs_own_doi_names_the_arxiv_paper() -> None:
    assert arxiv_id_of_doi("10.48550/arxiv.2401.01234") == "2401.01234"
    assert arxiv_id_of_doi("10.1038/s41586-024-07000-1") is None
