"""Text helpers: one-line text, size limits, author lists, TeX accents in names only."""

from __future__ import annotations

import pytest

from paperwire.sources._text import (
    ABSTRACT_LIMIT,
    AUTHOR_NAME_LIMIT,
    MAX_AUTHORS,
    author_names,
    clean_field,
    split_authors,
)
from paperwire.tex import decode_tex_accents, decode_tex_accents_all
from paperwire.text import clip, one_line


def test_one_line_collapses_hard_wraps_and_indentation_into_one_line() -> None:
    wrapped = "  Theoretical description of anisotropic\n                        systems\n"
    assert one_line(wrapped) == "Theoretical description of anisotropic systems"


def test_one_line_drops_c0_and_c1_control_characters() -> None:
    assert one_line("a\x00b\x07c\x85d\x9fe\x7ff\x0bg") == "abc def g"


def test_one_line_keeps_markup_characters_as_text() -> None:
    assert one_line("<script>alert(1)</script> &amp;") == "<script>alert(1)</script> &amp;"


def test_clip_leaves_short_text_alone() -> None:
    assert clip("short", 10) == "short"


def test_clip_cuts_to_the_limit_with_an_ellipsis() -> None:
    clipped = clip("x" * 50, 10)
    assert len(clipped) == 10
    assert clipped.endswith("…")


def test_clean_field_clips_a_ten_megabyte_value() -> None:
    assert (
        ABSTRACT_LIMIT - 10
        < len(clean_field("word " * 2_000_000, ABSTRACT_LIMIT))
        <= ABSTRACT_LIMIT
    )


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (r"Rodr\'iguez", "Rodríguez"),
        (r"Pi\v{z}urica", "Pižurica"),
        (r"J\"org", "Jörg"),
        (r"Bal\'azs", "Balázs"),
        (r"D\'{\i}az", "Díaz"),
        (r"{\c C}a\u{g}lar", "Çağlar"),
        (r"{\o}ystein", "øystein"),
        (r"{\L}ukasz", "Łukasz"),
        (r"\AA{}ngstr\"om", "Ångström"),
    ],
)
def test_tex_accents_in_names_become_unicode(tex: str, text: str) -> None:
    assert decode_tex_accents(tex) == text


def test_names_without_tex_are_returned_as_the_same_object() -> None:
    name = "Zoltán Harman"
    assert decode_tex_accents(name) is name


def test_percent_sign_does_not_swallow_the_rest_of_a_name() -> None:
    assert decode_tex_accents(r"{\o}ystein 100% B") == "øystein 100% B"


def test_broken_tex_is_returned_unchanged_instead_of_raising() -> None:
    nested = "{" * 5000 + r"\'e"
    assert decode_tex_accents(nested) == nested


def test_rss_author_list_is_split_on_commas() -> None:
    assert split_authors("Matteo Gasparin, Aaditya Ramdas") == ["Matteo Gasparin", "Aaditya Ramdas"]


def test_old_author_list_is_split_on_commas_and_and() -> None:
    raw = "Carl Lagoze, Herbert Van de Sompel and\n  Michael L. Nelson"
    assert split_authors(raw) == ["Carl Lagoze", "Herbert Van de Sompel", "Michael L. Nelson"]


def test_oxford_comma_does_not_leave_a_name_starting_with_and() -> None:
    assert split_authors("A. One, B. Two, and C. Three") == ["A. One", "B. Two", "C. Three"]


def test_affiliations_in_parentheses_are_not_names() -> None:
    raw = "Robert Brandenberger (McGill), Keshav Dasgupta and\n Anne Davis (DAMTP, Cambridge)"
    assert split_authors(raw) == ["Robert Brandenberger", "Keshav Dasgupta", "Anne Davis"]


def test_commas_inside_tex_groups_do_not_split_a_name() -> None:
    assert split_authors(r"A. {B,C} D, E. F") == [r"A. {B,C} D", "E. F"]


def test_author_names_decodes_each_name() -> None:
    assert author_names(r"Jos\'e M. F. Moura, Omar Rivasplata") == [
        "José M. F. Moura",
        "Omar Rivasplata",
    ]


def test_hostile_author_list_is_bounded() -> None:
    names = split_authors(", ".join(["x" * 1000] * 5000))
    assert len(names) <= MAX_AUTHORS
    assert all(len(name) <= AUTHOR_NAME_LIMIT for name in names)


def test_a_list_of_tex_names_decodes_like_each_name_alone() -> None:
    raw = r"Ana Rodr\'iguez, Bo Li, J\"org M\"uller, S\o{}ren \ss, Pi\v{z}urica"

    assert author_names(raw) == ["Ana Rodríguez", "Bo Li", "Jörg Müller", "Søren ß", "Pižurica"]
    assert author_names(raw)[2] == decode_tex_accents(r"J\"org M\"uller")


@pytest.mark.parametrize(
    "names",
    [
        [r"X {B\'e", r"C\"o", "Plain Name"],
        [r"\'{\i}ker", r"}{", r"\v{c}ech"],
        [r"Rodr\'iguez 100%", r"A \& B", r"J\"org"],
    ],
)
def test_decoding_a_list_equals_decoding_each_name(names: list[str]) -> None:
    assert decode_tex_accents_all(names) == [decode_tex_accents(n) for n in names]


@pytest.mark.parametrize(
    ("raw", "second"),
    [
        (r"Ren\'e Descartes\c, Zo\"e Martin", "Zoë Martin"),
        (r"Ana Garc\'ia\', Bj\"orn Str\"om", "Björn Ström"),
    ],
)
def test_a_dangling_accent_never_lands_on_the_next_name(raw: str, second: str) -> None:
    assert author_names(raw)[1] == second
