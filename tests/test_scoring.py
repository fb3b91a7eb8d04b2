"""The ranker as a reader meets it: spellings, exclusions, queries, authors, liked papers, ties."""

from __future__ import annotations

import re

import pytest

from paperwire.models import Paper, Profile
from paperwire.scoring import CorpusStats, ProfileError, Ranker, parse_query, rank_papers
from paperwire.scoring.analysis import STOPWORDS, Analyzer, author_keys
from paperwire.syntax import All, Any_, Leaf, Not


def _paper(arxiv_id: str, title: str, abstract: str = "", **fields: object) -> Paper:
    return Paper(arxiv_id, title, abstract, **fields)  # type: ignore[arg-type]


# Background papers: enough corpus for IDF to mean something, none about multi-task learning.
BACKGROUND = [
    _paper("2611.00101", "Diffusion models for image synthesis", "We train a diffusion model."),
    _paper("2611.00102", "Protein structure prediction", "Deep learning predicts folding."),
    _paper("2611.00103", "Reinforcement learning for robots", "A policy gradient method."),
    _paper("2611.00104", "Sparse attention for long documents", "Transformers scale badly."),
    _paper("2611.00105", "A study of optimisers", "Adam and SGD compared on tasks."),
    _paper("2611.00106", "Speech recognition at scale", "Large models transcribe speech."),
]

MTL_PAPERS = [
    _paper("2611.00001", "Multi-Task Learning for Robot Grasping", "Shared encoders help."),
    _paper("2611.00002", "A multitask learning approach to parsing", "One model, many treebanks."),
    _paper("2611.00003", "Learning multiple tasks at once", "Joint training of classifiers."),
    _paper(
        "2611.00004",
        "Gradient conflicts in joint training",
        "We study multi-task learning (MTL). MTL suffers from conflicting gradients; "
        "our MTL optimiser resolves them.",
    ),
    _paper(
        "2611.00005",
        "Auxiliary losses revisited",
        "Multi-task learning (MTL) with auxiliary losses. We show MTL needs care.",
    ),
]


def _ids(ranked: list) -> list[str]:
    return [s.paper.arxiv_id for s in ranked]


@pytest.mark.parametrize(
    "keyword",
    ["multi-task learning", "multitask learning", "Multi-Task Learning", "multi task learning"],
)
def test_every_spelling_of_multi_task_learning_finds_every_paper(keyword: str) -> None:
    ranked = rank_papers(BACKGROUND + MTL_PAPERS, Profile(keywords=[keyword]))

    assert set(_ids(ranked)) == {p.arxiv_id for p in MTL_PAPERS}


def test_acronym_finds_papers_that_only_write_the_long_form() -> None:
    # Two papers define MTL; the corpus learns it and "MTL" finds the other three as well.
    papers = BACKGROUND + MTL_PAPERS
    stats = CorpusStats()
    stats.update(papers)

    ranked = rank_papers(papers, Profile(keywords=["MTL"]), stats=stats)

    assert set(_ids(ranked)) == {p.arxiv_id for p in MTL_PAPERS}
    # The papers that use the acronym again and again rank first.
    assert set(_ids(ranked)[:2]) == {"2611.00004", "2611.00005"}


def test_title_match_ranks_above_the_same_match_in_the_abstract() -> None:
    in_title = _paper("2611.00201", "State space models for audio", "We study audio.")
    in_abstract = _paper("2611.00202", "Audio at scale", "We use state space models for audio.")

    ranked = rank_papers(
        [*BACKGROUND, in_abstract, in_title], Profile(keywords=["state space models"])
    )

    assert _ids(ranked) == ["2611.00201", "2611.00202"]


def test_words_of_a_phrase_scattered_do_not_list_a_paper() -> None:
    scattered = _paper(
        "2611.00203",
        "Memory for search",
        "The state is stored. Later, a model of memory reduces the space needed.",
    )
    phrase = _paper("2611.00204", "Selective state space models", "Mamba-like layers.")

    ranked = rank_papers([*BACKGROUND, scattered, phrase], Profile(keywords=["state space model"]))

    assert _ids(ranked) == ["2611.00204"]


def test_partial_matches_follow_full_ones_when_asked_for() -> None:
    scattered = _paper("2611.00203", "Model search", "Every model of the state is checked.")
    phrase = _paper("2611.00204", "Selective state space models", "Mamba-like layers.")
    ranker = Ranker()

    [ranked] = ranker.rank(
        [*BACKGROUND, scattered, phrase],
        [Profile(keywords=["state space models"])],
        require_match=False,
    )

    assert _ids(ranked)[:2] == ["2611.00204", "2611.00203"]
    assert ranked[1].matched == []  # listed, but nothing matched in full


