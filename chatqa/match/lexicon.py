"""The chat wording phrase rules understand (``lexicon.yaml`` beside the rules of a pack):
chat spellings read as the word they stand for, chat words that stand for two, and
capitalised words that are not names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, StrictStr, ValidationError

from ..errors import ConfigError
from ..settings_files import load_yaml

FILE = "lexicon.yaml"


class _LexiconFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    norms: dict[StrictStr, list[StrictStr]] = {}
    splits: dict[StrictStr, list[tuple[StrictStr, StrictStr]]] = {}
    not_names: list[StrictStr] = []


@dataclass(frozen=True)
class Lexicon:
    """`norms`: chat spelling -> the word it stands for; `splits`: chat word -> its pieces as
    written, each with the word it stands for; `not_names`: lowercase words that are never a
    name."""

    norms: dict[str, str] = field(default_factory=dict)
    splits: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    not_names: frozenset[str] = frozenset()

    def merged(self, other: Lexicon) -> Lexicon:
        """This lexicon with `other`'s entries added (they win on conflicts)."""
        return Lexicon({**self.norms, **other.norms}, {**self.splits, **other.splits}, self.not_names | other.not_names)


def read_lexicon(path: Path) -> Lexicon:
    """One ``lexicon.yaml`` (ConfigError ``FILE: error: KEY: REASON`` when malformed)."""
    data = load_yaml(path, "lexicon") or {}
    try:
        parsed = _LexiconFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        key = ".".join(str(p) for p in err["loc"])
        hint = " (quote words YAML reads as booleans or numbers: \"on\", \"no\", \"yes\")" \
            if err["type"] == "string_type" else ""
        raise ConfigError(f"{path}: error: {key}: {err['msg'].lower()}{hint}") from None
    norms: dict[str, str] = {}
    for word, spellings in parsed.norms.items():
        for spelling in spellings:
            norms[spelling.lower()] = word.lower()
    for word, pieces in parsed.splits.items():
        if "".join(orth for orth, _ in pieces).lower() != word.lower():
            raise ConfigError(f"{path}: error: splits.{word}: the pieces must spell the word")
    splits = {w.lower(): tuple((o.lower(), n.lower()) for o, n in p) for w, p in parsed.splits.items()}
    return Lexicon(norms, splits, frozenset(w.lower() for w in parsed.not_names))


def load_lexicon(folders: Iterable[Path]) -> Lexicon:
    """The lexicons of these rule pack folders, merged in order."""
    lexicon = Lexicon()
    for folder in folders:
        path = Path(folder) / FILE
        if path.exists():  # (a FIFO or device named so is refused, not skipped)
            lexicon = lexicon.merged(read_lexicon(path))
    return lexicon
