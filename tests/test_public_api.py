"""calmline's faces: the names ``calmline`` exports, the README's library example, and one error tree."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

import calmline
from calmline.errors import CalmlineError
from tests.conftest import ROOT

README = ROOT / "README.md"
ERRORS = ROOT / "src" / "calmline" / "errors.py"


def readme_python_blocks() -> list[str]:
    """The README's fenced python blocks that use calmline."""
    blocks = re.findall(
        r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL
    )
    return [block for block in blocks if "calmline" in block]


@pytest.mark.parametrize("name", calmline.__all__)
def test_every_exported_name_imports(name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from calmline import {name}", namespace)
    assert namespace[name] is getattr(calmline, name)
    assert name in dir(calmline)


def test_the_documented_entry_points_are_exported() -> None:
    assert {"Engine", "Session", "coach_draft", "build_record", "load_playbook"} <= set(calmline.__all__)
    assert len(calmline.__all__) == len(set(calmline.__all__))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        calmline.no_such_name  # noqa: B018


def test_importing_calmline_leaves_the_engine_and_the_coach_unloaded() -> None:
    # The lazy names exist so that the model types and errors cost little to import; a fresh process
    # shows what `import calmline` alone loads.
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, calmline; print(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert not {"calmline.engine.pipeline", "calmline.coach", "calmline.records.record"} & set(loaded)


def test_the_readme_library_example_runs() -> None:
    blocks = readme_python_blocks()
    assert blocks, "the README has no python example that uses calmline"
    for block in blocks:
        assert "from calmline import" in block
        assert "from calmline." not in block, "the README teaches the public names, not module paths"
        namespace: dict[str, object] = {}
        exec(compile(block, str(README), "exec"), namespace)


def _subclasses(error: type[CalmlineError]) -> Iterator[type[CalmlineError]]:
    for subclass in error.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def test_every_calmline_error_is_defined_in_errors_and_drawn_in_its_tree() -> None:
    for module in pkgutil.walk_packages(calmline.__path__, "calmline."):
        if module.name != "calmline.__main__" and ".migrations" not in module.name:
            importlib.import_module(module.name)
    tree = ast.get_docstring(ast.parse(ERRORS.read_text(encoding="utf-8"))) or ""
    for error in _subclasses(CalmlineError):
        qualified = f"{error.__module__}.{error.__qualname__}"
        assert error.__module__ == "calmline.errors", f"{qualified} belongs in calmline/errors.py"
        assert re.search(rf"── {error.__name__}\b", tree), f"{error.__name__} is not drawn in the tree"


def test_errors_imports_nothing_from_the_rest_of_calmline() -> None:
    for node in ast.walk(ast.parse(ERRORS.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            assert not any(alias.name.split(".")[0] == "calmline" for alias in node.names)
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and (node.module or "").split(".")[0] != "calmline"
