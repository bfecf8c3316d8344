"""The tabular contract: columns and dtypes of the conversation, finding and agent tables.

The same rows feed `Report.conversations` / `.findings` / `.agents` (pandas), the CSV writer
and the parquet writer, so every output has the same columns. pandas and pyarrow are imported
only when a table is built.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import msgspec

from .results import Result

if TYPE_CHECKING:
    import pandas as pd

    from .errors import Failure

GROUPS = ("responsiveness", "wording", "personalization", "security", "capacity", "experience")
TIME = "datetime64[us, UTC]"

# name -> pandas dtype; "list" columns hold Python lists (parquet: list<string>).
CONVERSATION_COLUMNS: dict[str, str] = {
    "id": "string", "vendor": "string", "source": "string", "channel": "string", "agent": "string", "agents": "list",
    "started_at": TIME, "ended_at": TIME, "score": "float64",
    **dict.fromkeys(GROUPS, "float64"),
    "messages": "int64", "customer_messages": "int64", "agent_messages": "int64", "bot_messages": "int64",
    "first_response_s": "float64", "avg_response_s": "float64", "median_response_s": "float64",
    "max_response_s": "float64",
    # business hours (SPEC section 4): NaN without a calendar (the JSON leaves them out then)
    "first_response_bh_s": "float64", "avg_response_bh_s": "float64", "max_response_bh_s": "float64",
    "duration_s": "float64", "canned_ratio": "float64", "max_concurrency": "Int64",
    "words": "int64", "tags": "list", "n_findings": "int64", "codes": "list",
}
FINDING_COLUMNS: dict[str, str] = {
    "conversation_id": "string", "code": "string", "rule": "string", "level": "string",
    "message_index": "Int64", "span": "list", "quote": "string", "sent_at": TIME, "message": "string",
    "conversations": "list",
}
FAILURE_COLUMNS: dict[str, str] = {"source": "string", "locator": "string", "reason": "string"}
AGENT_COLUMNS: dict[str, str] = {
    "agent": "string", "conversations": "int64", "median_score": "float64",
    "median_first_response_s": "float64", "max_concurrency": "Int64",
}


def failure_row(failure: Failure) -> dict[str, Any]:
    """One input that could not be read, as a row."""
    return {"source": failure.source, "locator": failure.locator, "reason": failure.reason}


def conversation_row(result: Result) -> dict[str, Any]:
    """One conversation as a flat row; subscores of plug-in groups follow the built-in ones."""
    r = result
    row: dict[str, Any] = {
        "id": r.id, "vendor": r.vendor, "source": r.source, "channel": r.channel or None,
        "agent": r.agents[0] if r.agents else None, "agents": list(r.agents),
        "started_at": r.started_at, "ended_at": r.ended_at, "score": r.score,
    }
    for group in GROUPS:
        row[group] = result.subscores.get(group)
    row.update({k: None if v is msgspec.UNSET else v for k, v in msgspec.structs.asdict(result.metrics).items()})
    row.update({"words": result.words, "tags": list(r.tags), "n_findings": len(result.findings),
                "codes": result.codes})
    for group, value in result.subscores.items():
        if group not in row:
            row[group] = value
    return row


def finding_rows(result: Result) -> list[dict[str, Any]]:
    """One row per finding of a conversation."""
    return [
        {"conversation_id": result.id, "code": f.code, "rule": f.rule, "level": f.level.value,
         "message_index": f.message_index, "span": list(f.span) if f.span else None, "quote": f.quote,
         "sent_at": f.sent_at, "message": f.message, "conversations": list(f.conversations or ())}
        for f in result.findings
    ]


def frame(rows: Iterable[dict[str, Any]], columns: dict[str, str]) -> pd.DataFrame:
    """A DataFrame with the documented columns and dtypes (extra row keys are kept, as float)."""
    import pandas as pd

    df = pd.DataFrame(list(rows))
    for name in columns:
        if name not in df.columns:
            df[name] = pd.Series([None] * len(df), dtype="object")
    extra = [c for c in df.columns if c not in columns]
    df = df[[*columns, *extra]]
    # (type: ignore: the dtype names come from the column tables; pandas-stubs accepts only literal names)
    for name, dtype in columns.items():
        if dtype == "list":
            df[name] = df[name].astype("object")
        elif dtype.startswith("datetime64"):
            df[name] = pd.to_datetime(df[name], utc=True).astype(dtype)  # type: ignore[call-overload]
        else:
            df[name] = df[name].astype(dtype)  # type: ignore[call-overload]
    for name in extra:
        df[name] = df[name].astype("float64")
    return df


def agents_frame(conversations: pd.DataFrame, findings: pd.DataFrame, codes: Iterable[str]) -> pd.DataFrame:
    """Per human agent: conversations taken part in, median score and first reply (as the first
    agent), the share of their conversations with each rule, and their highest concurrency."""

    codes = sorted(codes)
    columns = {**AGENT_COLUMNS, **{f"share_{c}": "float64" for c in codes}}
    if conversations.empty:
        return frame([], columns)
    exploded = conversations[["id", "agents", "score", "max_concurrency", "codes"]].explode("agents")
    exploded = exploded.dropna(subset=["agents"]).rename(columns={"agents": "agent"})
    primary = conversations.dropna(subset=["agent"]).groupby("agent")["first_response_s"].median()
    rows = []
    for agent, group in exploded.groupby("agent", sort=True):
        row: dict[str, Any] = {
            "agent": agent, "conversations": len(group), "median_score": group["score"].median(),
            "median_first_response_s": primary.get(agent),
            "max_concurrency": group["max_concurrency"].max() if group["max_concurrency"].notna().any() else None,
        }
        sets = [set(c) for c in group["codes"]]
        for code in codes:
            row[f"share_{code}"] = sum(code in s for s in sets) / len(sets)
        rows.append(row)
    df = frame(rows, columns)
    return df.sort_values(["conversations", "agent"], ascending=[False, True], ignore_index=True)


def arrow_schema(columns: dict[str, str]) -> Any:
    """The pyarrow schema matching a column spec (for the parquet writer)."""
    import pyarrow as pa

    types = {"string": pa.string(), "float64": pa.float64(), "int64": pa.int64(), "Int64": pa.int64(),
             TIME: pa.timestamp("us", tz="UTC")}
    fields = []
    for name, dtype in columns.items():
        if dtype == "list":
            fields.append(pa.field(name, pa.list_(pa.int64() if name == "span" else pa.string())))
        else:
            fields.append(pa.field(name, types[dtype]))
    return pa.schema(fields)