def test_exclude_removes_papers_whatever_the_form_of_the_word() -> None:
    survey = _paper("2611.00301", "Multi-task learning: a survey", "We review the field.")
    surveys = _paper("2611.00302", "Multitask learning", "We surveyed 300 papers on it.")
    keep = MTL_PAPERS[0]

    ranked = rank_papers(
        [survey, surveys, keep],
        Profile(keywords=["MTL", "multi-task learning"], exclude=["surveys"]),
    )

    assert _ids(ranked) == [keep.arxiv_id]


def test_excluded_phrase_leaves_papers_with_its_words_apart() -> None:
    survey = _paper("2611.00301", "Diffusion models: a literature review", "All of them.")
    other = _paper("2611.00303", "Diffusion models in review", "Literature on sampling.")

    ranked = rank_papers(
        [survey, other], Profile(keywords=["diffusion"], exclude=["literature review"])
    )

    assert _ids(ranked) == ["2611.00303"]


def test_boolean_query_filters_and_ranks() -> None:
    papers = [
        _paper("2611.00401", "Graph neural networks for molecules", "Message passing."),
        _paper("2611.00402", "GNN models of protein interfaces", "Proteins as graphs."),
        _paper("2611.00403", "Graph neural networks: a survey", "Molecules and proteins too."),
        _paper("2611.00404", "Graph neural networks for traffic", "Road networks."),
        _paper("2611.00405", "Protein language models", "Sequences only."),
    ]
    query = '("graph neural" OR GNN) AND (molecule OR protein) NOT survey'

    ranked = rank_papers(papers, Profile(query=query))

    assert set(_ids(ranked)) == {"2611.00401", "2611.00402"}
    assert {"graph neural", "molecule"} <= set(ranked[_ids(ranked).index("2611.00401")].matched)


def test_query_combines_with_keywords_as_a_filter() -> None:
    papers = [
        _paper("2611.00401", "Diffusion models for molecules", "Generation."),
        _paper("2611.00402", "Diffusion models for images", "Generation."),
    ]

    ranked = rank_papers(papers, Profile(keywords=["diffusion"], query="molecule OR protein"))

    assert _ids(ranked) == ["2611.00401"]


def test_query_syntax() -> None:
    assert parse_query('a b OR "c d" -e') == Any_(
        (All((Leaf("a"), Leaf("b"))), All((Leaf("c d"), Not(Leaf("e")))))
    )
    assert parse_query("x AND NOT (y OR z)") == All((Leaf("x"), Not(Any_((Leaf("y"), Leaf("z"))))))
    # Lower-case "or" and "and" are words, not operators.
    assert parse_query("rock and roll") == All((Leaf("rock"), Leaf("and"), Leaf("roll")))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("(graph OR gnn", "parenthesis is not closed"),
        ('"graph neural', "quote is not closed"),
        ("graph OR", "ends where a word was expected"),
        ("graph )", "unexpected ')'"),
        ("", "empty"),
        ('""', "empty phrase"),
    ],
)
def test_bad_queries_are_refused_with_the_reason(query: str, message: str) -> None:
    with pytest.raises(ProfileError, match=re.escape(message)):
        parse_query(query)


def test_author_written_without_accents_finds_the_accented_name() -> None:
    papers = [
        _paper("2611.00501", "One", authors=["Ana Rodríguez", "Jörg Müller"]),
        _paper("2611.00502", "Two", authors=["Ana Rodrigues"]),
        _paper("2611.00503", "Three", authors=["RODRÍGUEZ, A."]),
    ]

    ranked = rank_papers(papers, Profile(authors=["Ana Rodriguez"]))

    assert set(_ids(ranked)) == {"2611.00501", "2611.00503"}
    reasons = ranked[0].reasons
    assert reasons[0].kind == "author" and reasons[0].where == ("authors",)


@pytest.mark.parametrize(
    "written", ["Yann LeCun", "LeCun, Yann", "Y. LeCun", "yann lecun", "LeCun Yann"]
)
def test_author_initials_and_name_order(written: str) -> None:
    paper = _paper("2611.00504", "Energy-based models", authors=["Yann LeCun"])
    other = _paper("2611.00505", "Energy-based models too", authors=["Xavier LeCun"])

    assert _ids(rank_papers([paper, other], Profile(authors=[written]))) == ["2611.00504"]


