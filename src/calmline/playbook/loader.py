"""Loading playbooks: the shipped default, a company file merged over it, errors that point at the line."""

from __future__ import annotations

import copy
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from calmline.errors import PlaybookError
from calmline.playbook.schema import Playbook

Location = tuple[str | int, ...]

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


def _read_package_yaml(name: str) -> tuple[dict[str, Any], dict[Location, int]]:
    text = resources.files("calmline.playbook").joinpath(name).read_text(encoding="utf-8")
    return _parse(text, f"<package>/{name}")


def _read_yaml_file(path: Path) -> tuple[dict[str, Any], dict[Location, int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlaybookError(f"{path}: no such playbook file") from None
    except IsADirectoryError:
        raise PlaybookError(f"{path}: is a directory, not a playbook file") from None
    except UnicodeDecodeError as exc:
        raise PlaybookError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise PlaybookError(f"{path}: cannot read ({exc.strerror})") from None
    return _parse(text, str(path))


def _parse(text: str, source: str) -> tuple[dict[str, Any], dict[Location, int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PlaybookError(f"{source}{where}: not valid YAML: {problem}") from None
    if data is None:
        raise PlaybookError(f"{source}: the playbook is empty")
    if not isinstance(data, dict):
        raise PlaybookError(f"{source}:1: a playbook must be a mapping of sections (practices:, rules: …)")
    lines: dict[Location, int] = {}
    _index_lines(node, (), lines)
    return data, lines


def _index_lines(node: yaml.Node | None, at: Location, lines: dict[Location, int]) -> None:
    """Record the line of every value in the YAML tree, by its path of keys and indexes."""
    if node is None:
        return
    lines.setdefault(at, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = (*at, key.value)
            lines[path] = key.start_mark.line + 1
            _index_lines(value, path, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, (*at, i), lines)


# --- validating --------------------------------------------------------------------------


def _validate(
    data: dict[str, Any], *, lines: dict[Location, int], source: str, rule_origin: dict[int, int]
) -> Playbook:
    try:
        return Playbook.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        loc = _to_source(tuple(first["loc"]), rule_origin)
        line = _line_of(loc, lines)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        where = f"{source}:{line}" if line else source
        raise PlaybookError(f"{where}: {_field(loc)}: {first['msg']}{more}") from None


def _to_source(loc: Location, rule_origin: dict[int, int]) -> Location:
    """Map a location in the merged playbook back to the company file's own rule numbering."""
    if len(loc) > 1 and loc[0] == "rules" and isinstance(loc[1], int) and loc[1] in rule_origin:
        return ("rules", rule_origin[loc[1]], *loc[2:])
    return loc


def _line_of(loc: Location, lines: dict[Location, int]) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _field(loc: Location) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif part == "[key]":
            parts.append(" (key)")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts) or "(top level)"
