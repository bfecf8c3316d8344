"""Envelopes (SPEC section 3): where the records sit inside what real archives hold.

API pages hold a list of records under a key: the generic ones every format may use
(`PAGE_KEYS`: ``data``, ``records``, ``results``, ``tickets``, ``conversations``, ``items``)
and each format's own (LiveChat ``chats``, LivePerson ``conversationHistoryRecords``...).
Webhook bodies hold one record under a path (Intercom ``notification_event`` ``data.item``,
LiveChat v3 ``payload.chat``, LiveChat v2 ``chat``). `unwrap` finds the records of a value
wherever they sit, through nested envelopes (a page of pages, a webhook holding a page) up to
`MAX_DEPTH` levels, with the locator of each (``data.item``, ``results[3]``,
``data.conversations[0]``).

A format's own page keys are unwrapped whatever their elements look like (a bad element is
a failure of its own); a generic key only when one of its first elements is a record, so that
``data`` holding something else is not mistaken for a page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..errors import join_locator
from ..read.pages import PAGE_KEYS

__all__ = ["MAX_DEPTH", "PAGE_KEYS", "PROBE", "unwrap"]

MAX_DEPTH = 3
PROBE = 5  # elements of a list looked at to tell a page of records

Found = list[tuple[str, Any]]


def unwrap(value: Any, is_record: Callable[[Any], bool], own: Sequence[str] = (),
           webhooks: Sequence[tuple[str, ...]] = (), generic: Sequence[str] = PAGE_KEYS) -> Found | None:
    """The records of `value` as (locator, record) pairs: ``[("", value)]`` for a record, the
    elements of a page, the record of a webhook body; ``[]`` for an empty page; None when `value`
    is neither a record nor an envelope of records."""
    return _unwrap(value, is_record, tuple(own), tuple(webhooks), tuple(k for k in generic if k not in own), 0)


def _unwrap(value: Any, is_record: Callable[[Any], bool], own: tuple[str, ...], webhooks: tuple[tuple[str, ...], ...],
            generic: tuple[str, ...], depth: int) -> Found | None:
    if is_record(value):
        return [("", value)]
    if not isinstance(value, dict) or depth >= MAX_DEPTH:
        return None

    def inner(item: Any) -> Found | None:
        return _unwrap(item, is_record, own, webhooks, generic, depth + 1)

    for path in webhooks:
        body: Any = value
        for step in path:
            body = body.get(step) if isinstance(body, dict) else None
        if isinstance(body, dict):
            found = inner(body)
            if found is not None:
                where = ".".join(path)
                return [(join_locator(where, loc), record) for loc, record in found]
    empty = False
    for key in own + generic:
        items = value.get(key)
        if isinstance(items, list):
            if not items:
                empty = True
                continue
            probes = [inner(item) for item in items[:PROBE]]
            if key not in own and all(p is None for p in probes):
                continue
            out: Found = []
            for i, item in enumerate(items):
                found = probes[i] if i < PROBE else inner(item)
                if found is None:  # not a record: reported by the parser, with its place
                    out.append((f"{key}[{i}]", item))
                else:
                    out.extend((join_locator(f"{key}[{i}]", loc), record) for loc, record in found)
            return out
        if isinstance(items, dict) and key in generic:
            found = inner(items)
            if found is not None:
                return [(join_locator(key, loc), record) for loc, record in found]
    return [] if empty else None
