"""Batch analytics end to end: every archive format, local vs Ray, resume, bad inputs, themes and the report."""

from __future__ import annotations

import csv
import json
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from calmline.batch import runners
from calmline.batch.contact_lens import to_conversation_document
from calmline.batch.job import BatchOptions, EngineKind, analyze_archive
from calmline.batch.report import parse_compare, write_report
from calmline.batch.sources import Archive, Loaded, Unreadable
from calmline.batch.stats import mean_difference, rate_ci, rate_difference
from calmline.errors import InputError
from calmline.model import Channel, Role
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "batch"

# Two complaint topics with no words in common, so their themes must come apart. Each complaint
# mixes a random subject, problem and demand from its topic, as real complaints vary.
DELIVERY = (
    ["my package", "the parcel", "my delivery", "the shipment", "my order from the courier"],
    [
        "never arrived",
        "is two weeks late",
        "went to the wrong address",
        "shows delivered but is not here",
        "is stuck in tracking",
        "was left outside by the driver",
    ],
    ["send the courier again", "tell me where the parcel is", "fix the tracking", "deliver it tomorrow"],
)
BILLING = (
    ["my bill", "the invoice", "my credit card", "the monthly charge", "my account statement"],
    [
        "was charged twice",
        "has a fee I never agreed to",
        "shows a double charge",
        "was overcharged again",
        "has a billing error",
        "took money after I cancelled",
    ],
    ["refund the overcharge", "cancel that fee", "reverse the second charge", "credit my card back"],
)
CLOSERS = ["This is unacceptable.", "I am fed up.", "Sort it out.", "Terrible service.", ""]
JSONL_CONVERSATIONS = 16
OTHER_CONVERSATIONS = 3 + 3 + 1 + 1 + 1 + 2  # csv, parquet, txt, json, turns-jsonl, Contact Lens
CONVERSATIONS = JSONL_CONVERSATIONS + OTHER_CONVERSATIONS
BAD_INPUTS = {"broken.json", "binary.txt", "no_text_column.csv", "chats.jsonl:line 17"}


def complaint(topic: tuple[list[str], list[str], list[str]], n: int) -> str:
    pick = random.Random(n)
    subjects, problems, demands = topic
    return (
        f"{pick.choice(subjects).capitalize()} {pick.choice(problems)}, {pick.choice(demands)}. "
        f"{pick.choice(CLOSERS)}"
    ).strip()


def jsonl_conversation(i: int) -> dict[str, Any]:
    """Inhouse and outsourced handle both topics; only outsourced customers ask for a manager."""
    group = "inhouse" if i % 2 == 0 else "outsourced"
    topic, team = (BILLING, "billing") if i % 4 in (0, 1) else (DELIVERY, "delivery")
    hour = "21:30" if i % 3 == 0 else "10:15"
    turns = [
        {"speaker": "Customer", "role": "customer", "text": complaint(topic, i)},
        {
            "speaker": "Agent",
            "role": "agent",
            "text": "I'm sorry about that. Could you tell me the order number?",
        },
        {"speaker": "Customer", "role": "customer", "text": complaint(topic, i + 100)},
    ]
    if group == "outsourced":
        turns.append(
            {"speaker": "Customer", "role": "customer", "text": "I want to speak to your manager right now."}
        )
    turns.append(
        {
            "speaker": "Agent",
            "role": "agent",
            "text": "I will look into it today. Anything else I can help with?",
        }
    )
    return {
        "id": f"chat-{i:02d}",
        "started_at": f"2025-03-{3 + i % 5:02d}T{hour}:00-05:00",
        "agent_name": ["Dana", "Sam", "Lee", "Kit"][i % 4],
        "metadata": {"team": team, "group": group},
        "turns": turns,
    }


def row_conversations(prefix: str) -> Iterator[dict[str, Any]]:
    for n in range(3):
        for speaker, text in (
            ("Customer", complaint(DELIVERY if n % 2 else BILLING, n + 2)),
            ("Agent", "Thanks for telling me. I will check it and email you today."),
        ):
            yield {
                "conversation_id": f"{prefix}-{n}",
                "speaker": speaker,
                "text": text,
                "started_at": "2025-03-04T11:00:00+00:00",
                "team": "web",
            }


