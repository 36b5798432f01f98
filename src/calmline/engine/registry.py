"""The registry of detector factories, looked up by versioned name (``calmline.<name>.v1``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from calmline.engine.context import Detector
from calmline.errors import RegistryError

DetectorFactory = Callable[..., Detector]

_factories: dict[str, DetectorFactory] = {}


def register(name: str) -> Callable[[DetectorFactory], DetectorFactory]:
    """Register a detector factory under ``name``; the factory takes the config as keywords."""

    def add(factory: DetectorFactory) -> DetectorFactory:
        if name in _factories:
            raise RegistryError(f"detector {name!r} is registered twice")
        _factories[name] = factory
        return factory

    return add


def create(name: str, config: dict[str, Any] | None = None) -> Detector:
    """Build the detector registered as ``name`` with its configuration."""
    _load_builtin()
    try:
        factory = _factories[name]
    except KeyError:
        known = ", ".join(sorted(_factories))
        raise RegistryError(f"unknown detector {name!r}; known detectors: {known}") from None
    try:
        return factory(**(config or {}))
    except TypeError as exc:
        raise RegistryError(f"bad configuration for detector {name!r}: {exc}") from None


def parameters(name: str) -> frozenset[str]:
    """The configuration keys the factory registered as ``name`` accepts."""
    _load_builtin()
    factory = _factories.get(name)
    return frozenset(inspect.signature(factory).parameters) if factory else frozenset()


def names() -> list[str]:
    """All registered detector names, sorted."""
    _load_builtin()
    return sorted(_factories)


def _load_builtin() -> None:
    # Importing the package registers the built-in detectors (each module decorates its factory).
    import calmline.engine.detectors  # noqa: F401