def test_author_keys_use_surname_and_initial() -> None:
    assert author_keys("Jörg Müller")[0] == "@muller j"
    assert author_keys("van der Maaten, Laurens")[0] == "@maaten l"
    assert author_keys("  ") == []


def test_topic_given_only_by_liked_papers() -> None:
    liked = _paper(
        "2611.00601",
        "Low-rank adapters for fine-tuning language models",
        "Low-rank adaptation (LoRA) fine-tunes large language models with few parameters.",
    )
    similar = _paper(
        "2611.00602",
        "Adapters with fewer parameters",
        "We fine-tune language models with low-rank adapters and quantised weights.",
    )
    unrelated = _paper(
        "2611.00603", "Galaxy rotation curves", "Dark matter halos fit the observed curves."
    )
    papers = [*BACKGROUND, similar, unrelated]

    ranked = rank_papers(papers, Profile(like=[liked.arxiv_id]), liked={liked.arxiv_id: liked})

    assert _ids(ranked)[0] == "2611.00602"
    assert "2611.00603" not in _ids(ranked)
    assert ranked[0].matched == ["like 2611.00601"]
    assert ranked[0].reasons[0].kind == "like"


def test_liked_paper_itself_is_not_listed() -> None:
    liked = MTL_PAPERS[0]
    ranked = rank_papers(MTL_PAPERS, Profile(like=[liked.arxiv_id]), liked={liked.arxiv_id: liked})

    assert liked.arxiv_id not in _ids(ranked)


def test_description_alone_ranks_related_papers_first() -> None:
    profile = Profile(description="I work on speech recognition and transcription of audio.")

    ranked = rank_papers(BACKGROUND + MTL_PAPERS, profile)

    assert _ids(ranked)[0] == "2611.00106"


def test_ties_are_broken_by_arxiv_id_whatever_the_input_order() -> None:
    twins = [
        _paper(f"2611.{n:05d}", "Diffusion models", "Identical text.") for n in (703, 701, 702)
    ]
    profile = Profile(keywords=["diffusion"])

    forward = rank_papers(twins, profile)
    backward = rank_papers(list(reversed(twins)), profile)

    assert _ids(forward) == _ids(backward) == ["2611.00701", "2611.00702", "2611.00703"]
    assert len({s.score for s in forward}) == 1


def test_keyword_weight_changes_the_order() -> None:
    papers = [
        _paper("2611.00801", "Diffusion models", "Sampling."),
        _paper("2611.00802", "Protein folding", "Structure."),
    ]

    plain = rank_papers(papers, Profile(keywords=["diffusion", "protein"]))
    weighted = rank_papers(papers, Profile(keywords=["diffusion", "protein^3"]))

    assert _ids(weighted)[0] == "2611.00802"
    assert _ids(plain) != _ids(weighted) or plain[0].score != weighted[0].score


@pytest.mark.parametrize("bad", ["lora^0", "lora^-1", "lora^1000", "lora^nan"])
def test_bad_weights_are_refused_naming_the_term(bad: str) -> None:
    with pytest.raises(ProfileError, match="lora"):
        Ranker().compile(Profile(keywords=[bad]))


def test_categories_filter_and_archives_count() -> None:
    papers = [
        _paper("2611.00901", "Diffusion A", categories=["cs.LG"]),
        _paper("2611.00902", "Diffusion B", categories=["stat.ML", "cs.CV"]),
        _paper("2611.00903", "Diffusion C", categories=["astro-ph.GA"]),
    ]

    only_cs = rank_papers(papers, Profile(keywords=["diffusion"], categories=["cs"]))
    weighted = rank_papers(papers, Profile(keywords=["diffusion"], categories=["cs.LG", "cs.CV^3"]))

    assert set(_ids(only_cs)) == {"2611.00901", "2611.00902"}
    assert _ids(weighted)[0] == "2611.00902"


def test_profile_of_categories_only_lists_every_paper_in_them() -> None:
    papers = [
        _paper("2611.00901", "A", categories=["cs.LG"]),
        _paper("2611.00902", "B", categories=["cs.CL"]),
    ]

    ranked = rank_papers(papers, Profile(categories=["cs.LG"]))

    assert _ids(ranked) == ["2611.00901"]


