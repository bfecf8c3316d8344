"""Any CSV with one message per row, mapped by column names (``--map``) and role values."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ParseError, quoted
from ..model import Kind, Role
from ..normalize import RawMessage
from ..records import Conversation
from . import ParseOptions, RecordContext, Row, TableParser

FIELDS: dict[str, tuple[str, ...]] = {
    "conversation": ("conversation_id", "conversation", "chat_id", "chat", "ticket_id", "ticket", "thread_id",
                     "thread", "session_id", "session", "dialog_id", "dialogue_id", "case_id"),
    "role": ("role", "sender_type", "author_type", "speaker", "sender_role", "from", "participant_type",
             "user_type", "actor_type", "author_role"),
    "text": ("text", "message", "body", "content", "msg", "message_text", "utterance"),
    "time": ("time", "timestamp", "created_at", "created", "sent_at", "date", "datetime", "ts", "sent"),
    "author": ("author", "author_name", "sender", "sender_name", "name", "agent_name", "user_name",
               "display_name"),
    "author_id": ("author_id", "sender_id", "user_id", "agent_id", "participant_id", "actor_id"),
    "internal": ("internal", "is_internal", "private", "is_private", "whisper"),
    "kind": ("kind", "message_kind"),
}
REQUIRED = ("conversation", "role", "text")
ROLE_VALUES: dict[str, Role] = {
    **dict.fromkeys(("customer", "visitor", "user", "client", "consumer", "end-user", "enduser", "end user",
                     "contact", "lead", "guest", "end_user"), Role.CUSTOMER),
    **dict.fromkeys(("agent", "admin", "operator", "staff", "support", "helpdesk", "rep", "representative",
                     "advisor", "human", "human_agent", "employee", "teammate", "supervisor"), Role.AGENT),
    **dict.fromkeys(("bot", "chatbot", "automated", "automation", "virtual agent", "virtual_agent", "ai",
                     "assistant", "trigger"), Role.BOT),
    **dict.fromkeys(("system", "event", "info", "notification"), Role.SYSTEM),
}
_TRUE = frozenset({"true", "1", "yes", "y", "internal", "private", "note", "whisper", "t"})


@dataclass(frozen=True, slots=True)
class _Plan:
    columns: dict[str, int]
    roles: dict[str, Role]


def resolve_columns(header: list[str], mapping: dict[str, str]) -> dict[str, int]:
    """Column position per chatqa field: explicit mapping first, then well-known names."""
    lowered = {h.strip().lower(): i for i, h in enumerate(header)}
    found: dict[str, int] = {}
    for field, column in mapping.items():
        if column in header:
            found[field] = header.index(column)
        elif column.strip().lower() in lowered:
            found[field] = lowered[column.strip().lower()]
        else:
            raise ParseError(f"--map {field}={column}: no column {column!r} (columns: {', '.join(header)})",
                             "line 1")
    for field, names in FIELDS.items():
        if field not in found:
            hit = next((lowered[n] for n in names if n in lowered), None)
            if hit is not None and hit not in found.values():
                found[field] = hit
    return found


class CsvParser(TableParser):
    """Generic CSV: one message per row; rows grouped by the conversation column in file order."""

    name = "csv"
    summary = "any CSV, one message per row (--map conversation=...,role=...,time=...,text=...)"
    channels = 'chat'
    example = ('CSV: ticket_id,sender_type,created,body with '
               '--map conversation=ticket_id,role=sender_type,time=created,text=body')
    priority = 5

    def sniff_header(self, header: list[str], options: ParseOptions) -> bool:
        """Conversation, role and text columns can be found (by name or by --map)."""
        try:
            columns = resolve_columns(header, options.columns)
        except ParseError:
            return bool(options.columns)
        return all(f in columns for f in REQUIRED)

    def plan(self, header: list[str], options: ParseOptions) -> _Plan:
        """Resolve the columns; role values from --role-map win over the built-in names."""
        columns = resolve_columns(header, options.columns)
        missing = [f for f in REQUIRED if f not in columns]
        if missing:
            hint = ",".join(f"{f}=COLUMN" for f in missing)
            raise ParseError(f"cannot find the {', '.join(missing)} column(s); map them with --map {hint}",
                             "line 1")
        roles = {**ROLE_VALUES, **{k.strip().lower(): v for k, v in options.roles.items()}}
        return _Plan(columns, roles)

    def key(self, fields: list[str], plan: _Plan) -> str:
        """The conversation id column (rows sharing it are one conversation)."""
        return fields[plan.columns["conversation"]].strip()

    def convert(self, key: str, rows: list[Row], plan: _Plan, ctx: RecordContext) -> Conversation:
        """Map each row to a message."""
        cols = plan.columns

        def get(row: list[str], field: str) -> str | None:
            return row[cols[field]] if field in cols else None

        if not key:
            raise ParseError("empty conversation id", f"line {rows[0][0]}")
        messages = []
        for line, row in rows:
            value = row[cols["role"]].strip()
            role = plan.roles.get(value.lower())
            if role is None and not value:
                raise ParseError("empty role value", f"line {line}")
            if role is None:
                simple = len(value) <= 40 and value.isprintable() and not any(c in value for c in ",='")
                hint = f"'{value}=agent'" if simple else "VALUE=ROLE"
                raise ParseError(f"unknown role value {quoted(value)}; map it with --role-map {hint}", f"line {line}")
            kind_value = (get(row, "kind") or "").strip().lower()
            internal = (get(row, "internal") or "").strip().lower() in _TRUE
            try:
                kind = Kind(kind_value) if kind_value else (Kind.EVENT if role is Role.SYSTEM else Kind.MESSAGE)
            except ValueError:
                raise ParseError(f"unknown kind {kind_value!r} (message, event, file, note)", f"line {line}") \
                    from None
            author = (get(row, "author") or "").strip() or None
            messages.append(RawMessage(
                role=role, text=get(row, "text") or "", time=get(row, "time"), author_name=author,
                author_id=(get(row, "author_id") or "").strip() or author, kind=kind, internal=internal,
                loc=f"line {line}",
            ))
        return ctx.build(id=key, messages=messages)
