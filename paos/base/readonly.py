"""Read-only views of parsed data, and plain copies of them.

A loaded rulebook is cached and shared by every caller in the process, so what the
cache hands out is read-only all the way down: `freeze` turns each mapping into a
`types.MappingProxyType` over a fresh dict and each list into a tuple; scalars
(str, int, float, bool, None, dates) are immutable already. A caller that assigns,
appends or deletes gets a `TypeError` instead of changing every other caller's
methodology. `thaw` gives back a fresh plain copy (dicts and lists) for the callers
that serialise or edit one (YAML and JSON writers, the derived rulebook).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any


def freeze(value: Any) -> Any:
    """`value` (parsed YAML or JSON) with every dict read-only and every list a tuple."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """A fresh plain copy of `value`: every mapping a new dict, every tuple a new list,
    so the caller owns it and may change it."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    return value