def test_min_score_and_limit() -> None:
    ranked = rank_papers(BACKGROUND + MTL_PAPERS, Profile(keywords=["multi-task learning"]))
    cut = ranked[2].score

    assert len(rank_papers(BACKGROUND + MTL_PAPERS, Profile(keywords=["MTL"]), limit=2)) == 2
    above = rank_papers(
        BACKGROUND + MTL_PAPERS, Profile(keywords=["multi-task learning"]), min_score=cut
    )
    assert [s.score >= cut for s in above] == [True] * len(above)
    assert len(above) == 3 or above[-1].score == cut


def test_reasons_say_where_and_quote_the_papers_words() -> None:
    ranked = rank_papers(MTL_PAPERS, Profile(keywords=["multi-task learning"]))
    reasons = {s.paper.arxiv_id: s.reasons for s in ranked}

    assert reasons["2611.00001"][0].where == ("title",)
    assert "Multi-Task" in reasons["2611.00001"][0].forms
    assert "multiple tasks" in reasons["2611.00003"][0].forms
    assert "MTL" in reasons["2611.00004"][0].forms  # the defined acronym is highlighted too


def test_tex_is_matched_as_text() -> None:
    paper = _paper("2611.01001", r"Bounds for $\mathcal{O}(\sqrt{n})$ \emph{regret} in bandits")

    assert _ids(rank_papers([paper], Profile(keywords=["regret"]))) == ["2611.01001"]


def test_many_profiles_at_once_give_the_same_as_one_by_one() -> None:
    papers = BACKGROUND + MTL_PAPERS
    profiles = [
        Profile(keywords=["multi-task learning"]),
        Profile(keywords=["diffusion"], exclude=["image"]),
        Profile(authors=["Nobody Here"]),
        Profile(query="speech OR protein"),
    ]
    stats = CorpusStats()
    stats.update(papers)

    together = Ranker(stats).rank(papers, profiles)
    alone = [Ranker(stats).rank(papers, [p])[0] for p in profiles]

    assert [[(s.paper.arxiv_id, s.score) for s in r] for r in together] == [
        [(s.paper.arxiv_id, s.score) for s in r] for r in alone
    ]
    assert set(_ids(together[3])) == {"2611.00102", "2611.00106"}


def test_corpus_stats_survive_a_round_trip() -> None:
    stats = CorpusStats()
    stats.update(BACKGROUND + MTL_PAPERS)

    again = CorpusStats.from_bytes(stats.to_bytes())

    assert again.documents == stats.documents == 11
    assert again.total_length == stats.total_length
    assert (again.df == stats.df).all()
    assert again.expansion("mtl") == "multitask learn"
    assert again.idf(["diffus", "learn"]) == stats.idf(["diffus", "learn"])


def test_fast_field_analysis_agrees_with_the_word_list() -> None:
    analyzer = Analyzer()
    text = (
        "Fine tuning and fine-tuning; multiple tasks, multi-task and multitask. Self "
        "supervised LLMs (large language models) in GPT-4 with $\\alpha$-divergence."
    )

    counts = analyzer.field(text).counts
    words = [w for w in analyzer.words(text) if not w.stop]

    for word in words:
        assert counts[word.stem] >= 1, word
    unigrams = {k for k in counts if "|" not in k and not k.startswith("=")}
    expected = {w.stem for w in words} | {p for w in words for p in w.parts if p not in STOPWORDS}
    assert unigrams == expected
    assert counts["finetun"] == 2 and counts["multitask"] == 3


def test_weighted_categories_and_queries_rank_together() -> None:
    papers = [
        _paper("2611.01101", "Diffusion for molecules", categories=["cs.LG"]),
        _paper("2611.01102", "Diffusion for proteins", categories=["q-bio.BM", "cs.LG"]),
    ]
    profiles = [
        Profile(keywords=["diffusion"], categories=["cs.LG", "q-bio^3"]),
        Profile(query="diffusion AND molecule"),
    ]

    weighted, queried = Ranker().rank(papers, profiles)

    assert _ids(weighted) == ["2611.01102", "2611.01101"]
    assert _ids(queried) == ["2611.01101"]


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        (Profile(keywords=["the"]), "keyword 'the': has no words"),
        (Profile(keywords=["  "]), "keyword '  ': has no words"),
        (Profile(keywords=["^2"]), "keyword '^2': has no words"),
        (Profile(keywords=["🙂"]), "has no words"),
        (Profile(authors=[","]), "author ',': has no words"),
        (Profile(exclude=["of the"]), "exclude 'of the': has no words"),
        (Profile(exclude=["survey^2"]), "takes no weight"),
        (Profile(description="and the of"), "description"),
        (Profile(query="graph or protein"), "'or': has no words"),
        (Profile(query="graph or protein"), "operators are AND, OR, NOT in capitals"),
    ],
)
def test_terms_that_cannot_match_are_refused(profile: Profile, message: str) -> None:
    with pytest.raises(ProfileError, match=re.escape(message)):
        Ranker().compile(profile)


