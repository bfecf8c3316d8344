"""Configuration: ``[tool.chatqa]`` in pyproject.toml or a ``chatqa.toml``, plus CLI overrides.

Rule selection follows ruff: entries are codes (``CQ201``), code prefixes (``CQ2``), rule names
(``hold-request``) or groups (``wording``); the most specific matching entry wins and
``ignore`` wins ties. Per-rule option tables (``[tool.chatqa.rules.slow-first-reply]``) are
re-validated against the rule's kind.
"""

from __future__ import annotations

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

DEFAULT_WEIGHTS = {Level.SUGGESTION: 2.0, Level.WARNING: 5.0, Level.ERROR: 15.0}


def _snake(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k).replace("-", "_"): v for k, v in value.items()}
    return value


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


class Config(BaseModel):
    """Everything a run can be configured with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    select: list[str] = ["ALL"]
    ignore: list[str] = []
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

    def where(self, key: str) -> str:
        """How to name `key` in an error: the CLI flag, or ``FILE: error: key``."""
        if key in self.overridden:
            return "--" + key.replace("_", "-")
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

    @field_validator("rules", mode="before")
    @classmethod
    def _snake_rules(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: _snake(v) if isinstance(v, dict) else v for k, v in value.items()}
        return value


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


def load_config(path: Path | None = None, *, discover: bool = True, **overrides: Any) -> Config:
    """Read a config file (or the nearest one) and apply `overrides` (CLI flags, None = unset)."""
    if path is None and discover:
        path = find_config()
    data: dict[str, Any] = {}
    source = "<defaults>"
    if path is not None:
        source = str(path)
        doc = load_toml(path)
        if Path(path).name == "pyproject.toml":
            doc = doc.get("tool", {}).get("chatqa", {})
        elif "chatqa" in doc and isinstance(doc["chatqa"], dict) and len(doc) == 1:
            doc = doc["chatqa"]
        data = _snake(doc)
        if "redact" in data:  # masking is the user's call on this run, never a file's (SPEC section 8)
            raise ConfigError(f"{source}: error: redact: a config file cannot turn masking off; "
                              "use --no-redact (or redact=False in the library) for the run that needs it")
        base = Path(path).resolve().parent
        if isinstance(data.get("canned_library"), str):
            data["canned_library"] = str(base / data["canned_library"])
        if isinstance(data.get("rulesets"), list):
            data["rulesets"] = [r if not isinstance(r, str) or not (base / r).exists() else str(base / r)
                                for r in data["rulesets"]]
    given = {k: v for k, v in overrides.items() if v is not None}
    data.update(given)
    try:
        return Config.model_validate({**data, "source": source if path else "", "overridden": frozenset(given)})
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
        key = error_key(err["loc"])
        where = f"--{key.split('.')[0].replace('_', '-')}" if key.split(".")[0] in given else f"{source}: error: {key}"
        raise ConfigError(f"{where}: {msg}") from None


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


def check_selectors(entries: list[str], rules: list[Rule], where: str) -> None:
    """Every select/ignore entry must match some rule (a typo is an error, not a no-op)."""
    for entry in entries:
        if not any(_specificity(entry, r) is not None for r in rules):
            raise ConfigError(f"{where}: unknown rule, prefix or group {entry!r} (see `chatqa rules`)")


def select_rules(rules: list[Rule], select: list[str], ignore: list[str]) -> list[Rule]:
    """The rules turned on: the most specific matching entry wins; ignore wins ties."""
    chosen = []
    for rule in rules:
        on = max((s for e in select if (s := _specificity(e, rule)) is not None), default=None)
        off = max((s for e in ignore if (s := _specificity(e, rule)) is not None), default=None)
        if on is not None and (off is None or on > off):
            chosen.append(rule)
    return chosen
