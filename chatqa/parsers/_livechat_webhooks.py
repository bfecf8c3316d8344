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
"""

from __future__ import annotations

from typing import Any

MARK = "__chatqa_webhook__"
"""Key of a chat record rebuilt from webhook bodies: the actions it was rebuilt from."""


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


def merge(first: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    """Two snapshots of one thread as one: chat fields, users (by id) and events (by id) of the
    later one win, tags and properties are combined."""
    out = {**first, **{k: v for k, v in later.items() if k not in ("users", "thread", MARK) and v is not None}}
    out["users"] = list(_by_id([*_list(first.get("users")), *_list(later.get("users"))]).values())
    out[MARK] = [*_list(first.get(MARK)), *_list(later.get(MARK))]
    a, b = _dict(first.get("thread")), _dict(later.get("thread"))
    thread = {**a, **{k: v for k, v in b.items() if k not in ("events", "tags", "untagged", "properties")}}
    thread["events"] = list(_by_id([*_list(a.get("events")), *_list(b.get("events"))]).values())
    removed = set(t for t in _list(b.get("untagged")) if isinstance(t, str))
    tags = [t for t in _list(a.get("tags")) if t not in removed] + _list(b.get("tags"))
    thread["tags"] = list(dict.fromkeys(t for t in tags if isinstance(t, str)))
    props_a, props_b = _dict(a.get("properties")), _dict(b.get("properties"))
    thread["properties"] = {k: {**v, **props_b[k]} if isinstance(v, dict) and isinstance(props_b.get(k), dict)
                            else props_b.get(k, v) for k, v in {**props_a, **props_b}.items()}
    thread.pop("untagged", None)
    out["thread"] = thread
    return out


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _by_id(items: list[Any]) -> dict[Any, Any]:
    """Items keyed by their id (a later one replaces an earlier one in place); items without an id
    kept as they are."""
    out: dict[Any, Any] = {}
    for i, item in enumerate(items):
        key = item.get("id") if isinstance(item, dict) else None
        out[key if isinstance(key, str | int) and not isinstance(key, bool) else ("", i)] = item
    return out
