"""Zendesk Chat transcripts filed as one Support ticket comment, split into their messages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import ParseError
from ..model import Kind, Role
from ..normalize import RawMessage
from ..records import RawLine

_CHAT_START = re.compile(r"Chat started: (\d{4}-\d{2}-\d{2}) \d{1,2}:\d{2}(?: ?[AP]M)?(?: (UTC|GMT))?\s*$")
_CHAT_LINE = re.compile(r"^\((\d{1,2}:\d{2}:\d{2})(?: ?([AP]M))?\) (?:\*+ (.+?) \*+|([^:]{1,80}?): (.*))$")


def chat_lines(body: str, where: str, customer: str | None, common: dict[str, Any]) -> list[RawLine]:
    """A Zendesk Chat transcript comment (``Chat started: 2024-03-04 09:12 AM UTC`` then
    ``(09:12:44 AM) Name: text`` lines) split into its messages with their own times. People who
    ``joined the chat`` are agents, the comment's author is the customer, other speakers (triggers
    speaking as the account) bots. Empty when the layout (or a UTC start) is not there."""
    lines = body.strip().split("\n")
    start = _CHAT_START.match(lines[0].strip())
    if not start:
        return []
    try:
        day = datetime.fromisoformat(start.group(1)).replace(tzinfo=UTC)
    except ValueError:
        return []
    agents: set[str] = set()
    out: list[RawLine] = []
    previous = None
    for n, line in enumerate(lines[1:], 2):
        found = _CHAT_LINE.match(line.strip())
        if not found:
            if line.strip() and out and out[-1].kind is not Kind.EVENT:
                out[-1].text += "\n" + line.strip()  # a message over several lines
            continue
        clock, half, event, name, words = found.groups()
        loc = f"{where}, line {n}"
        try:
            moment = datetime.strptime(f"{clock} {half}" if half else clock, "%I:%M:%S %p" if half else "%H:%M:%S")
        except ValueError:
            raise ParseError(f"bad time {clock!r} in a chat transcript line", loc) from None
        when = day.replace(hour=moment.hour, minute=moment.minute, second=moment.second)
        if previous is not None and when < previous - timedelta(hours=12):
            day, when = day + timedelta(days=1), when + timedelta(days=1)  # past midnight
        previous = when
        if event is not None:
            joined = re.match(r"(.+?) (?:has )?joined the chat", event)
            if joined:
                agents.add(joined.group(1).strip())
            out.append(RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event="chat_event", text=event, time=when,
                                  loc=loc))
            continue
        role = Role.AGENT if name in agents else Role.CUSTOMER if customer is None or name == customer else Role.BOT
        author = common["author_id"] if role is Role.CUSTOMER else name
        out.append(RawMessage(role=role, text=words, time=when, author_id=author, author_name=name, loc=loc,
                              internal=common["internal"], kind=Kind.NOTE if common["internal"] else Kind.MESSAGE))
    return out if any(m.kind is not Kind.EVENT for m in out) else []
