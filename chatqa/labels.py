"""The review queue as a file, and a reviewer's labels read back from it.

`chatqa sample` writes the queue (CSV or JSON Lines): conversation_id, source, agent, score,
top_findings, reason, then the reviewer's empty columns ``human_score`` and one per rule the
sample was drawn for, named by its code. The filled-in queue is the labels file: `read_labels`
reads it as it is, and also the long form ``conversation_id,code,present`` (one row per
verdict, optional ``human_score``). Rules are named by code or by name. A verdict is 1/0,
yes/no, true/false, present/absent; an empty cell is "not labelled", never "absent". What
cannot be used is said, one line each: a bad value, a column or code that names no rule, a
row without a conversation id, two verdicts that disagree.
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .errors import ConfigError
from .write.tables import from_spreadsheet, spreadsheet_safe

if TYPE_CHECKING:
    import pandas as pd

TRUE = frozenset({"1", "true", "yes", "y", "t", "present", "x"})
FALSE = frozenset({"0", "false", "no", "n", "f", "absent"})
ID_COLUMNS = ("conversation_id", "id")  # ``id``: queues written before the queue was the labels file
QUEUE_INFO = frozenset({"source", "agent", "score", "top_findings", "reason"})  # read, never labels
_CODE_LIKE = re.compile(r"^[A-Za-z]{1,5}\d{2,4}$")


def _plain(value: Any) -> Any:
    """A queue cell for JSON: missing values (None, NaN, pandas NA) as None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    return value.item() if hasattr(value, "item") else value


def write_queue(queue: pd.DataFrame, stream: IO[bytes], *, jsonl: bool) -> None:
    """Write a review queue as JSON Lines (one object per conversation, empty cells null) or as
    CSV (CRLF rows, RFC 4180; cells that could start a spreadsheet formula neutralised)."""
    if jsonl:
        import orjson

        for row in queue.to_dict("records"):
            stream.write(orjson.dumps({str(k): _plain(v) for k, v in row.items()}) + b"\n")
        return
    cells = queue.astype(object).map(lambda v: spreadsheet_safe(v) if _plain(v) is not None else None)
    stream.write(cells.to_csv(index=False, lineterminator="\r\n").encode("utf-8"))  # a lone CR gets quoted


@dataclass
class Labels:
    """What a labels file says: (conversation, code) -> present, conversation -> human score,
    the rule names it used that chatqa has no rule for, and every problem (one line each)."""

    verdicts: dict[tuple[str, str], bool] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    unknown_rules: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    rows: int = 0
    unlabelled: int = 0  # rows holding neither a verdict nor a score yet


def verdict(value: Any) -> bool | str | None:
    """True (present), False (absent), None (not labelled: empty), or the text of a bad value."""
    value = _plain(value)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if not text:
        return None
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    return str(value)


def _rows(source: str | os.PathLike[str] | pd.DataFrame) -> tuple[str, list[str], Iterator[tuple[int, dict[str, Any]]]]:
    """(name, header, (place, row) pairs) of a CSV, JSON Lines file or DataFrame of labels."""
    from .arguments import is_frame

    if is_frame(source):
        frame: pd.DataFrame = source  # type: ignore[assignment]
        header = [str(c) for c in frame.columns]
        records = frame.to_dict("records")
        return "labels", header, ((i + 2, {str(k): v for k, v in r.items()}) for i, r in enumerate(records))
    path = Path(source)  # type: ignore[arg-type]
    if not path.exists():
        raise FileNotFoundError(2, "no such file or directory", str(path))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"{path}: error: cannot read labels: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: error: labels must be UTF-8 text") from None
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return str(path), *_json_lines(path, text)
    reader = csv.DictReader(text.splitlines(keepends=True))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    return str(path), header, ((reader.line_num, row) for row in reader)


def _json_lines(path: Path, text: str) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    import orjson

    rows: list[tuple[int, dict[str, Any]]] = []
    header: dict[str, None] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise ConfigError(f"{path}: error: line {number}: not JSON ({exc})") from None
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: error: line {number}: expected an object per line")
        header.update(dict.fromkeys(str(k) for k in value))
        rows.append((number, {str(k): v for k, v in value.items()}))
    return list(header), iter(rows)


