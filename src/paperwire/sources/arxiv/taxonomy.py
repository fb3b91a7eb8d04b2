"""arXiv's category taxonomy (https://arxiv.org/category_taxonomy): what a reader may name.

An archive alone ("astro-ph", "cs") means every category in it. A name that is not here is
refused with the nearest ones as suggestions ("cs.XX" → "did you mean cs.AI, cs.AR…?").
"""

from __future__ import annotations

_SUBJECTS = {
    "astro-ph": "CO EP GA HE IM SR",
    "cond-mat": "dis-nn mes-hall mtrl-sci other quant-gas soft stat-mech str-el supr-con",
    "cs": (
        "AI AR CC CE CG CL CR CV CY DB DC DL DM DS ET FL GL GR GT HC IR IT LG LO MA MM MS NA "
        "NE NI OH OS PF PL RO SC SD SE SI SY"
    ),
    "econ": "EM GN TH",
    "eess": "AS IV SP SY",
    "gr-qc": "",
    "hep-ex": "",
    "hep-lat": "",
    "hep-ph": "",
    "hep-th": "",
    "math": (
        "AC AG AP AT CA CO CT CV DG DS FA GM GN GR GT HO IT KT LO MG MP NA NT OA OC PR QA RA "
        "RT SG SP ST"
    ),
    "math-ph": "",
    "nlin": "AO CD CG PS SI",
    "nucl-ex": "",
    "nucl-th": "",
    "physics": (
        "acc-ph ao-ph app-ph atm-clus atom-ph bio-ph chem-ph class-ph comp-ph data-an ed-ph "
        "flu-dyn gen-ph geo-ph hist-ph ins-det med-ph optics plasm-ph pop-ph soc-ph space-ph"
    ),
    "q-bio": "BM CB GN MN NC OT PE QM SC TO",
    "q-fin": "CP EC GN MF PM PR RM ST TR",
    "quant-ph": "",
    "stat": "AP CO ME ML OT TH",
}

ARCHIVES: frozenset[str] = frozenset(_SUBJECTS)
CATEGORIES: frozenset[str] = frozenset(
    f"{archive}.{subject}"
    for archive, subjects in _SUBJECTS.items()
    for subject in subjects.split()
)
_BY_FOLDED = {name.lower(): name for name in ARCHIVES | CATEGORIES}


def known(name: str) -> bool:
    """Whether `name` is an arXiv archive or category, spelt as arXiv spells it."""
    return name in ARCHIVES or name in CATEGORIES


def suggestions(name: str, limit: int = 3) -> list[str]:
    """The known names nearest to `name`: its own spelling first ("cs.lg" → "cs.LG"), then
    the closest in the same archive, then anywhere."""
    import difflib  # only for a name that is wrong: loading a configuration does not pay

    folded = name.strip().lower()
    if folded in _BY_FOLDED:
        return [_BY_FOLDED[folded]]
    archive = folded.partition(".")[0]
    same = [n for n in _BY_FOLDED if n.startswith(f"{archive}.")]
    close = difflib.get_close_matches(folded, same, n=limit, cutoff=0.0) if same else []
    close = close or difflib.get_close_matches(folded, list(_BY_FOLDED), n=limit, cutoff=0.6)
    return [_BY_FOLDED[n] for n in close]
