"""Conversations for the browser tests: the shipped examples, posted turn by turn through the real API."""

from __future__ import annotations

from pathlib import Path

import httpx

from calmline.model import Role
from calmline.transcripts import read_transcript

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example_turns(name: str) -> list[tuple[str, str]]:
    """(speaker, text) of an example; a supervisor who joins speaks on the agent's side."""
    conversation = read_transcript(EXAMPLES / f"{name}.txt")
    return [("customer" if t.role == Role.customer else "agent", t.text) for t in conversation.turns]


def open_conversation(client: httpx.Client, **fields: str) -> str:
    response = client.post("/v1/conversations", json=fields)
    response.raise_for_status()
    return str(response.json()["id"])


def post_turns(client: httpx.Client, conversation_id: str, turns: list[tuple[str, str]], first: int = 0) -> list[dict]:
    results = []
    for offset, (speaker, text) in enumerate(turns):
        response = client.post(
            f"/v1/conversations/{conversation_id}/turns",
            json={"id": f"t{first + offset}", "speaker": speaker, "text": text},
        )
        response.raise_for_status()
        results.append(response.json())
    return results
