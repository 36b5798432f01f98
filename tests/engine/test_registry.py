"""The detector registry: a snapshot of the registered names, and errors for unknown ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from calmline.engine import registry
from calmline.errors import RegistryError
from calmline.playbook import load_default

SNAPSHOT = Path(__file__).with_name("registry_snapshot.txt")


def test_registry_matches_snapshot() -> None:
    # A renamed or removed detector breaks every playbook that names it: change deliberately.
    assert registry.names() == SNAPSHOT.read_text(encoding="utf-8").split()


# Lexicon detectors replaced in the default pipeline by their trained versions (issue 4); they stay
# registered so that company playbooks naming them keep working.
SUPERSEDED = {"calmline.emotion.v1": "calmline.emotion.v2", "calmline.offensive.v1": "calmline.offensive.v2"}


def test_default_pipeline_uses_every_registered_detector() -> None:
    assert sorted(spec.name for spec in load_default().detectors) == sorted(set(registry.names()) - set(SUPERSEDED))


def test_default_pipeline_runs_each_superseded_detectors_successor() -> None:
    names = {spec.name for spec in load_default().detectors}
    assert set(SUPERSEDED.values()) <= names
    assert not set(SUPERSEDED) & names


def test_unknown_and_misconfigured_detectors() -> None:
    with pytest.raises(RegistryError, match=r"unknown detector 'calmline\.nope\.v1'"):
        registry.create("calmline.nope.v1")
    with pytest.raises(RegistryError, match="bad configuration"):
        registry.create("calmline.shouting.v1", {"volume": 11})
    with pytest.raises(RegistryError, match="registered twice"):
        registry.register("calmline.shouting.v1", assigns=["shouting"])(lambda: None)  # type: ignore[arg-type,return-value]
