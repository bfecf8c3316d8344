"""LiveChat v3 webhook bodies (``{webhook_id, action, payload, additional_data}``) as snapshots of
the threads they are about, merged per thread within a file.

``incoming_chat`` carries the whole chat (users, properties, and the thread with the events it
started with); the thread's later events come one per ``incoming_event`` body (``event_updated``
replaces one); ``user_added_to_chat`` adds a user, ``thread_tagged`` / ``thread_untagged`` a tag,
``thread_properties_updated`` / ``chat_properties_updated`` properties (ratings live there), and
``chat_deactivated`` closes the thread. Each body becomes a partial chat record of one thread
(marked with `MARK`), and the records of one thread are merged in file order, so a webhook
archive reads as the chats it recorded. A body about no thread (``agent_created``...) holds no
conversation. (Source: platform.text.com Management > Webhooks v3.3-v3.6: payload tables and
sample webhooks.)

Events are told apart by id across bodies only: every event of one body is kept (a body may hold
several events under one id), and an event of a later body whose id the thread already holds is
that event again, updated (``event_updated``) or delivered again, and replaces it where it stood.
A body that repeats one merged before and changes nothing (LiveChat delivers a webhook again until
it is acknowledged) is a duplicate: `merge` returns None and the run counts it under
``duplicates``, so no body is dropped unseen.
"""

from __future__ import annotations

import json
from hashlib import blake2b
from typing import Any

MARK = "__chatqa_webhook__"
"""Key of a chat record rebuilt from webhook bodies: the actions it was rebuilt from."""
SEEN = "__chatqa_webhook_bodies__"
"""Key of a merged record: digests of the bodies merged into it (to tell a body delivered again)."""


def webhook_body(value: Any) -> tuple[str, dict[str, Any]] | None:
    """(action, payload) of a LiveChat v3 webhook body; None for anything else."""
    if not isinstance(value, dict) or not isinstance(value.get("payload"), dict):
        return None
    action = value.get("action")
    if not isinstance(action, str) or not ("webhook_id" in value or "secret_key" in value):
        return None
    return action, value["payload"]


def snapshot(action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The partial chat record of one body (one thread), or None for a body about no thread."""
    chat = payload.get("chat")
    if isinstance(chat, dict):
        return {**chat, MARK: [action]}
    chat_id, thread_id = payload.get("chat_id"), payload.get("thread_id")
    if not isinstance(chat_id, str | int) or isinstance(chat_id, bool):
        return None
    thread: dict[str, Any] = {"id": thread_id, "events": []}
    users: list[Any] = []
    event = payload.get("event")
    if isinstance(event, dict) and action in ("incoming_event", "event_updated"):
        thread["events"] = [event]
    if isinstance(payload.get("user"), dict) and action == "user_added_to_chat":
        users = [payload["user"]]
    tag = payload.get("tag")
    if isinstance(tag, str) and action == "thread_tagged":
        thread["tags"] = [tag]
    if isinstance(tag, str) and action == "thread_untagged":
        thread["untagged"] = [tag]
    properties = payload.get("properties")
    if isinstance(properties, dict) and action in ("thread_properties_updated", "chat_properties_updated"):
        thread["properties"] = properties
    return {"id": chat_id, "users": users, "thread": thread, MARK: [action]}


def thread_key(record: dict[str, Any]) -> str:
    """The thread a snapshot is about (a body naming only its chat: the chat)."""
    return f"{record.get('id')}/{_dict(record.get('thread')).get('id')}"


def merge(first: dict[str, Any], later: dict[str, Any]) -> dict[str, Any] | None:
    """Two snapshots of one thread as one: chat fields, users (by id) and events (see the module
    doc) of the later one win, tags and properties are combined. None when `later` repeats a body
    merged before and changes nothing: a duplicate."""
    seen = _list(first.get(SEEN)) or [_digest(first)]
    digest = _digest(later)
    out = _combine(first, later)
    if digest in seen and _bare(out) == _bare(_combine(first, {"id": first.get("id"), "thread": {}})):
        return None
    out[SEEN] = [*seen, digest]
    return out


def _combine(first: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    out = {**first, **{k: v for k, v in later.items() if k not in ("users", "thread", MARK, SEEN) and v is not None}}
    out["users"] = list(_by_id([*_list(first.get("users")), *_list(later.get("users"))]).values())
    out[MARK] = [*_list(first.get(MARK)), *_list(later.get(MARK))]
    a, b = _dict(first.get("thread")), _dict(later.get("thread"))
    thread = {**a, **{k: v for k, v in b.items() if k not in ("events", "tags", "untagged", "properties")}}
    thread["events"] = _events(_list(a.get("events")), _list(b.get("events")))
    removed = set(t for t in _list(b.get("untagged")) if isinstance(t, str))
    tags = [t for t in _list(a.get("tags")) if t not in removed] + _list(b.get("tags"))
    thread["tags"] = list(dict.fromkeys(t for t in tags if isinstance(t, str)))
    props_a, props_b = _dict(a.get("properties")), _dict(b.get("properties"))
    thread["properties"] = {k: {**v, **props_b[k]} if isinstance(v, dict) and isinstance(props_b.get(k), dict)
                            else props_b.get(k, v) for k, v in {**props_a, **props_b}.items()}
    thread.pop("untagged", None)
    out["thread"] = thread
    return out


def _events(held: list[Any], later: list[Any]) -> list[Any]:
    """The thread's events after a later body's: each of its events whose id the thread holds
    replaces the latest held event with that id, in place (when a body holds several events under
    one id, its last replaces the latest, the one before the one before...); the others follow."""
    out = list(held)
    places: dict[Any, list[int]] = {}
    for i, event in enumerate(out):
        key = _key(event)
        if key is not None:
            places.setdefault(key, []).append(i)
    taken: dict[Any, int] = {}
    added: list[Any] = []
    for event in reversed(later):
        key = _key(event)
        spots = places.get(key, []) if key is not None else []
        n = taken.get(key, 0)
        if n < len(spots):
            out[spots[len(spots) - 1 - n]] = event
            taken[key] = n + 1
        else:
            added.append(event)
    return out + added[::-1]


def _bare(record: dict[str, Any]) -> dict[str, Any]:
    """A merged record without the bookkeeping of its merge."""
    return {k: v for k, v in record.items() if k not in (MARK, SEEN)}


def _digest(snapshot: dict[str, Any]) -> str:
    """A body's snapshot (its action and what it holds), as a digest."""
    body = {k: v for k, v in snapshot.items() if k != SEEN}
    data = json.dumps(body, sort_keys=True, default=str, ensure_ascii=False)
    return blake2b(data.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _key(item: Any) -> Any:
    """An item's id (None for an item without one)."""
    key = item.get("id") if isinstance(item, dict) else None
    return key if isinstance(key, str | int) and not isinstance(key, bool) else None


def _by_id(items: list[Any]) -> dict[Any, Any]:
    """Items keyed by their id (a later one replaces an earlier one in place); items without an id
    kept as they are."""
    out: dict[Any, Any] = {}
    for i, item in enumerate(items):
        key = _key(item)
        out[key if key is not None else ("", i)] = item
    return out
