"""The shipped sentence embedder: texts to L2-normalised vectors that lie close when the texts are about the same thing.

all-MiniLM-L6-v2 as its authors trained it (int8 ONNX, exported by ``calmline train sentences``) and its
tokenizer ship in ``engine/models/sentences/``; nothing is fetched at run time and torch is never imported.
It feeds the complaint themes, not the alerts: the fine-tuned encoder (``encoder.py``) reads those.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from calmline.engine.models import padded_batch, read_model_folder
from calmline.errors import ModelError

__all__ = ["MODEL_DIR", "SentenceEncoder", "load_sentence_encoder", "load_sentence_encoder_from"]

FORMAT = 1
REINSTALL = "reinstall calmline (pip install --force-reinstall calmline) or re-export it with `calmline train sentences`"
BATCH = 16
"""Texts run together, of similar length: padding a batch to a much longer text costs more than it saves."""
MODEL_DIR = Path(__file__).with_name("sentences")
WINDOW = 128
"""A text is read up to this many word pieces (the network takes 256). What a complaint is about is said early:
on CFPB narratives (median 160 words) the themes' NMI was 0.44 read to 128 and 0.435 read to 256, in
well under half the time."""


class SentenceEncoder:
    """The network and its tokenizer, loaded once per process; ``embed`` is thread-safe and releases the GIL."""

    def __init__(self, network: Path, tokenizer: Path, meta: dict[str, object]) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        if meta.get("format") != FORMAT:
            raise ModelError(
                f"meta.json: format {meta.get('format')!r}, this calmline reads {FORMAT}; {REINSTALL}"
            )
        self.max_tokens = min(WINDOW, int(str(meta["max_tokens"])))
        self.dimensions = int(str(meta["dimensions"]))
        try:
            self._tokenizer = Tokenizer.from_file(str(tokenizer))
        except Exception as exc:  # the tokenizers library raises its own exception types
            raise ModelError(f"{tokenizer}: unreadable tokenizer ({exc}); {REINSTALL}") from None
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self.max_tokens)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self._session = onnxruntime.InferenceSession(
                str(network), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own exception types for a bad file
            raise ModelError(f"{network}: unreadable sentence embedder ({exc}); {REINSTALL}") from None

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One L2-normalised float32 row per text (a text with no words gets a zero row), in input order.
        Texts are run in batches of similar length; a text is read up to ``max_tokens`` word pieces."""
        # A lone surrogate (from a badly decoded file) is not text the tokenizer accepts.
        cleaned = [text.encode("utf-8", "replace").decode("utf-8") for text in texts]
        ids = [encoding.ids for encoding in self._tokenizer.encode_batch(cleaned)]
        vectors = np.zeros((len(ids), self.dimensions), dtype=np.float32)
        # Sorted by length, ties in input order: the same texts always run in the same batches.
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), BATCH):
            chosen = order[start : start + BATCH]
            vectors[chosen] = self._run([ids[i] for i in chosen])
        for row, text in enumerate(cleaned):
            if not text.strip():
                vectors[row] = 0.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit = np.zeros_like(vectors)
        np.divide(vectors, norms, out=unit, where=norms > 0)
        return unit

    def _run(self, rows: list[list[int]]) -> npt.NDArray[np.float32]:
        (pooled,) = self._session.run(["embedding"], padded_batch(rows))
        return np.asarray(pooled, dtype=np.float32)


def load_sentence_encoder_from(folder: Traversable | Path) -> SentenceEncoder:
    """The embedder in ``folder`` (sentences.onnx, tokenizer.json, meta.json), or a ModelError naming the file."""
    meta = read_model_folder(
        folder, ("sentences.onnx", "tokenizer.json", "meta.json"), "meta.json", REINSTALL
    )
    with (
        as_file(folder.joinpath("sentences.onnx")) as network,
        as_file(folder.joinpath("tokenizer.json")) as tokenizer,
    ):
        return SentenceEncoder(Path(network), Path(tokenizer), meta)


@cache
def load_sentence_encoder() -> SentenceEncoder:
    """The shipped sentence embedder (loaded once per process)."""
    return load_sentence_encoder_from(files("calmline.engine.models").joinpath("sentences"))
