"""Complaint themes as a QA lead uses them: one theme per kind of complaint, named by what went wrong, on any JSONL."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calmline.batch.themes import k_range, theme_texts
from calmline.cli import app
from tests.conftest import ROOT

# Kinds of complaint, each written many ways: an opening, the problem in one of several wordings, and chat
# filler that every kind shares (the words the old TF-IDF themes were named by).
KINDS = {
    "delivery": [
        "my parcel still hasn't arrived, the delivery is two weeks late",
        "the package was supposed to be delivered on monday and it never came",
        "tracking has said out for delivery for five days, where is my parcel",
        "the courier never delivered my order and it is a week late",
        "my delivery is late again, the parcel is stuck in transit",
        "still waiting for the package, the delivery date passed days ago",
    ],
    "billing": [
        "you charged my credit card twice for the same order",
        "there is a double charge on my card statement for one purchase",
        "i was billed two times for a single subscription payment",
        "my bank shows the same payment taken twice from my card",
        "why did you charge me twice, i only paid for one invoice",
        "the invoice amount was debited twice from my account",
    ],
    "login": [
        "i can't log in to my account, the password reset email never comes",
        "the app keeps saying my password is wrong and i can't sign in",
        "i'm locked out of my account after the login failed three times",
        "can't log in since yesterday, the two factor code never arrives",
        "your website won't let me sign in even with the new password",
        "login page says invalid credentials but my password is right",
    ],
    "damaged": [
        "the blender arrived broken, the glass jar was shattered in the box",
        "my new tv came with a cracked screen straight out of the box",
        "the lamp was damaged in the box, the base is snapped in half",
        "the mug set arrived smashed, three of the cups are broken",
        "the chair arrived with a broken leg and scratches all over it",
        "the phone screen was cracked when i opened the package",
    ],
    "refund": [
        "i returned the shoes a month ago and still have no refund",
        "where is my refund, you received the returned item weeks ago",
        "the refund for my cancelled order never reached my account",
        "you promised a refund in five days and it has been three weeks",
        "my return was accepted but the money was never refunded",
        "still no refund for the jacket i sent back last month",
    ],
    "rude_agent": [
        "the agent on the phone was rude and hung up on me",
        "your support person was condescending and refused to listen",
        "the representative laughed at me and was really disrespectful",
        "the last agent was rude, talked over me and then ended the call",
        "your staff member was dismissive and insulted me on the chat",
        "the person on the hotline was unprofessional and shouted at me",
    ],
}
OPENINGS = ["", "Hi, ", "Seriously guys, ", "Ok so ", "Hello, i think ", "Ugh. "]
# fmt: off
ENDINGS = ["", " asap please!", " Did you even check?", " This is ridiculous.", " I really need this fixed.", " Thanks."]
FILLERS = {"seriously", "guys", "think", "did", "asap", "please", "really", "ridiculous", "thanks", "hi", "ugh", "ok"}
# fmt: on


def complaints(kinds: list[str], per_kind: int, seed: int = 7) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts, truth = [], []
    for kind in kinds:
        for _ in range(per_kind):
            texts.append(rng.choice(OPENINGS) + rng.choice(KINDS[kind]) + rng.choice(ENDINGS))
            truth.append(kind)
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], [truth[i] for i in order]


@pytest.fixture(scope="module")
def six_kinds() -> tuple[list[str], list[str], object]:
    texts, truth = complaints(list(KINDS), 12)
    return texts, truth, theme_texts(texts)


def test_different_kinds_of_complaint_land_in_different_themes(six_kinds: tuple) -> None:
    _, truth, themed = six_kinds
    kinds_of: dict[int, Counter[str]] = {}
    for theme, kind in zip(themed.ids, truth, strict=True):
        kinds_of.setdefault(theme, Counter())[kind] += 1
    assert 0 not in kinds_of  # every complaint is in a theme
    for theme, kinds in kinds_of.items():
        assert len(kinds) == 1, (theme, kinds)  # no theme mixes two kinds of complaint
    assert {kinds.most_common(1)[0][0] for kinds in kinds_of.values()} == set(KINDS)  # and none is lost


def test_labels_name_what_went_wrong_not_the_filler(six_kinds: tuple) -> None:
    _, truth, themed = six_kinds
    words_of_kind = {kind: set(" ".join(KINDS[kind]).split()) for kind in KINDS}
    for theme in themed.themes.themes:
        kinds = Counter(k for t, k in zip(themed.ids, truth, strict=True) if t == theme.id)
        kind = kinds.most_common(1)[0][0]
        label_words = set(theme.label.replace(",", " ").split())
        assert not label_words & FILLERS, theme.label
        assert label_words & words_of_kind[kind], (theme.label, kind)  # the label says this kind's words
        assert len(theme.examples) == 3 and len({e.quote for e in theme.examples}) == 3


def test_the_number_of_themes_is_chosen_from_the_data() -> None:
    four, _ = complaints(["delivery", "billing", "login", "refund"], 18)
    six, _ = complaints(list(KINDS), 12)
    assert len(four) == len(six)  # the same number of texts: only what they say differs
    chosen_four, chosen_six = theme_texts(four).themes, theme_texts(six).themes
    assert chosen_four.chosen_by == chosen_six.chosen_by == "silhouette"
    low, high = k_range(len(four))
    assert low <= chosen_four.clusters < chosen_six.clusters <= high
    assert chosen_four.clusters == 4 and chosen_six.clusters >= 6
    assert theme_texts(six, themes=3).themes.clusters == 3  # and can be given


def test_too_few_texts_are_one_other_theme_not_an_error() -> None:
    themed = theme_texts(["my parcel is late", "my parcel is late", "", "double charge"])
    assert themed.ids == [0, 0, 0, 0] and themed.themes.themes == []


def run_themes(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "calmline", "themes", *arguments]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_the_command_adds_a_theme_to_every_record_and_reports_bad_lines(tmp_path: Path) -> None:
    texts, truth = complaints(list(KINDS), 12)
    lines = [
        json.dumps({"id": n, "body": text, "kind": kind})
        for n, (text, kind) in enumerate(zip(texts, truth, strict=True))
    ]
    lines[5:5] = ["{not json", '["a list"]', '{"id": "no body"}', '{"body": 42}', ""]
    source = tmp_path / "texts.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")

    # In process (the embedder is already loaded); the one-line errors of a real process are tested below.
    run = CliRunner().invoke(
        app,
        [
            "themes",
            "--input",
            str(source),
            "--output",
            str(tmp_path / "themed.jsonl"),
            "--text-field",
            "body",
        ],
    )

    assert run.exit_code == 0, run.output
    for line, why in (
        (6, "not valid JSON"),
        (7, "not a JSON object"),
        (8, 'no "body" field'),
        (9, 'a non-text "body" field'),
    ):
        assert f"line {line}: {why}" in run.stderr
    records = [
        json.loads(line) for line in (tmp_path / "themed.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    # Every good record, in input order, kept whole.
    assert [r["id"] for r in records] == list(range(len(texts)))
    assert all(isinstance(r["theme"], int) and r["theme_label"] for r in records)
    for theme in {r["theme"] for r in records}:
        assert len({r["kind"] for r in records if r["theme"] == theme}) == 1
        assert len({r["theme_label"] for r in records if r["theme"] == theme}) == 1
    assert "skipped 4 lines" in run.stderr


def test_the_command_fails_in_one_line_on_a_missing_file(tmp_path: Path) -> None:
    run = run_themes("--input", str(tmp_path / "nowhere.jsonl"), "--output", str(tmp_path / "out.jsonl"))
    assert run.returncode == 2
    assert "error: cannot read" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "out.jsonl").exists()
