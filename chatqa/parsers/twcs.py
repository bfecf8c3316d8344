"""Customer Support on Twitter (Kaggle TWCS) CSV: threads rebuilt from reply ids."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

from ..errors import ParseError
from ..model import Channel, Role
from ..normalize import RawMessage
from ..records import Conversation
from ..saferegex import compile_regex
from . import ParseOptions, RecordContext, Row, TableParser

_COLUMNS = ("tweet_id", "author_id", "inbound", "created_at", "text", "in_response_to_tweet_id")
_INBOUND = {"true": True, "false": False, "1": True, "0": False}
# Brand replies are signed with initials or a first name: "... DM us. ^HSB", "-Becky", "*TB".
# RE2: in `re` the trailing links, each "\S+\s*", can be split exponentially many ways.
_SIGNATURE = compile_regex(r"\s[\^*~\-–—]\s?([A-Z][A-Za-z.]{0,19})\s*(?:https?://\S+\s*)*$")


def signature(text: str) -> str | None:
    """The agent's sign-off initials at the end of a brand tweet, if any."""
    match = _SIGNATURE.search(text)
    return match.group(1).rstrip(".") if match else None


def agent_id(brand: str, text: str) -> str:
    """A per-agent id for a brand tweet: ``Brand/INITIALS`` when signed, else the brand."""
    sig = signature(text)
    return f"{brand}/{sig}" if sig else brand


def _tweet_id(value: str) -> str:
    value = value.strip()
    return value[:-2] if value.endswith(".0") else value


class TwcsParser(TableParser):
    """TWCS: ``inbound`` True = customer; agent ids from brand + signature; sorted by ``created_at``.

    Tweet texts carry Twitter's entity escapes (``&amp;``, ``&gt;``), which are decoded.
    """

    channel = Channel.SOCIAL
    name = "twcs"
    summary = "Customer Support on Twitter CSV (Kaggle TWCS columns)"
    channels = 'social'
    example = 'CSV: tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id'
    priority = 80

    def sniff_header(self, header: list[str], options: ParseOptions) -> bool:
        """The TWCS columns (an extra leading index column is allowed)."""
        return all(c in header for c in _COLUMNS)

    def plan(self, header: list[str], options: ParseOptions) -> dict[str, int]:
        """Positions of the TWCS columns."""
        missing = [c for c in _COLUMNS if c not in header]
        if missing:
            raise ParseError(f"missing TWCS column(s): {', '.join(missing)}", "line 1")
        return {c: header.index(c) for c in _COLUMNS}

    def group(self, rows: list[Row], plan: dict[str, int]) -> Iterator[tuple[str, list[Row]]]:
        """Connected components over ``in_response_to_tweet_id``, keyed by the root tweet."""
        tid, parent_col = plan["tweet_id"], plan["in_response_to_tweet_id"]
        parents = {_tweet_id(r[tid]): _tweet_id(r[parent_col]) for _, r in rows}

        roots: dict[str, str] = {}  # each tweet's root, once found (a chain is walked once, not once per tweet)

        def root(tweet: str) -> str:
            path, seen = [], set()
            while tweet not in roots:
                path.append(tweet)
                seen.add(tweet)
                up = parents.get(tweet)
                if not up or up not in parents or up in seen:  # the top of the chain (or a cycle closes)
                    break
                tweet = up
            top = roots.get(tweet, tweet)
            for t in path:
                roots[t] = top
            return top

        threads: dict[str, list[Row]] = {}
        for row in rows:
            threads.setdefault(root(_tweet_id(row[1][tid])), []).append(row)
        yield from threads.items()

    def convert(self, key: str, rows: list[Row], plan: dict[str, int], ctx: RecordContext) -> Conversation:
        """One message per tweet; the thread id is the root tweet's id."""
        messages = []
        for line, row in rows:
            inbound = _INBOUND.get(row[plan["inbound"]].strip().lower())
            if inbound is None:
                raise ParseError(f"inbound must be True or False, got {row[plan['inbound']]!r}", f"line {line}")
            author, text = row[plan["author_id"]].strip(), row[plan["text"]]
            messages.append(RawMessage(
                role=Role.CUSTOMER if inbound else Role.AGENT, text=html.unescape(text), time=row[plan["created_at"]],
                author_id=author if inbound else agent_id(author, text), author_name=author,
                loc=f"line {line}",
            ))
        return ctx.build(id=key, messages=messages, metadata=self._brands(rows, plan))

    @staticmethod
    def _brands(rows: list[Row], plan: dict[str, int]) -> dict[str, Any]:
        brands = sorted({r[plan["author_id"]].strip() for _, r in rows
                         if _INBOUND.get(r[plan["inbound"]].strip().lower()) is False})
        return {"brands": brands} if brands else {}
