"""Loading playbooks: the shipped default, a company file merged over it, errors that point at the line."""

from __future__ import annotations

import copy
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from calmline.errors import PlaybookError
from calmline.playbook.schema import Playbook
from calmline.sourcefile import LineIndex, Location, invalid, parse_mapping, read_text

DEFAULT_NAME = "default.yaml"
WORDING_NAME = "default_wording.yaml"


@cache
def load_default() -> Playbook:
    """The catalogue's own playbook shipped in the package (read once per process)."""
    data, _ = _read_package_yaml(DEFAULT_NAME)
    wording, _ = _read_package_yaml(WORDING_NAME)
    data["wording"] = {**wording, **data.get("wording", {})}
    return _validate(data, lines={}, source=f"<package>/{DEFAULT_NAME}", rule_origin={})


def load_playbook(path: Path | str | None = None) -> Playbook:
    """The default playbook, or a company playbook at ``path`` merged over it.

    A company file needs only the sections it changes. Rules are matched by ``id``: a rule
    with a known id changes that rule (``enabled: false`` switches it off), a new id adds one.
    """
    if path is None:
        return load_default()
    path = Path(path)
    company, lines = _read_yaml_file(path)
    base = load_default().model_dump(mode="json")
    merged, rule_origin = merge(base, company)
    return _validate(merged, lines=lines, source=str(path), rule_origin=rule_origin)


def load_playbook_text(text: str, source: str = "<playbook>") -> Playbook:
    """A company playbook given as YAML (or JSON) text, merged over the default like a file."""
    company, lines = _parse(text, source)
    base = load_default().model_dump(mode="json")
    merged, rule_origin = merge(base, company)
    return _validate(merged, lines=lines, source=source, rule_origin=rule_origin)


def merge(base: dict[str, Any], company: dict[str, Any]) -> tuple[dict[str, Any], dict[int, int]]:
    """``company`` over ``base``; also which merged rule index came from which company index."""
    merged = copy.deepcopy(base)
    rule_origin: dict[int, int] = {}
    for key, value in company.items():
        if key == "rules" and isinstance(value, list):
            merged["rules"], rule_origin = _merge_rules(merged.get("rules", []), value)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged, rule_origin


def _merge_rules(base: list[dict[str, Any]], company: list[Any]) -> tuple[list[Any], dict[int, int]]:
    rules: list[Any] = list(base)
    index_of = {rule.get("id"): i for i, rule in enumerate(rules) if isinstance(rule, dict)}
    origin: dict[int, int] = {}
    for j, rule in enumerate(company):
        known = index_of.get(rule.get("id")) if isinstance(rule, dict) else None
        if known is None:
            rules.append(rule)
            origin[len(rules) - 1] = j
        else:
            rules[known] = _deep_merge(rules[known], rule)
            origin[known] = j
    return rules, origin


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


# --- reading -----------------------------------------------------------------------------


def _read_package_yaml(name: str) -> tuple[dict[str, Any], LineIndex]:
    text = resources.files("calmline.playbook").joinpath(name).read_text(encoding="utf-8")
    return _parse(text, f"<package>/{name}")


def _read_yaml_file(path: Path) -> tuple[dict[str, Any], LineIndex]:
    return _parse(read_text(path, PlaybookError, "playbook file"), str(path))


def _parse(text: str, source: str) -> tuple[dict[str, Any], LineIndex]:
    return parse_mapping(
        text, source, PlaybookError, "playbook", "a mapping of sections (practices:, rules: …)"
    )


# --- validating --------------------------------------------------------------------------


def _validate(
    data: dict[str, Any], *, lines: LineIndex, source: str, rule_origin: dict[int, int]
) -> Playbook:
    try:
        return Playbook.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc, lines, source, PlaybookError, lambda loc: _to_source(loc, rule_origin)) from None


def _to_source(loc: Location, rule_origin: dict[int, int]) -> Location:
    """Map a location in the merged playbook back to the company file's own rule numbering."""
    if len(loc) > 1 and loc[0] == "rules" and isinstance(loc[1], int) and loc[1] in rule_origin:
        return ("rules", rule_origin[loc[1]], *loc[2:])
    return loc
