"""Shared fixtures: contexts for detector tests, the default engine, example paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from calmline.engine.context import Context
from calmline.model import Channel, ConversationInfo, CustomerState, Role, Turn, TurnAnalysis

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def context(
    index: int = 0,
    history: list[TurnAnalysis] | None = None,
    state: CustomerState | None = None,
    **conversation: object,
) -> Context:
    info = ConversationInfo(id="test", channel=Channel.chat, **conversation)  # type: ignore[arg-type]
    return Context(info, history or [], state or CustomerState(), index)


def customer(text: str) -> Turn:
    return Turn(speaker="Customer", role=Role.customer, text=text)


def agent(text: str) -> Turn:
    return Turn(speaker="Agent", role=Role.agent, text=text)


@pytest.fixture(scope="session")
def engine():
    from calmline.engine.pipeline import Engine

    return Engine.default()
