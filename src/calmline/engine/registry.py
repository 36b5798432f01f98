"""The registry of detector factories, looked up by versioned name (``calmline.<name>.v1``).

Each detector declares, when it registers, the signal kinds it can set (like spaCy's
``@Language.component(assigns=[...])``): rules, the coach and storage can then tell which detectors a
kind depends on without running them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

from calmline.engine.context import Detector
from calmline.errors import RegistryError
from calmline.signals import AGENT_SIGNALS, CUSTOMER_SIGNALS, ENCODER_HEADS

DetectorFactory = Callable[..., Detector]

KNOWN_KINDS: frozenset[str] = (
    frozenset(CUSTOMER_SIGNALS) | frozenset(AGENT_SIGNALS) | frozenset(ENCODER_HEADS)
)
"""Every signal kind a detector may declare: the catalogue in :mod:`calmline.signals`."""

_factories: dict[str, DetectorFactory] = {}
_assigns: dict[str, frozenset[str]] = {}


def register(name: str, *, assigns: Iterable[str]) -> Callable[[DetectorFactory], DetectorFactory]:
    """Register a detector factory under ``name``; the factory takes the config as keywords.

    ``assigns`` names every signal kind the detector can set; each must be a known kind.
    """
    declared = _declared(name, assigns)

    def add(factory: DetectorFactory) -> DetectorFactory:
        if name in _factories:
            raise RegistryError(f"detector {name!r} is registered twice")
        _factories[name] = factory
        _assigns[name] = declared
        return factory

    return add


def _declared(name: str, assigns: Iterable[str]) -> frozenset[str]:
    if isinstance(assigns, str):
        raise RegistryError(
            f"detector {name!r}: assigns must be a collection of kinds, not the string {assigns!r}"
        )
    declared = frozenset(assigns)
    if not declared:
        raise RegistryError(f"detector {name!r} declares no signal kinds")
    unknown = sorted(declared - KNOWN_KINDS)
    if unknown:
        raise RegistryError(
            f"detector {name!r} declares unknown signal kinds: {', '.join(unknown)} (see calmline.signals)"
        )
    return declared


def create(name: str, config: dict[str, Any] | None = None) -> Detector:
    """Build the detector registered as ``name`` with its configuration."""
    _load_builtin()
    try:
        factory = _factories[name]
    except KeyError:
        raise _unknown(name) from None
    try:
        return factory(**(config or {}))
    except TypeError as exc:
        raise RegistryError(f"bad configuration for detector {name!r}: {exc}") from None


def assigns(name: str) -> frozenset[str]:
    """The signal kinds the detector registered as ``name`` declares it can set."""
    _load_builtin()
    try:
        return _assigns[name]
    except KeyError:
        raise _unknown(name) from None


def parameters(name: str) -> frozenset[str]:
    """The configuration keys the factory registered as ``name`` accepts."""
    _load_builtin()
    factory = _factories.get(name)
    return frozenset(inspect.signature(factory).parameters) if factory else frozenset()


def names() -> list[str]:
    """All registered detector names, sorted."""
    _load_builtin()
    return sorted(_factories)


def _unknown(name: str) -> RegistryError:
    known = ", ".join(sorted(_factories))
    return RegistryError(f"unknown detector {name!r}; known detectors: {known}")


def _load_builtin() -> None:
    # Importing the package registers the built-in detectors (each module decorates its factory).
    import calmline.engine.detectors  # noqa: F401
