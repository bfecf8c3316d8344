"""Configuration: ``[tool.chatqa]`` in pyproject.toml or a ``chatqa.toml``, plus CLI overrides.

Rule selection follows ruff: entries are codes (``CQ201``), code prefixes (``CQ2``), rule names
(``hold-request``) or groups (``wording``); the most specific matching entry wins and
``ignore`` wins ties. Per-rule option tables (``[tool.chatqa.rules.slow-first-reply]``) are
re-validated against the rule's kind.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .business_hours import BusinessHours
from .errors import ConfigError
from .kinds import Rule
from .model import Channel
from .results import Level
from .rulepack import error_key
from .settings_files import is_regular, load_toml

SETTINGS = "<settings>"  # the source of a config a library caller gave as a dict (`config={...}`)
DEFAULT_WEIGHTS = {Level.SUGGESTION: 2.0, Level.WARNING: 5.0, Level.ERROR: 15.0}


def _snake(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k).replace("-", "_"): v for k, v in value.items()}
    return value


def as_written(loc: Iterable[Any], doc: Any) -> list[Any]:
    """The parts of `loc` (a validation error's place, keys in snake case) as the user spelt them
    in `doc`: ``fail-under`` for ``fail_under``, ``group-caps`` for ``group_caps``."""
    parts: list[Any] = []
    for part in loc:
        if isinstance(part, str) and isinstance(doc, Mapping):
            part = part if part in doc else next((k for k in doc if str(k).replace("-", "_") == part), part)
            doc = doc.get(part)
        else:
            doc = doc[part] if isinstance(part, int) and isinstance(doc, list) and 0 <= part < len(doc) else None
        parts.append(part)
    return parts


class Scorecard(BaseModel):
    """How findings turn into a 0-100 score (``chatqa explain --scoring`` prints it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = "chatqa-default-2"
    weights: dict[Level, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    cap: float = Field(default=2.0, gt=0)
    """Each rule deducts at most cap x its weight per conversation."""
    critical: list[str] | None = None
    """Rules whose finding sets the score to 0 (default: the rules marked critical)."""
    rules: dict[str, float] = {}
    """Per-rule weight (code or name), replacing the level weight."""
    group_caps: dict[str, float] = Field(default_factory=lambda: {"experience": 15.0})
    """The most points one group's rules deduct from the score together (its subscore is not capped):
    what the customer went through weighs in, without outweighing the agents' own conduct."""

    @field_validator("group_caps")
    @classmethod
    def _caps_not_negative(cls, value: dict[str, float]) -> dict[str, float]:
        if any(c < 0 for c in value.values()):
            raise ValueError("group caps must not be negative")
        return value

    @field_validator("weights")
    @classmethod
    def _all_levels(cls, value: dict[Level, float]) -> dict[Level, float]:
        if any(w < 0 for w in value.values()):
            raise ValueError("weights must not be negative")
        return {**DEFAULT_WEIGHTS, **value}


class CsvOptions(BaseModel):
    """How generic CSV exports are read (``--map``, ``--role-map``, ``--time-format``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: dict[str, str] = {}
    roles: dict[str, str] = {}
    time_format: str | None = None
    delimiter: str | None = None
    """The field separator (default: told from the header line)."""


class Config(BaseModel):
    """Everything a run can be configured with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    select: list[str] = ["ALL"]
    ignore: list[str] = []
    extend_select: list[str] = []
    """Rules turned on in addition to `select` (ruff's extend-select)."""
    extend_ignore: list[str] = []
    """Rules turned off in addition to `ignore`."""
    exclude: list[str] = []
    """Glob patterns of paths a folder walk leaves out (``archive/**``, ``*.bak.json``)."""
    rulesets: list[str] = []
    """Extra rule folders (paths, relative to the config file) or installed pack names."""
    canned_library: str | None = None
    """The team's canned-response library: a YAML list or one reply per line."""
    rules: dict[str, dict[str, Any]] = {}
    scorecard: Scorecard = Scorecard()
    business_hours: BusinessHours | None = None
    """The team's calendar (SPEC section 4): with one, waits are also measured in business hours
    and the timing rules judge those."""
    channel: Channel | None = None
    """Judge every conversation as this channel (``--channel``), whatever its export says."""
    bots: list[str] = []
    timezone: str = "UTC"
    csv: CsvOptions = CsvOptions()
    fail_under: float | None = Field(default=None, ge=0, le=100)
    fail_on: Level | None = None
    redact: bool = True
    source: str = Field(default="", exclude=True)
    overridden: frozenset[str] = Field(default=frozenset(), exclude=True)  # keys set by CLI flags
    spelt: dict[str, str] = Field(default_factory=dict, exclude=True)  # snake-case key -> as the user wrote it
    table: str = Field(default="", exclude=True)  # the TOML table the file's settings sit in ("" top level)

    def where(self, key: str) -> str:
        """How to name `key` in an error: the CLI flag, ``FILE: error: key``, or for settings a
        library caller gave, ``config['key']``."""
        if key in self.overridden:
            return "--" + key.replace("_", "-")
        key = self.spelt.get(key, key)
        if self.source == SETTINGS:
            return f"config[{key!r}]"
        return f"{self.source}: error: {key}" if self.source else key

    @field_validator("channel", mode="before")
    @classmethod
    def _known_channel(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in set(Channel):
            return value.strip().lower()
        if value is None or isinstance(value, Channel):
            return value
        raise ValueError(f"unknown channel {value!r} (channels: {', '.join(Channel)})")

    @field_validator("scorecard", "csv", "business_hours", mode="before")
    @classmethod
    def _snake_tables(cls, value: Any) -> Any:
        return _snake(value)


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``chatqa.toml``, or ``pyproject.toml`` with a ``[tool.chatqa]`` table."""
    folder = (start or Path.cwd()).resolve()
    for candidate in [folder, *folder.parents]:
        own = candidate / "chatqa.toml"
        if is_regular(own):
            return own
        pyproject = candidate / "pyproject.toml"
        if is_regular(pyproject):
            try:
                if "chatqa" in load_toml(pyproject).get("tool", {}):
                    return pyproject
            except ConfigError:  # somebody else's broken pyproject.toml: not ours to report
                continue
    return None


def load_config(path: Path | None = None, *, discover: bool = True, settings: Mapping[str, Any] | None = None,
                **overrides: Any) -> Config:
    """Read a config file (or the nearest one) and apply `overrides` (CLI flags, None = unset).

    Every problem found is reported at once: one ConfigError whose lines are each
    ``FILE: error: KEY: REASON`` (or ``--flag: REASON`` for a command-line value). `settings`
    are a library caller's (``config={...}``: no file is read; errors name ``config['key']``)."""
    if settings is not None:
        return _from_settings(settings)
    if path is None and discover:
        path = find_config()
    data: dict[str, Any] = {}
    written: dict[str, Any] = {}  # the file's settings with its own spelling of the keys
    problems: list[str] = []
    table = ""
    source = "<defaults>"
    if path is not None:
        source = str(path)
        data, table, written = _file_settings(Path(path), problems)
    given = {k: v for k, v in overrides.items() if v is not None}
    _extend(data, given)
    data.update(given)
    config: Config | None = None
    try:
        config = Config.model_validate({**data, "source": source if path else "", "overridden": frozenset(given),
                                        "table": table, "spelt": _spelt(written)})
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            spelt = as_written(err["loc"], written)
            key = error_key(tuple(spelt))
            where = f"--{key.split('.')[0].replace('_', '-')}" if str(err["loc"][0]) in given \
                else f"{source}: error: {key}"
            problems.append(f"{where}: {_reason(err, str(spelt[-1]) if spelt else '')}")
    if problems or config is None:
        raise ConfigError("\n".join(problems))
    return config


def _spelt(settings: Mapping[str, Any]) -> dict[str, str]:
    """Snake-case key -> the user's spelling, for the top-level keys not written in snake case."""
    return {k.replace("-", "_"): k for k in map(str, settings) if "-" in k}


def _file_settings(path: Path, problems: list[str]) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """The settings a config file holds (keys in snake case, paths made absolute), the TOML
    table they sit in (``tool.chatqa``, ``chatqa`` or "" for top-level keys) and the settings as
    written (for naming keys in errors); problems found are appended to `problems`."""
    doc = load_toml(path)
    table = ""
    if path.name == "pyproject.toml":
        doc, table = doc.get("tool", {}).get("chatqa", {}), "tool.chatqa"
    elif isinstance(doc.get("tool"), dict) and "chatqa" in doc["tool"]:  # the README's [tool.chatqa] shape
        rest = [k for k in doc if k != "tool"] + [f"tool.{k}" for k in doc["tool"] if k != "chatqa"]
        problems += [f"{path}: error: {k}: outside [tool.chatqa] (this file puts its settings in [tool.chatqa]: "
                     "use one shape, top-level keys or that table)" for k in rest]
        doc, table = doc["tool"]["chatqa"], "tool.chatqa"
    elif "chatqa" in doc and isinstance(doc["chatqa"], dict) and len(doc) == 1:
        doc, table = doc["chatqa"], "chatqa"
    if not isinstance(doc, dict):
        problems.append(f"{path}: error: {table}: expected a table of settings")
        return {}, table, {}
    data: dict[str, Any] = _snake(doc)
    if "redact" in data:  # masking is the user's call on this run, never a file's (SPEC section 8)
        problems.append(f"{path}: error: redact: a config file cannot turn masking off; "
                        "use --no-redact (or redact=False in the library) for the run that needs it")
        del data["redact"]
    base = path.resolve().parent
    if isinstance(data.get("canned_library"), str):
        data["canned_library"] = str(base / data["canned_library"])
    if isinstance(data.get("exclude"), list):  # patterns with a folder are relative to the config file's
        data["exclude"] = [anchored(p, base) for p in data["exclude"]]
    if isinstance(data.get("rulesets"), list):
        data["rulesets"] = [r if not isinstance(r, str) or not (base / r).exists() else str(base / r)
                            for r in data["rulesets"]]
    return data, table, doc


def anchored(pattern: Any, base: Path) -> Any:
    """An exclude pattern naming a folder (``old/*``) made absolute from `base`; a bare name
    (``*.bak.json``) matches anywhere and stays as it is."""
    if not isinstance(pattern, str) or "/" not in pattern.replace("\\", "/") or Path(pattern).is_absolute():
        return pattern
    return os.path.normpath(base / pattern)


def _extend(data: dict[str, Any], given: dict[str, Any]) -> None:
    """ruff's layering of rule selection: a `select` (or `ignore`) given on the command line replaces
    the file's, and the file's `extend-select` with it; every `extend-*` list given adds to the
    select (ignore) list in force."""
    for key in ("select", "ignore"):
        extend = f"extend_{key}"
        if key in given:
            data.pop(extend, None)
        if extend in given and isinstance(data.get(extend), list) and isinstance(given[extend], list):
            given[extend] = [*data[extend], *given[extend]]


_TABLES: dict[tuple[str, ...], type[BaseModel]] = {(): Config, ("scorecard",): Scorecard, ("csv",): CsvOptions}


def _reason(err: Any, written: str) -> str:
    """One pydantic error as a reason, an unknown key with the closest known one (spelt with
    dashes when the user's key, `written`, was)."""
    if err["type"] != "extra_forbidden":
        return str(err["msg"]).removeprefix("Value error, ")
    from .suggest import did_you_mean

    model = _TABLES.get(tuple(str(p) for p in err["loc"][:-1]))
    known = [k for k, f in model.model_fields.items() if not f.exclude] if model else []
    if "-" in written:
        known = [k.replace("_", "-") for k in known]
    return "unknown key" + did_you_mean(written, known)


def _from_settings(settings: Mapping[str, Any]) -> Config:
    """A Config from a dict of settings (keys as in the config file, ``-`` or ``_``); masking may
    be turned off here (``redact=False``: the caller's own choice for this run)."""
    data = _snake(dict(settings))
    try:
        return Config.model_validate({**data, "source": SETTINGS, "spelt": _spelt(settings)})
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = [str(p) for p in as_written(err["loc"], settings)]
        if err["type"] == "extra_forbidden":
            where = "config" + "".join(f"[{p!r}]" for p in loc[:-1])
            raise ConfigError(f"{where}: unknown key {loc[-1]!r}") from None
        where = "config" + "".join(f"[{p!r}]" for p in loc)
        raise ConfigError(f"{where}: {err['msg'].removeprefix('Value error, ')}") from None


def _specificity(entry: str, rule: Rule) -> int | None:
    """How specifically `entry` selects `rule` (None: it does not)."""
    if entry == "ALL":
        return 0
    if entry in (rule.code, rule.name):
        return 100
    if entry == rule.group:
        return 3
    if rule.code.startswith(entry) and entry[:1].isalpha():
        return len(entry)
    return None


def check_selectors(entries: list[str], rules: list[Rule], where: str) -> list[str]:
    """The problems of select/ignore entries that match no rule (a typo is an error, not a
    no-op), each with the closest code, name or group."""
    from .suggest import did_you_mean

    known = sorted({k for r in rules for k in (r.code, r.name, r.group)})
    return [f"{where}: unknown rule, prefix or group {entry!r}{did_you_mean(entry, known)} (see `chatqa rules`)"
            for entry in entries if not any(_specificity(entry, r) is not None for r in rules)]


def select_rules(rules: list[Rule], select: list[str], ignore: list[str]) -> list[Rule]:
    """The rules turned on: the most specific matching entry wins; ignore wins ties."""
    chosen = []
    for rule in rules:
        on = max((s for e in select if (s := _specificity(e, rule)) is not None), default=None)
        off = max((s for e in ignore if (s := _specificity(e, rule)) is not None), default=None)
        if on is not None and (off is None or on > off):
            chosen.append(rule)
    return chosen
