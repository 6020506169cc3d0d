"""A typer app whose commands are built when one is called or listed, not all at start.

typer turns every registered function into a click command each time the program
starts, reading its parameters from the signature (`typing.get_type_hints` over the
`Annotated` options): about 1 ms a command, 14 ms CPU of each `paos score` for its
15 commands (issue 22: the command is measured against importing polars, pandera
and yaml alone). Here the group holds each command's name and builds it with typer's
own functions on first use: `paos score` builds one, `paos --help` lists and builds
them all, a mistyped name is suggested from the names alone. Registration, help,
parsing and errors stay typer's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import typer
from typer.core import TyperGroup
from typer.main import (
    get_command_from_info,
    get_command_name,
    get_group_from_info,
    solve_typer_info_defaults,
)

Build = Callable[[TyperGroup], Any]  # the group that lists it in, a click command out
Lazy = dict[str, tuple[bool, Build]]  # name: (a sub-app?, how to build it)


class Commands(MutableMapping[str, Any]):
    """A group's commands by name, in the order `paos --help` lists them (typer's:
    the commands as registered, then the sub-apps); each built on first access."""

    def __init__(self, group: TyperGroup, lazy: Lazy, built: dict[str, Any]):
        self._group, self._lazy, self._built = group, dict(lazy), dict(built)

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            self._built[name] = self._lazy[name][1](self._group)  # KeyError: not a command
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self._lazy and name not in self._built:
            raise KeyError(name)
        self._lazy.pop(name, None)
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        yield from sorted(self._lazy, key=lambda name: self._lazy[name][0])  # stable
        yield from (name for name in self._built if name not in self._lazy)

    def __len__(self) -> int:
        return len(self._lazy.keys() | self._built.keys())


class LazyGroup(TyperGroup):
    """typer's group over `Commands`; `lazy` is set per app (`LazyTyper`)."""

    lazy: Lazy = {}

    def __init__(self, *, commands: Any = None, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = Commands(self, self.lazy, dict(commands or {}))


class LazyTyper(typer.Typer):
    """`typer.Typer` whose commands and named sub-apps are built on first use. Always
    a group: the app has a callback, or is added to another as a named sub-app."""

    def __init__(self, **kwargs: Any) -> None:
        self._lazy: Lazy = {}
        super().__init__(cls=type("LazyGroup", (LazyGroup,), {"lazy": self._lazy}), **kwargs)

    def command(self, name: str | None = None, **kwargs: Any) -> Callable[[Any], Any]:
        register = super().command(name, **kwargs)

        def decorator(f: Any) -> Any:
            register(f)
            info = self.registered_commands.pop()
            self._lazy[info.name or get_command_name(f.__name__)] = (
                False,
                lambda group: get_command_from_info(
                    info,
                    pretty_exceptions_short=self.pretty_exceptions_short,
                    rich_markup_mode=group.rich_markup_mode,
                ),
            )
            return f

        return decorator

    def add_typer(self, typer_instance: typer.Typer, **kwargs: Any) -> None:
        super().add_typer(typer_instance, **kwargs)
        name = solve_typer_info_defaults(self.registered_groups[-1]).name
        if not name:  # merged into this group: typer's own way, built at start
            return
        info = self.registered_groups.pop()
        self._lazy[name] = (
            True,
            lambda group: get_group_from_info(
                info,
                pretty_exceptions_short=self.pretty_exceptions_short,
                rich_markup_mode=group.rich_markup_mode,
                suggest_commands=group.suggest_commands,
            ),
        )