def build_archive(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(jsonl_conversation(i)) for i in range(JSONL_CONVERSATIONS)] + ["{oops, not json"]
    (folder / "chats.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = list(row_conversations("csv"))
    with (folder / "rows.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    pq.write_table(pa.Table.from_pylist(list(row_conversations("pq"))), folder / "rows.parquet")
    (folder / "plain.txt").write_text(
        "# id: plain-1\nCustomer: "
        + complaint(DELIVERY, 3)
        + "\nAgent: I'm sorry, let me check the courier.\n",
        encoding="utf-8",
    )
    (folder / "conversation.json").write_text(json.dumps(jsonl_conversation(20) | {"id": "json-1"}), "utf-8")
    turns = [
        {"speaker": "Customer", "text": complaint(BILLING, 7)},
        {"speaker": "Agent", "text": "Let me look."},
    ]
    (folder / "single.jsonl").write_text("\n".join(json.dumps(t) for t in turns) + "\n", encoding="utf-8")
    for name in ("contact_lens_call.json", "contact_lens_chat.json"):
        shutil.copy(FIXTURES / name, folder / name)
    (folder / "broken.json").write_text('{"turns": [', encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x80\x81\x82 not text")
    (folder / "no_text_column.csv").write_text("conversation_id,speaker\nx,Agent\n", encoding="utf-8")
    (folder / "notes.md").write_text("not part of the archive", encoding="utf-8")
    return folder


def failed_inputs(failures: list[tuple[str, str]], archive: Path) -> set[str]:
    return {origin.removeprefix(f"{archive}/") for origin, _ in failures}


def sorted_rows(table: pa.Table, keys: list[str]) -> list[dict[str, Any]]:
    return sorted(table.to_pylist(), key=lambda row: tuple(row[k] for k in keys))


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_archive(tmp_path_factory.mktemp("batch") / "archive")


@pytest.fixture(scope="module")
def local_run(archive: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("local")
    return out, analyze_archive(archive, out, BatchOptions(workers=2, chunk_size=5))


@pytest.fixture(scope="session")
def local_ray() -> Iterator[None]:
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


# --- reading archives ------------------------------------------------------------------------


def test_every_format_is_read_one_conversation_at_a_time(archive: Path) -> None:
    items = list(Archive(archive).conversations())
    loaded = {item.conversation.id: item for item in items if isinstance(item, Loaded)}
    assert len(loaded) == CONVERSATIONS
    assert {
        "csv-0",
        "csv-2",
        "pq-0",
        "pq-2",
        "plain-1",
        "json-1",
        "single",
        "cl-0f2a7c1e",
        "cl-chat-51d0",
    } <= set(loaded)
    assert loaded["csv-1"].conversation.metadata == {"team": "web"}  # extra columns become metadata
    assert loaded["pq-1"].origin.endswith("rows.parquet:row 3")
    assert loaded["chat-05"].conversation.metadata == {"team": "billing", "group": "outsourced"}
    unreadable = {item.origin.removeprefix(f"{archive}/") for item in items if isinstance(item, Unreadable)}
    assert unreadable == BAD_INPUTS  # notes.md is not an archive file, so it is not a failure


def test_contact_lens_call_maps_roles_offsets_and_contact_id() -> None:
    document = json.loads((FIXTURES / "contact_lens_call.json").read_text(encoding="utf-8"))
    conversation = next(Archive(FIXTURES / "contact_lens_call.json").conversations())
    assert isinstance(conversation, Loaded)
    call = conversation.conversation
    assert (call.id, call.channel) == ("cl-0f2a7c1e", Channel.voice)
    assert [t.role for t in call.turns[:2]] == [Role.agent, Role.customer]
    assert (call.turns[1].start, call.turns[1].end) == (4.1, 9.8)
    assert call.metadata["contact_lens_categories"] == ["Billing dispute"]
    with pytest.raises(ValueError, match="job status is 'FAILED'"):
        to_conversation_document(document | {"JobStatus": "FAILED"}, "x")


def test_contact_lens_chat_takes_its_start_from_the_first_message() -> None:
    item = next(Archive(FIXTURES / "contact_lens_chat.json").conversations())
    assert isinstance(item, Loaded)
    chat = item.conversation
    assert chat.channel is Channel.chat
    assert chat.started_at is not None and chat.started_at.isoformat() == "2025-03-04T22:15:02+00:00"
    assert [t.role for t in chat.turns] == [Role.customer, Role.agent, Role.customer, Role.agent]


# --- the job -----------------------------------------------------------------------------------


def test_local_run_writes_every_turn_and_conversation_and_skips_bad_inputs(
    archive: Path, local_run: tuple[Path, Any]
) -> None:
    out, summary = local_run
    conversations = pq.read_table(out / "conversations.parquet")
    turns = pq.read_table(out / "turns.parquet")
    assert conversations.num_rows == summary.conversations == CONVERSATIONS
    assert turns.num_rows == sum(conversations.column("turns").to_pylist())
    assert failed_inputs(summary.failures, archive) == BAD_INPUTS
    reasons = dict(summary.failures)
    assert "not valid JSON" in reasons[f"{archive}/broken.json"]
    assert "missing column(s) text" in reasons[f"{archive}/no_text_column.csv"]
    rows = {row["conversation_id"]: row for row in conversations.to_pylist()}
    assert rows["chat-03"]["after_hours"] and not rows["chat-01"]["after_hours"]  # 21:30 vs 10:15
    assert rows["chat-01"]["escalated"] and not rows["chat-00"]["escalated"]  # asked for a manager
    assert (rows["chat-01"]["group"], rows["chat-01"]["team"], rows["chat-01"]["agent"]) == (
        "outsourced",
        "billing",
        "Sam",
    )
    assert rows["chat-00"]["score"] is not None and len(rows["chat-00"]["items"]) == 24
    assert json.loads((out / "summary.json").read_text())["conversations"] == CONVERSATIONS


# Ray Data warns about its own deprecated settings when it copies its context; none is set by calmline.
@pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data.context")
def test_ray_gives_the_same_rows_as_local(
    archive: Path, local_run: tuple[Path, Any], local_ray: None, tmp_path: Path
) -> None:
    out, _ = local_run
    summary = analyze_archive(archive, tmp_path, BatchOptions(engine=EngineKind.ray, workers=2, chunk_size=5))
    assert summary.conversations == CONVERSATIONS
    for name, keys in (
        ("conversations.parquet", ["conversation_id"]),
        ("turns.parquet", ["conversation_id", "turn"]),
    ):
        assert sorted_rows(pq.read_table(tmp_path / name), keys) == sorted_rows(
            pq.read_table(out / name), keys
        )
    assert sorted(summary.failures) == sorted(local_run[1].failures)


def test_an_interrupted_run_resumes_without_redoing_finished_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    lines = [json.dumps(jsonl_conversation(i)) for i in range(JSONL_CONVERSATIONS)]
    (archive / "chats.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, options = tmp_path / "out", BatchOptions(workers=1, chunk_size=4, themes=False)
    analysed: list[str] = []
    real = runners.analyze_chunk

    def counting(chunk: Any, setup: Any) -> Any:
        analysed.extend(json.loads(document.text)["id"] for document in chunk.documents)
        return real(chunk, setup)

    monkeypatch.setattr(runners, "analyze_chunk", counting)
    finished = 0

    def interrupt_after_two(conversations: int, failures: int) -> None:
        nonlocal finished
        finished += 1
        if finished == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        analyze_archive(archive, out, options, on_chunk=interrupt_after_two)
    first_run = set(analysed)
    kept = {p.name: p.stat().st_mtime_ns for p in (out / "conversations.parquet").iterdir()}
    assert len(kept) == 2
    with (out / "manifest.jsonl").open("a", encoding="utf-8") as manifest:
        manifest.write('{"chunk": 2, "conversa')  # a line torn by a crash: ignored, and the next not lost

    analysed.clear()
    summary = analyze_archive(archive, out, options)
    assert summary.resumed_chunks == 2
    assert summary.analysed_now == len(analysed) == JSONL_CONVERSATIONS - 8
    assert first_run.isdisjoint(analysed)
    ids = pq.read_table(out / "conversations.parquet").column("conversation_id").to_pylist()
    assert sorted(ids) == sorted(f"chat-{i:02d}" for i in range(JSONL_CONVERSATIONS))
    assert all((out / "conversations.parquet" / name).stat().st_mtime_ns == t for name, t in kept.items())

    analysed.clear()
    assert analyze_archive(archive, out, options).analysed_now == 0 and not analysed


def test_a_changed_archive_is_not_resumed_into_old_results(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "a.txt").write_text("Customer: my parcel is late\nAgent: let me check\n", encoding="utf-8")
    options = BatchOptions(workers=1, themes=False)
    analyze_archive(archive, tmp_path / "out", options)
    (archive / "b.txt").write_text("Customer: charged twice\nAgent: sorry\n", encoding="utf-8")
    with pytest.raises(InputError, match="--restart"):
        analyze_archive(archive, tmp_path / "out", options)
    summary = analyze_archive(archive, tmp_path / "out", BatchOptions(workers=1, themes=False, restart=True))
    assert summary.conversations == 2 and summary.resumed_chunks == 0


def test_cli_reports_bad_inputs_and_fails_only_with_strict(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "good.txt").write_text("Customer: my parcel is late\nAgent: let me check\n", encoding="utf-8")
    (archive / "broken.json").write_text("{", encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "calmline",
        "batch",
        "analyze",
        str(archive),
        "--workers",
        "1",
        "--no-themes",
    ]

    lenient = subprocess.run(
        [*command, "--out", str(tmp_path / "a")], capture_output=True, text=True, cwd=ROOT
    )
    assert lenient.returncode == 0, lenient.stderr
    assert f"{archive}/broken.json: not valid JSON" in lenient.stderr
    assert "1 conversations" in lenient.stderr and "1 inputs skipped" in lenient.stderr

    strict = subprocess.run(
        [*command, "--out", str(tmp_path / "b"), "--strict"], capture_output=True, text=True, cwd=ROOT
    )
    assert strict.returncode == 1
    assert "broken.json" in strict.stderr and "Traceback" not in strict.stderr
    assert pq.read_table(tmp_path / "b" / "conversations.parquet").num_rows == 1  # the rest still proceeded


# --- themes and the report ------------------------------------------------------------------------


def test_two_different_complaint_topics_become_two_themes(local_run: tuple[Path, Any]) -> None:
    out, _ = local_run
    themes = json.loads((out / "themes.json").read_text(encoding="utf-8"))["themes"]
    delivery_words = {"package", "parcel", "delivery", "deliver", "delivered", "shipment", "courier", "arrived",
                      "arrive", "address", "tracking", "driver", "late", "outside"}  # fmt: skip
    billing_words = {"bill", "invoice", "card", "credit", "charge", "charged", "fee", "double", "overcharged",
                     "overcharge", "billing", "cancelled", "money", "refund", "statement", "twice"}  # fmt: skip

    def topic(text: str) -> str:
        words = re.findall(r"[a-z]+", text.lower())
        delivery, billing = sum(w in delivery_words for w in words), sum(w in billing_words for w in words)
        return "delivery" if delivery > billing else "billing" if billing > delivery else "unclear"

    assert themes, "no themes found"
    topics = set()
    for theme in themes:
        assert len(theme["examples"]) == min(3, theme["count"])
        example_topics = {topic(example["quote"]) for example in theme["examples"]}
        assert len(example_topics) == 1, theme  # a theme's examples all tell the same story
        assert topic(" ".join(theme["terms"])) == example_topics.pop()  # and its label names it
        topics.add(topic(" ".join(theme["terms"])))
        assert sum(theme["over_time"].values()) == theme["count"]
    assert topics == {"billing", "delivery"}  # neither topic is lost or merged into the other


def test_report_has_the_plots_and_the_group_comparison_with_intervals(
    local_run: tuple[Path, Any], tmp_path: Path
) -> None:
    out, _ = local_run
    page = write_report(out, tmp_path / "report.html", parse_compare("group=inhouse,outsourced")).read_text(
        "utf-8"
    )
    for plot in (
        "mood", "escalation-team", "escalation-agent", "escalation-hour", "adherence", "themes",
        "comparison-rates", "comparison-means",
    ):  # fmt: skip
        assert re.search(rf'data-plot="{plot}">\s*<svg', page), plot
    # Self-contained: no script, stylesheet or image fetched from anywhere.
    assert not re.search(r"<(script|link|img)\b|url\(http", page)
    comparison = page[page.index('id="comparison"') :]
    assert "inhouse vs outsourced" in comparison
    assert "inhouse: 9 conversations · outsourced: 8 conversations" in comparison
    escalation = re.search(r"<td>escalation rate</td>(.*?)</tr>", comparison, re.S)
    assert escalation is not None
    # Only the outsourced group asked for managers: 0/9 vs 8/8 (Wilson), a difference excluding 0 (Newcombe).
    assert "0.0 % [0.0, 29.9]" in escalation.group(1) and "100.0 % [67.6, 100.0]" in escalation.group(1)
    assert 'class="num notable">-100.0 pp [' in escalation.group(1)
    hours = page[page.index('id="after-hours"') : page.index('id="comparison"')]
    assert "business hours" in hours and "after hours" in hours


def test_report_command_writes_the_page_and_rejects_a_bad_compare_in_one_line(
    local_run: tuple[Path, Any], tmp_path: Path
) -> None:
    command = [
        sys.executable,
        "-m",
        "calmline",
        "report",
        str(local_run[0]),
        "--out",
        str(tmp_path / "r.html"),
    ]
    done = subprocess.run([*command, "--compare", "group=inhouse,outsourced"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "r.html") and (tmp_path / "r.html").stat().st_size > 10_000
    bad = subprocess.run([*command, "--compare", "group"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "FIELD=A,B" in bad.stderr


def test_report_refuses_a_folder_without_results_and_a_bad_compare(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="run 'calmline batch analyze"):
        write_report(tmp_path, tmp_path / "r.html")
    with pytest.raises(InputError, match="FIELD=A,B"):
        parse_compare("group=inhouse")


def test_report_names_the_values_when_a_compared_group_is_missing(
    local_run: tuple[Path, Any], tmp_path: Path
) -> None:
    with pytest.raises(InputError, match=r"values found: .*inhouse"):
        write_report(local_run[0], tmp_path / "r.html", parse_compare("group=inhouse,partner"))


# --- intervals ---------------------------------------------------------------------------------------


def test_wilson_and_newcombe_match_published_values() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, example (h): 56/70 vs 48/80 → 0.2000 [0.0524, 0.3339].
    difference = rate_difference(56, 70, 48, 80)
    assert difference.value == pytest.approx(0.2)
    assert (difference.low, difference.high) == (
        pytest.approx(0.0524, abs=1e-4),
        pytest.approx(0.3339, abs=1e-4),
    )
    none = rate_ci(0, 10)  # Wilson never gives a zero-width interval at 0 %
    assert none.low == 0 and none.high == pytest.approx(0.2775, abs=1e-4)


def test_welch_interval_matches_scipy() -> None:
    from scipy.stats import ttest_ind

    a, b = [3.1, 2.4, 5.0, 4.2, 3.3, 2.9], [1.0, 4.4, 0.2, 2.5, 1.1, 0.4, 3.0, 0.9]
    expected = ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    estimate = mean_difference(a, b)
    assert (estimate.low, estimate.high) == (pytest.approx(expected.low), pytest.approx(expected.high))