def test_the_same_term_twice_counts_once() -> None:
    papers = [*BACKGROUND, _paper("2611.01201", "Protein design", "Proteins.")]

    once = rank_papers(papers, Profile(keywords=["protein"]))
    twice = rank_papers(papers, Profile(keywords=["protein", "Protein"], query="protein"))

    assert [s.score for s in twice] == [s.score for s in once]
    assert twice[0].matched == ["protein"]


def test_deeply_nested_query_is_refused() -> None:
    with pytest.raises(ProfileError, match="nested more than"):
        parse_query("(" * 300 + "x" + ")" * 300)
    with pytest.raises(ProfileError, match="nested more than"):
        parse_query("NOT " * 1000 + "x")


def test_weight_parsing_is_linear() -> None:
    import time

    start = time.perf_counter()
    with pytest.raises(ProfileError):
        Ranker().compile(Profile(keywords=[" " * 200_000 + "^2"]))
    assert time.perf_counter() - start < 2.0


def test_open_profile_ignores_min_score_and_unfound_likes_list_nothing() -> None:
    papers = [_paper("2611.00901", "A", categories=["cs.LG"])]

    open_profile = rank_papers(papers, Profile(categories=["cs.LG"]), min_score=5.0)
    missing_like = rank_papers(papers, Profile(categories=["cs.LG"], like=["2401.99999"]))

    assert _ids(open_profile) == ["2611.00901"]
    assert missing_like == []


def test_long_phrase_missing_one_pair_is_listed_and_explained() -> None:
    paper = _paper(
        "2611.01301",
        "Graph neural networks are used to predict protein function",
        "Message passing.",
    )

    [scored] = rank_papers([*BACKGROUND, paper], Profile(keywords=["graph neural network protein"]))

    assert scored.reasons[0].kind == "keyword"
    assert scored.reasons[0].where == ("title",)


def test_partial_words_are_named_as_partial_reasons() -> None:
    papers = [
        _paper("2611.01401", "Survival analysis with neural networks", "Cox models."),
        _paper("2611.01402", "Sensitivity analysis", "Neural network pruning."),
    ]

    ranked = rank_papers(papers, Profile(keywords=["survival analysis", "neural network"]))
    second = next(s for s in ranked if s.paper.arxiv_id == "2611.01402")

    kinds = {r.term: r.kind for r in second.reasons}
    assert kinds == {"neural network": "keyword", "survival analysis": "partial"}
    assert [r.forms for r in second.reasons if r.kind == "partial"] == [("analysis",)]


def test_plural_mixed_case_acronyms_are_learnt() -> None:
    papers = [
        _paper("2611.01501", "Patches", "Vision transformers (ViTs) split images. ViTs scale."),
        _paper("2611.01502", "Tokens", "Vision transformers (ViT) need data; a ViT is large."),
        _paper("2611.01503", "Other", "A vision transformer for remote sensing."),
    ]
    stats = CorpusStats()
    stats.update(papers)

    ranked = rank_papers(papers, Profile(keywords=["ViT"]), stats=stats)

    assert stats.expansion("vit") == "vision transform"
    assert set(_ids(ranked)) == {"2611.01501", "2611.01502", "2611.01503"}


def test_a_paper_explained_as_like_the_liked_papers_is_never_like_itself() -> None:
    # A digest's page explained later may find one of its papers among the reader's past
    # matches: its why line names another example, not the paper itself.
    a = Paper("2611.00701", "Protein folding with contact maps", "Residue contacts fold proteins.")
    b = Paper("2611.00702", "Graph colouring for registers", "Interference graphs and spills.")
    ranker = Ranker()
    ranker.stats = CorpusStats()
    ranker.stats.update([a, b])
    compiled = ranker.compile(Profile(like=[a.key, b.key]), {a.key: a, b.key: b})
    from paperwire.models import ScoredPaper

    [reason] = ranker.explain(ScoredPaper(a, 1.0, [compiled.topic_label]), compiled)

    assert reason.kind == "like"
    assert reason.term == "like 2611.00702 (Graph colouring for registers)"
