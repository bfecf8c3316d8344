"""Exact duplicates (SPEC section 2): the same conversation read twice in a run is counted once.

A conversation is known by a 64-bit digest of its vendor and id, and its content by a 64-bit
digest of what it says (every line's role, author, time, kind, visibility and text, and the
conversation's channel, tags and rating; never its `source`, so the same conversation in two
files, or twice in one, is the same). The first one read is kept. Read again with the same
content, it is a *duplicate*: counted in the summary's ``duplicates``, not checked again. Read
again with different content, it is not an exact duplicate, and keeping both would count one
conversation twice: it is a *failure* naming both places' id, so the user sees the overlap
(the first is kept). A conversation whose id comes from its file's name (a page that names no
ticket), or that is a fragment of one (``metadata.fragment``: Front's export writes one message
per file), is known by its content alone: only exact copies are duplicates.

`Seen` holds the digests in an open-addressing table of 64-bit slots (two per conversation, at
most half full): about 32 bytes per conversation, 32 MB for a million.
"""

from __future__ import annotations

from array import array
from hashlib import blake2b
from typing import Literal, NamedTuple

import msgspec

from .records import Conversation


class Duplicate(NamedTuple):
    """A record that repeats one read before (a CSV row read twice): counted, not converted."""

    source: str
    locator: str = ""


Key = tuple[int, int]
"""(identity digest, content digest) of a conversation."""

_ENCODE = msgspec.msgpack.Encoder().encode


def _digest(data: bytes) -> int:
    value = int.from_bytes(blake2b(data, digest_size=8).digest(), "little")
    return value or 1  # 0 marks an empty slot


def conversation_key(conversation: Conversation) -> Key:
    """The digests `Seen` keeps for `conversation`."""
    c = conversation
    lines = [(line.role, line.author_id, line.author_name, line.sent_at, line.kind, line.internal, line.event)
             for line in c.lines]
    rating = c.rating.model_dump(mode="json") if c.rating is not None else None
    content = _digest(c.joined().encode("utf-8", "surrogatepass")
                      + _ENCODE([lines, c.channel, c.started_at, c.ended_at, list(c.tags), rating]))
    meta = c.metadata if isinstance(c.metadata, dict) else {}
    named = meta.get("id_from") != "file name" and not meta.get("fragment")
    identity = _digest(f"{c.vendor}\0{c.id}".encode("utf-8", "surrogatepass")
                       + (b"" if named else content.to_bytes(8, "little")))
    return identity, content


Verdict = Literal["new", "duplicate", "conflict"]


class Seen:
    """The conversations a run has read: identity digest -> content digest (see module doc)."""

    def __init__(self) -> None:
        self._slots = array("Q", bytes(8 * 2 * 1024))  # pairs (identity, content); identity 0 = empty
        self._mask = 1023
        self.count = 0

    def add(self, key: Key) -> Verdict:
        """Remember `key`: "new" (first time), "duplicate" (same content) or "conflict"."""
        identity, content = key
        slots, mask = self._slots, self._mask
        i = identity & mask
        while True:
            found = slots[2 * i]
            if found == 0:
                break
            if found == identity:
                return "duplicate" if slots[2 * i + 1] == content else "conflict"
            i = (i + 1) & mask
        slots[2 * i], slots[2 * i + 1] = identity, content
        self.count += 1
        if 2 * self.count > mask:
            self._grow()
        return "new"

    def _grow(self) -> None:
        old = self._slots
        self._mask = mask = 2 * self._mask + 1
        slots = self._slots = array("Q", bytes(8 * 2 * (mask + 1)))
        for j in range(0, len(old), 2):
            identity = old[j]
            if identity:
                i = identity & mask
                while slots[2 * i]:
                    i = (i + 1) & mask
                slots[2 * i], slots[2 * i + 1] = identity, old[j + 1]


def conflict_reason(conversation_id: str, vendor: str) -> str:
    """Why a conversation read again with different content is not kept."""
    return (f"conversation {conversation_id!r} ({vendor}) was already read with different content; "
            "the first one is kept (overlapping exports?)")