def read_labels(source: str | os.PathLike[str] | pd.DataFrame, rules: Mapping[str, str]) -> Labels:
    """Read a labels file (see the module docstring). `rules` maps every rule code and name chatqa
    knows to its code. ConfigError when the file cannot be read or has no conversation id column."""
    name, header, rows = _rows(source)
    id_column = next((c for c in ID_COLUMNS if c in header), None)
    if id_column is None or ("code" not in header and "human_score" not in header
                             and not any(_rule(h, rules) for h in header)):
        raise ConfigError(f"{name}: error: line 1: expected a review queue from `chatqa sample` (conversation_id, "
                          "human_score and a column per rule) or columns conversation_id,code,present; got "
                          f"{', '.join(header) or 'nothing'}")
    labels = Labels()
    columns, unused = _columns(header, rules, labels, name)
    if unused:
        labels.problems.append(f"{name}: columns not used (neither a rule nor a queue column): {', '.join(unused)}")
    for line, row in rows:
        labels.rows += 1
        cid = _text(row.get(id_column))
        if not cid:
            labels.problems.append(f"{name}: line {line}: no conversation id; row not used")
            continue
        before = len(labels.verdicts), len(labels.scores)
        if "code" in header:
            _long(row, cid, rules, labels, f"{name}: line {line}")
        for column, code in columns:
            _set(labels, cid, code, row.get(column), f"{name}: line {line}: {column}")
        _score(row.get("human_score"), cid, labels, f"{name}: line {line}")
        if (len(labels.verdicts), len(labels.scores)) == before:
            labels.unlabelled += 1
    return labels


def _rule(header: str, rules: Mapping[str, str]) -> str | None:
    """The code a column header names (a code, a name, or "CODE name"), or None."""
    words = header.strip().split()
    if not words:
        return None
    first = words[0]
    return rules.get(first) or rules.get(first.upper())


def _columns(header: list[str], rules: Mapping[str, str], labels: Labels, name: str
             ) -> tuple[list[tuple[str, str]], list[str]]:
    """The rule columns of a queue, and the columns not used; a code-like column with no rule is a problem."""
    found, unused = [], []
    for column in header:
        if column in ID_COLUMNS or column in QUEUE_INFO or column in ("code", "present", "human_score"):
            continue
        code = _rule(column, rules)
        if code is not None:
            found.append((column, code))
        elif _CODE_LIKE.match(column.strip()):
            labels.unknown_rules.add(column.strip())
            labels.problems.append(f"{name}: column {column.strip()!r}: chatqa has no such rule; "
                                   "its labels are not used")
        else:
            unused.append(column)
    return found, unused


def _long(row: Mapping[str, Any], cid: str, rules: Mapping[str, str], labels: Labels, where: str) -> None:
    """A ``conversation_id,code,present`` row."""
    given = _text(row.get("code"))
    if not given:
        return
    code = rules.get(given) or rules.get(given.upper())
    if code is None:
        labels.unknown_rules.add(given)
        labels.problems.append(f"{where}: code {given!r}: chatqa has no such rule; label not used")
        return
    _set(labels, cid, code, row.get("present"), f"{where}: present")


def _set(labels: Labels, cid: str, code: str, value: Any, where: str) -> None:
    found = verdict(value)
    if found is None:
        return
    if isinstance(found, str):
        labels.problems.append(f"{where}: expected 1 or 0 (yes/no, true/false), got {found!r}; label not used")
        return
    if labels.verdicts.get((cid, code), found) != found:
        labels.problems.append(f"{where}: conflicting labels for {cid} {code}; the later one is used")
    labels.verdicts[cid, code] = found


def _score(value: Any, cid: str, labels: Labels, where: str) -> None:
    value = _plain(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return
    try:
        score = float(value)
    except (TypeError, ValueError):
        labels.problems.append(f"{where}: human_score must be a number, got {str(value)!r}; score not used")
        return
    if math.isnan(score) or math.isinf(score):
        labels.problems.append(f"{where}: human_score must be a number, got {str(value)!r}; score not used")
        return
    labels.scores[cid] = score


def _text(value: Any) -> str:
    """A cell as text: missing as "", whole numbers without ".0", a neutralised formula restored."""
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return from_spreadsheet(str(value).strip())


def all_codes(catalogue: Iterable[Any]) -> dict[str, str]:
    """Every rule's code and name -> its code."""
    return {key: r.code for r in catalogue for key in (r.code, r.name)}
