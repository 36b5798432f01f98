"""The example conversations shipped for demos, used by the terminal demo and the console's demo alike."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def examples_folder() -> Path:
    """The examples shipped in the wheel, or the repository's examples/ in a source checkout."""
    shipped = Path(str(resources.files("calmline"))) / "_examples"
    if shipped.is_dir():
        return shipped
    return Path(__file__).resolve().parents[3] / "examples"


def example_files() -> list[Path]:
    folder = examples_folder()
    return sorted(folder.glob("*.txt")) if folder.is_dir() else []
