"""Wording variants for rewrites: looked up in the playbook, filled in, and rotated so they vary."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from importlib import resources

import yaml

from calmline.coach.edits import capitalise_first, tidy
from calmline.engine.text import WORD
from calmline.playbook import Playbook

WORDING_FILE = "default_wording.yaml"


@cache
def packaged_wording() -> dict[str, list[str]]:
    """The variants shipped with calmline (the default playbook merges the same file)."""
    text = resources.files("calmline.playbook").joinpath(WORDING_FILE).read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    return {str(key): [str(v) for v in value] for key, value in data.items()}


def variants(playbook: Playbook, key: str) -> list[str]:
    """The playbook's variants for ``key``; the packaged ones if a company playbook lacks it."""
    return list(playbook.wording.get(key) or packaged_wording().get(key, []))


# A placeholder with the comma that attaches it: ", {name}" or "{name}, ".
def _drop(placeholder: str) -> re.Pattern[str]:
    token = re.escape("{" + placeholder + "}")
    return re.compile(rf"\s*,\s*{token}(?=\s*[,.!?;:])|,\s*{token}|{token}\s*,\s*|\s*{token}")


def fill(template: str, values: Mapping[str, str | None]) -> str:
    """``template`` with ``{placeholders}`` filled; unknown ones removed with their comma."""
    text = template
    for placeholder in re.findall(r"\{(\w+)\}", template):
        value = values.get(placeholder)
        token = "{" + placeholder + "}"
        text = text.replace(token, value) if value else _drop(placeholder).sub("", text)
    return capitalise_first(tidy(text, sentence_case=True))


@lru_cache(maxsize=4096)
def _normalised(text: str) -> str:
    """Lower-cased words joined by single spaces: the form in which "already said" is checked."""
    return " ".join(WORD.findall(text)).lower()


def choose(
    options: list[str], seed: int, values: Mapping[str, str | None], said: Iterable[str] = (), count: int = 1
) -> list[str]:
    """``count`` filled variants, starting at ``seed`` in rotation, skipping ones already said.

    The seed moves with the conversation (the number of agent turns so far), so consecutive
    drafts get different wording; a variant the agent already sent is offered only as a last resort.
    """
    if not options:
        return []
    earlier = [_normalised(text) for text in said]
    rotated = [options[(seed + i) % len(options)] for i in range(len(options))]
    filled = [fill(template, values) for template in rotated]
    fresh = [
        text
        for text, norm in zip(filled, map(_normalised, filled), strict=True)
        if not any(norm in old for old in earlier)
    ]
    stale = [text for text in filled if text not in fresh]
    return (fresh + stale)[:count]
