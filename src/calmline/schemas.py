"""JSON Schemas of calmline's contracts (analysis, coach report, playbook), generated from the models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from calmline.model import CoachReport, ConversationAnalysis, TurnAnalysis
from calmline.playbook.schema import Playbook

SCHEMAS: dict[str, type] = {
    "analysis.schema.json": ConversationAnalysis,
    "turn.schema.json": TurnAnalysis,
    "coach.schema.json": CoachReport,
    "playbook.schema.json": Playbook,
}


def schema_of(model: type) -> dict[str, Any]:
    schema = model.model_json_schema(mode="serialization")  # type: ignore[attr-defined]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def render(model: type) -> str:
    return json.dumps(schema_of(model), indent=2, sort_keys=True) + "\n"


def write_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in SCHEMAS.items():
        path = folder / name
        path.write_text(render(model), encoding="utf-8")
        written.append(path)
    return written
