"""Loading rule files: ``<pack>/<group>/<name>.yaml`` validated against their kind.

Rule packs come from the ``chatqa.rules`` entry point (chatqa's own pack is registered
there too) and from extra folders named in the config. Errors name the file and the key:
``rules/wording/hold-request.yaml: error: patterns[2]: unbalanced parentheses``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from importlib.metadata import entry_points
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from .errors import ConfigError
from .kinds import Rule
from .kinds import registry as kinds
from .settings_files import load_yaml

if TYPE_CHECKING:
    from .match.lexicon import Lexicon

_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def pack_folders(extra: Iterable[str | Path] = ()) -> list[Path]:
    """Folders of every installed rule pack, then the extra ones (paths or pack names)."""
    installed: dict[str, Path] = {}
    for ep in entry_points(group="chatqa.rules"):
        try:
            installed[ep.name] = Path(str(files(ep.load())))
        except Exception as exc:  # a broken plug-in must not take the run down silently
            raise ConfigError(f"cannot load rule pack {ep.name!r}: {exc}") from exc
    folders = list(installed.values())
    for item in extra:
        if str(item) in installed:
            continue
        path = Path(item)
        if not path.is_dir():
            raise ConfigError(f"rulesets: {item}: no such rule folder or installed pack")
        folders.append(path)
    return folders


def core_lexicon() -> Lexicon:
    """The lexicon of the installed rule packs (what a PhraseIndex uses unless given one)."""
    from .match.lexicon import load_lexicon

    return load_lexicon(pack_folders())


def rule_files(folder: Path) -> Iterator[Path]:
    """``<group>/<name>.yaml`` files of a pack, in order."""
    for path in sorted(folder.glob("*/*.yaml")) + sorted(folder.glob("*/*.yml")):
        if not path.parent.name.startswith((".", "_")):
            yield path


def error_key(loc: tuple[Any, ...]) -> str:
    """``("when", "patterns", 2)`` -> ``when.patterns[2]``."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def validation_message(exc: ValidationError, spelt: Mapping[str, str] | None = None) -> str:
    """The first error of a ValidationError as ``KEY: REASON``; `spelt` gives the top-level keys as
    the user wrote them (``error-above`` for ``error_above``)."""
    err = exc.errors(include_url=False)[0]
    if spelt and err["loc"] and str(err["loc"][0]) in spelt:
        err = {**err, "loc": (spelt[str(err["loc"][0])], *err["loc"][1:])}
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    elif err["type"] == "missing":
        msg = "required key is missing"
    key = error_key(err["loc"])
    if not key and ": " in msg:  # model-level checks name their key themselves
        return msg
    if key and msg.startswith(("[", ".")):  # validators of lists and tables report the item: "[2]: ..."
        return key + msg
    return f"{key}: {msg}" if key else msg


def load_rule(path: Path) -> Rule:
    """Read and validate one rule file (ConfigError ``FILE: error: KEY: REASON``)."""
    data = load_yaml(path, "rule file")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: error: a rule file must be a mapping of keys")
    name, group = path.stem, path.parent.name
    if not _NAME.match(name):
        raise ConfigError(f"{path}: error: name: the file name must be kebab-case (e.g. hold-request.yaml)")
    kind = data.get("kind")
    if not isinstance(kind, str):
        raise ConfigError(f"{path}: error: kind: required key is missing")
    try:
        cls = kinds.get(kind)
    except ConfigError as exc:
        raise ConfigError(f"{path}: error: kind: {exc}") from None
    return build_rule(cls, data, name=name, group=group, path=str(path))


def build_rule(cls: type[Rule], data: dict[str, Any], *, name: str, group: str, path: str) -> Rule:
    """Validate rule data into a rule of kind `cls`."""
    if any(k in data for k in ("name", "group", "path")):
        bad = next(k for k in ("name", "group", "path") if k in data)
        raise ConfigError(f"{path}: error: {bad}: comes from the file's path; remove the key")
    try:
        return cls.model_validate({**data, "name": name, "group": group, "path": path})
    except ValidationError as exc:
        raise ConfigError(f"{path}: error: {validation_message(exc)}") from None


def with_options(rule: Rule, options: dict[str, Any], where: str) -> Rule:
    """The rule with config overrides applied and re-validated.

    `where` names the config table in errors (``FILE: error: rules``). A table given for one of
    the kind's `merged_tables` (thresholds by channel) changes the entries it names and keeps
    the others.
    """
    data = rule.model_dump(exclude={"name", "group", "path"})
    spelt = {str(k).replace("-", "_"): str(k) for k in options}  # option keys: kebab or snake case
    options = {str(k).replace("-", "_"): v for k, v in options.items()}
    for key, value in options.items():
        current = data.get(key)
        if key in rule.merged_tables and isinstance(value, dict) and isinstance(current, dict):
            value = {**current, **{str(k).strip().lower(): v for k, v in value.items()}}
        data[key] = value
    prefix = f"{where}.{rule.name}"
    if "kind" in options and options["kind"] != rule.kind:
        raise ConfigError(f"{prefix}.kind: cannot change a rule's kind")
    try:
        return type(rule).model_validate({**data, "name": rule.name, "group": rule.group, "path": rule.path})
    except ValidationError as exc:
        raise ConfigError(f"{prefix}.{validation_message(exc, spelt)}") from None


def load_catalogue(extra: Iterable[str | Path] = ()) -> list[Rule]:
    """Every rule of every pack, checked for duplicate codes and names."""
    rules: list[Rule] = []
    codes: dict[str, str] = {}
    names: dict[str, str] = {}
    for folder in pack_folders(extra):
        for path in rule_files(folder):
            rule = load_rule(path)
            for seen, key in ((codes, rule.code), (names, rule.name)):
                if key in seen:
                    raise ConfigError(f"{path}: error: {'code' if seen is codes else 'name'}: {key} is already "
                                      f"used by {seen[key]}")
                seen[key] = str(path)
            rules.append(rule)
    return sorted(rules, key=lambda r: r.code)
