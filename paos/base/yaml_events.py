"""YAML read as parser events, never through a constructor."""

from __future__ import annotations

import yaml

from paos.base.limits import MAX_YAML_DEPTH
from paos.errors import Problem

_KEY, _DUPLICATE = object(), object()
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser if present


def read_yaml(
    text: str, label: str, nested: dict[tuple, int] | None = None
) -> tuple[object, dict[str, int], list[Problem]]:
    """YAML text as nested dicts and lists of text, read from the parser's events.

    Every scalar stays the text written (`007`, `yes`, `1.0` and `null` stay text; a
    blank plain value is None). Refused, with the line: an anchor or alias (never
    expanded, so an alias bomb costs nothing), a tag (never constructed), nesting
    deeper than `MAX_YAML_DEPTH`, a key that is not a plain value, more than one
    document (data is then None), and a key given twice in one mapping (its first
    value is kept). Returns (data, line of each top-level key, problems); `nested`, if
    given, receives the line of every key by its path (a tuple of keys)."""
    problems: list[Problem] = []
    lines: dict[str, int] = {}
    stack: list[list] = []  # [container, key or _KEY, line of each key, path]
    root: list = []

    def refuse(line: int | None, rule: str, column: str | None = None):
        problems.append(Problem(label, rule, line, column))
        return None, lines, problems

    try:
        for event in yaml.parse(text, Loader=_SAFE_LOADER):
            line = event.start_mark.line + 1
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                sign = "*" if isinstance(event, yaml.AliasEvent) else "&"
                return refuse(
                    line,
                    f"uses a YAML anchor or alias ({sign}{event.anchor}); write each value itself",
                )
            if isinstance(event, yaml.DocumentStartEvent) and root:
                return refuse(line, "holds more than one YAML document")
            if isinstance(event, yaml.CollectionEndEvent):
                stack.pop()
                continue
            if isinstance(event, yaml.ScalarEvent):
                if event.tag is not None:
                    return refuse(line, f"uses a YAML tag ({event.tag}); write plain values")
                value: object = event.value if event.value or event.style else None
            elif isinstance(event, yaml.CollectionStartEvent):
                if event.tag is not None:
                    return refuse(line, f"uses a YAML tag ({event.tag}); write plain values")
                if len(stack) >= MAX_YAML_DEPTH:
                    return refuse(
                        line, f"nests lists or mappings deeper than {MAX_YAML_DEPTH} levels"
                    )
                value = {} if isinstance(event, yaml.MappingStartEvent) else []
            else:
                continue
            if not stack:
                root.append(value)
            elif isinstance(stack[-1][0], list):
                stack[-1][0].append(value)
            elif stack[-1][1] is _KEY:
                if not isinstance(value, str | None):
                    return refuse(line, "has a key that is not a plain value")
                key = value or ""
                slot: object = key  # the key, or _DUPLICATE for a repeated one
                first = stack[-1][2].get(key)
                if first is not None:
                    problems.append(
                        Problem(label, f"appears twice (first on line {first})", line, key)
                    )
                    slot = _DUPLICATE
                else:
                    stack[-1][2][key] = line
                    if len(stack) == 1:
                        lines[key] = line
                    if nested is not None:
                        nested[(*stack[-1][3], key)] = line
                stack[-1][1] = slot
            else:
                path = (*stack[-1][3], stack[-1][1])
                if stack[-1][1] is not _DUPLICATE:
                    stack[-1][0][stack[-1][1]] = value
                stack[-1][1] = _KEY
            if isinstance(value, dict | list):
                if not stack:
                    path = ()
                elif isinstance(stack[-1][0], list):
                    path = (*stack[-1][3], len(stack[-1][0]) - 1)
                stack.append([value, _KEY, {}, path])
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return refuse(
            mark.line + 1 if mark else None,
            f"is not valid YAML ({getattr(exc, 'problem', None) or exc})",
        )
    return (root[0] if root else None), lines, problems
