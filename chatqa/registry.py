"""Name -> object registries backed by entry points, shared by built-ins and plug-ins."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Lazy lookup of plug-ins registered under one entry-point group.

    chatqa's own parsers and rule kinds are entry points in its pyproject.toml, so a
    third-party package registers a new one the same way. `register` adds an object in
    process (tests, notebooks) and wins over an entry point of the same name.
    """

    def __init__(self, group: str, what: str) -> None:
        self.group = group
        self.what = what
        self._local: dict[str, T] = {}
        self._loaded: dict[str, T] = {}

    def register(self, name: str, obj: T) -> None:
        """Register `obj` under `name` for this process."""
        self._local[name] = obj

    def unregister(self, name: str) -> None:
        """Forget an object registered with `register`."""
        self._local.pop(name, None)

    def names(self) -> list[str]:
        """All registered names, in entry-point order, then in-process ones."""
        names = [ep.name for ep in entry_points(group=self.group)]
        return list(dict.fromkeys([*names, *self._local]))

    def get(self, name: str) -> T:
        """Load the object registered as `name`; ConfigError if there is none."""
        if name in self._local:
            return self._local[name]
        if name not in self._loaded:
            from .errors import ConfigError  # (here: listing names must not import pydantic)

            matches = entry_points(group=self.group, name=name)
            if not matches:
                from .suggest import did_you_mean

                known = ", ".join(self.names()) or "none"
                hint = did_you_mean(name, self.names())
                raise ConfigError(f"unknown {self.what} {name!r}{hint} (known: {known})")
            try:
                self._loaded[name] = next(iter(matches)).load()
            except Exception as exc:  # a broken plug-in must not take the CLI down
                raise ConfigError(f"cannot load {self.what} {name!r}: {exc}") from exc
        return self._loaded[name]
