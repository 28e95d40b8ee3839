"""Name -> lazily imported object, for every extension kind (storage providers, converters, ...).

Modelled on fsspec's ``known_implementations``: targets are ``"module:attr"`` strings imported on
first use, each with an install hint shown when its module is missing. Third parties add entries
through an entry-point group; a name that is already taken is refused unless ``clobber=True``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from synapse_sdk.core.errors import DuplicateNameError as DuplicateNameError
from synapse_sdk.core.errors import MissingDependencyError, NotFoundError

T = TypeVar('T')


@dataclass(frozen=True)
class RegistryEntry:
    name: str
    target: str
    aliases: tuple[str, ...] = ()
    install_hint: str | None = None


@dataclass
class Registry(Generic[T]):
    """A registry of one extension kind, e.g. ``Registry('storage provider', 'synapse_sdk.storage')``."""

    kind: str
    entry_point_group: str | None = None
    _entries: dict[str, RegistryEntry] = field(default_factory=dict, repr=False)
    _aliases: dict[str, str] = field(default_factory=dict, repr=False)
    _loaded: dict[str, T] = field(default_factory=dict, repr=False)
    _entry_points_read: bool = field(default=False, repr=False)

    def register(
        self,
        name: str,
        target: str | T,
        *,
        aliases: tuple[str, ...] | list[str] = (),
        install_hint: str | None = None,
        clobber: bool = False,
    ) -> None:
        """Register ``target`` (``"module:attr"`` or the object itself) under ``name`` and ``aliases``."""
        key = self._normalise(name)
        alias_keys = tuple(self._normalise(a) for a in aliases)
        text_target = target if isinstance(target, str) else f'{_qualname(target)}'
        if not clobber:
            for candidate in (key, *alias_keys):
                owner = self._aliases.get(candidate)
                if owner is not None and self._entries[owner].target != text_target:
                    raise DuplicateNameError(
                        f'{self.kind} {candidate!r} is already registered as {self._entries[owner].target!r}; '
                        'pass clobber=True to replace it',
                        details={'name': candidate},
                    )
        self._entries[key] = RegistryEntry(key, text_target, alias_keys, install_hint)
        self._loaded.pop(key, None)
        if not isinstance(target, str):
            self._loaded[key] = target
        for candidate in (key, *alias_keys):
            self._aliases[candidate] = key

    def unregister(self, name: str) -> None:
        """Remove ``name`` (or the entry an alias points to) with its aliases; unknown names are ignored."""
        key = self._aliases.get(self._normalise(name))
        if key is None:
            return
        entry = self._entries.pop(key)
        self._loaded.pop(key, None)
        for candidate in (key, *entry.aliases):
            if self._aliases.get(candidate) == key:
                del self._aliases[candidate]

    def canonical(self, name: str) -> str:
        """The registered name behind ``name`` or one of its aliases."""
        key = self._normalise(name)
        if key not in self._aliases:
            self._read_entry_points()
        try:
            return self._aliases[key]
        except KeyError:
            raise NotFoundError(
                f'unknown {self.kind} {name!r}; available: {", ".join(self.names(include_aliases=True))}',
                details={'name': name, 'available': self.names(include_aliases=True)},
            ) from None

    def load(self, name: str) -> T:
        """Import and return the object registered under ``name`` (or an alias)."""
        key = self.canonical(name)
        if key in self._loaded:
            return self._loaded[key]
        entry = self._entries[key]
        module_name, _, attr = entry.target.partition(':')
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            hint = f' Install it with: {entry.install_hint}' if entry.install_hint else ''
            raise MissingDependencyError(
                f'{self.kind} {name!r} needs a package that is not installed ({error.name}).{hint}',
                details={'name': name, 'module': error.name},
            ) from error
        obj: T = getattr(module, attr) if attr else module  # type: ignore[assignment]
        self._loaded[key] = obj
        return obj

    def names(self, *, include_aliases: bool = False) -> list[str]:
        self._read_entry_points()
        return sorted(self._aliases if include_aliases else self._entries)

    def entry(self, name: str) -> RegistryEntry:
        return self._entries[self.canonical(name)]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            self.canonical(name)
        except NotFoundError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def _read_entry_points(self) -> None:
        if self._entry_points_read or self.entry_point_group is None:
            return
        self._entry_points_read = True
        for ep in entry_points(group=self.entry_point_group):
            key = self._normalise(ep.name)
            if key not in self._aliases:  # built-ins win; a third party cannot silently replace them
                self.register(key, ep.value)

    @staticmethod
    def _normalise(name: str) -> str:
        return name.strip().lower()


def _qualname(obj: object) -> str:
    module = getattr(obj, '__module__', type(obj).__module__)
    qualname = getattr(obj, '__qualname__', type(obj).__qualname__)
    return f'{module}:{qualname}'
