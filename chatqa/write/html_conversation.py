"""One conversation as the HTML report shows it: the flagged messages with a little context
(long conversations are shortened around them), the offending words marked with the worst
level covering them, and every name, id and text masked before the template escapes it.
"""

from __future__ import annotations

from typing import Any

from ..model import Transcript
from ..redact import mask_cards, redact, redact_pieces
from ..results import Finding, Result

CONTEXT = 2  # messages shown before and after each flagged one (and at both ends)
MAX_TEXT = 1500  # characters of a message shown (more when a finding's span lies further on)
_RANK = {"suggestion": 0, "warning": 1, "error": 2}


def conversation_view(result: Result, rules: dict[str, Any], personal: bool) -> dict[str, Any]:
    """The template's view of a kept conversation (`result` carries its transcript)."""
    t = result.transcript if result.kept else Transcript(id=result.id, vendor=result.vendor, source=result.source)
    by_message: dict[int, list[Finding]] = {}
    for f in result.findings:
        if f.message_index is not None:
            by_message.setdefault(f.message_index, []).append(f)
    names = {p.id: p.name for p in t.participants if p.name}
    n = len(t.messages)
    shown = _shown_indexes(n, sorted(by_message))
    items: list[dict[str, Any]] = []
    previous = -1
    for m in t.messages:
        if m.index not in shown:
            continue
        if m.index > previous + 1:
            items.append({"gap": m.index - previous - 1})
        previous = m.index
        found = by_message.get(m.index, [])
        name = m.author_name or names.get(m.author_id or "")
        author = redact(name, personal=personal) if name else ""
        author_id = redact(m.author_id, personal=personal) if m.author_id and m.author_id != name else ""
        items.append({
            "index": m.index, "role": m.role.value + (" (bystander)" if m.bystander else ""),
            "author": author, "author_id": author_id,
            "internal": m.internal, "time": m.sent_at.strftime("%Y-%m-%d %H:%M:%S") if m.sent_at else "",
            "classes": " ".join(c for c in ("flagged" if found else "", "internal" if m.internal else "",
                                             "event" if m.kind.value == "event" else "") if c),
            "parts": _parts(m.text, found, personal),
            "findings": [_finding(f, rules) for f in found],
        })
    if previous < n - 1:
        items.append({"gap": n - 1 - previous})
    # result.agents are ids with card numbers masked: names are looked up by the masked id
    agent_names = {mask_cards(m.author_id): m.author_name for m in t.messages
                   if m.role.value == "agent" and m.author_id and m.author_name}
    agent_names.update({mask_cards(i): n for i, n in names.items() if mask_cards(i) not in agent_names})
    labels = [redact(agent_names.get(a) or a, personal=personal) for a in result.agents]
    agents = [name if labels.count(name) == 1 or name == redact(a, personal=personal) else
              f"{name} ({redact(a, personal=personal)})" for a, name in zip(result.agents, labels, strict=True)]
    levels = sorted({f.level.value for f in result.findings}, key=_RANK.__getitem__, reverse=True)
    return {
        "id": result.id, "vendor": result.vendor, "source": result.source, "channel": t.channel.value,
        "score": f"{result.score:g}" if result.score is not None else "–",
        "subscores": [(g, f"{v:g}") for g, v in result.subscores.items() if v is not None and v < 100],
        "tags": list(result.tags), "agents": agents,
        "started": result.started_at.strftime("%Y-%m-%d %H:%M") if result.started_at else "",
        "messages": items, "total": n, "levels": levels,
        "whole": [_finding(f, rules) for f in result.findings if f.message_index is None],
    }


def _shown_indexes(n: int, flagged: list[int]) -> set[int]:
    """The messages shown: all of a short conversation; else both ends and each flagged one with
    its context."""
    if n <= 6 * CONTEXT:
        return set(range(n))
    shown = set(range(CONTEXT + 1)) | set(range(n - CONTEXT - 1, n))
    for i in flagged:
        shown.update(range(max(0, i - CONTEXT), min(n, i + CONTEXT + 1)))
    return shown


def _finding(f: Finding, rules: dict[str, Any]) -> dict[str, Any]:
    return {"code": f.code, "rule": f.rule, "level": f.level.value, "message": f.message,
            "critical": bool(rules.get(f.code) and rules[f.code].get("critical"))}


def _parts(text: str, findings: list[Finding], personal: bool) -> list[dict[str, str]]:
    """The text cut at the findings' span edges; marked pieces carry the worst level covering them.
    A long text is cut after MAX_TEXT characters (or just after the last span)."""
    spans = [(f.span, f.level.value) for f in findings if f.span]
    end = max([MAX_TEXT, *(b + 200 for (_, b), _ in spans)])
    cut = len(text) > end
    cuts = sorted({0, len(text), *([end] if cut else []), *(s for (a, b), _ in spans for s in (a, b))})
    # masked whole before the cut: a card number across it is not left half visible
    pieces = redact_pieces(text, cuts, personal=personal)
    parts = []
    for a, b, piece in zip(cuts, cuts[1:], pieces, strict=False):
        if a >= end:
            break
        levels = [lvl for (s, e), lvl in spans if s <= a and b <= e]
        parts.append({"text": piece, "level": max(levels, key=_RANK.__getitem__) if levels else ""})
    if cut:
        parts.append({"text": f" … ({len(text) - end:,} more characters)", "level": "", "note": "1"})
    return parts
