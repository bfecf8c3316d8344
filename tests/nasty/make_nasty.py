"""Regenerate the nasty input files of this folder (run from anywhere: python tests/nasty/make_nasty.py
[NAME ...]).

Each file is one way an export goes wrong in the wild; expected.yaml holds the exact stderr lines
and exit code `chatqa check FILE` gives for it (tests/test_nasty.py; CHATQA_UPDATE_NASTY=1 rewrites it).
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import zipfile
from pathlib import Path

HERE = Path(__file__).parent


def conv(i: int, text: str = "Hi, my order is late") -> dict:
    return {"id": f"n-{i}", "messages": [
        {"role": "customer", "author": "Ann", "time": "2026-03-01T10:00:00Z", "text": text},
        {"role": "agent", "author": "Sam", "time": "2026-03-01T10:00:41Z", "text": "Hi Ann, I'm Sam. Let me check."},
    ]}


def lines(*items: object) -> bytes:
    return b"".join((json.dumps(i) if not isinstance(i, bytes) else i.decode("latin-1")).encode("latin-1") + b"\n"
                    if isinstance(i, bytes) else json.dumps(i).encode() + b"\n" for i in items)


FILES: dict[str, bytes] = {
    "empty.json": b"",
    "only-bom.jsonl": codecs.BOM_UTF8 + b"\n  \n",
    "whitespace.csv": b" \r\n\t\r\n",
    "truncated-array.json": json.dumps([conv(1), conv(2), conv(3)], indent=1).encode()[:700],
    "broken-line-in-the-middle.jsonl": lines(conv(1)) + b'{"id": "n-2", "messages": [\n' + lines(conv(3)),
    "nan-infinity-huge.jsonl": (b'{"id": "n-1", "messages": [{"role": "customer", "time": NaN, "text": "hi"}]}\n'
                                b'{"id": "n-2", "messages": [{"role": "customer", "time": 1e400, "text": "hi"}]}\n'
                                b'{"id": "n-3", "messages": [{"role": "customer", "time": 99999999999999999999999, '
                                b'"text": "hi"}]}\n'
                                b'{"id": "n-4", "messages": [{"role": "customer", "time": -1e300, "text": "hi"}]}\n'
                                + lines(conv(5))),
    "deep-nesting.json": b"[" * 100_000 + b"]" * 100_000,
    "deep-nesting-in-a-record.jsonl": lines(conv(1)) + b'{"id": "n-2", "metadata": ' + b"[" * 5000 + b"]" * 5000
                                      + b', "messages": []}\n',
    "invalid-utf8-line.jsonl": lines(conv(1)) + b'{"id": "n-2", "messages": [{"role": "customer", "text": "caf\xe9"}]}\n'
                               + lines(conv(3)),
    "latin1.csv": "conversation_id,role,text\nc1,customer,café crème\n".encode("latin-1"),
    "lone-surrogate.json": b'[{"id": "n-1", "messages": [{"role": "customer", "text": "\\ud800 oops"}]}]',
    "utf16-with-bom.json": json.dumps([conv(1)]).encode("utf-16"),
    "crlf-and-bare-cr.csv": (b"conversation_id,role,time,text\r\n"
                             b"c1,customer,2026-01-01T10:00:00Z,line one\rline two\r\n"
                             b'c1,agent,2026-01-01T10:00:30Z,"quoted\r\nbreak"\r\n'),
    "malformed-rows.csv": (b"conversation_id,role,time,text\n"
                           b"a,customer,2026-01-01T10:00:00Z,hi\n"
                           b"a,agent,2026-01-01T10:00:30Z,hello,extra\n"
                           b"b,customer\n"
                           b'c,customer,2026-01-01T12:00:00Z,"never closed\n'),
    "header-only.csv": b"conversation_id,role,text\n",
    "twcs-reply-cycle.csv": (b"tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
                             b"1,111,True,Tue Oct 31 22:10:47 +0000 2017,@Brand help,2,3\n"
                             b"2,Brand,False,Tue Oct 31 22:12:47 +0000 2017,@111 sure,3,1\n"
                             b"3,111,True,Tue Oct 31 22:14:47 +0000 2017,@Brand thanks,1,2\n"),
    "truncated.jsonl.gz": gzip.compress(lines(*(conv(i) for i in range(40))), mtime=0)[:400],
    "zip-named.json": b"",  # filled below
    "png-named.jsonl": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",
    "wrong-types.json": json.dumps([
        {"id": "n-1", "messages": "hello"},
        {"id": ["n-2"], "messages": []},
        {"id": "n-3", "messages": [{"role": "customer", "text": {"html": "<b>hi</b>"}}]},
        {"id": "n-4", "messages": [{"role": "customer", "text": "hi", "internal": "maybe"}]},
        conv(5),
    ], indent=1).encode(),
    "nulls-everywhere.json": json.dumps({"chats": [{"id": None, "thread": None, "users": None}]}).encode(),
    "epoch-out-of-range.json": json.dumps([{"id": "n-1", "messages": [
        {"role": "customer", "time": 10**20, "text": "hi"}]}, conv(2)]).encode(),
    "script-in-text.json": json.dumps([conv(1, "<script>alert(1)</script> &lt;b&gt;")]).encode(),
    "array-of-scalars.json": b'[1, "two", null, true, {"id": "x"}]',
    "trailing-garbage.json": json.dumps([conv(1)]).encode() + b" garbage",
}
_DEEP = b"[" * 5000 + b"]" * 5000
_TINY = b'{"role": "customer", "text": "a"}'
FILES.update({
    # memory and time bounded (SPEC 8): refused, capped or skipped, the rest read
    "deep-element-in-an-array.json": (b"[" + json.dumps(conv(1)).encode() + b', {"id": "n-2", "metadata": ' + _DEEP
                                      + b', "messages": []}, ' + json.dumps(conv(3)).encode() + b"]"),
    "deep-metadata.jsonl": lines(conv(1)) + json.dumps(
        {**conv(2), "metadata": {"x": json.loads("[" * 300 + "]" * 300)}}).encode() + b"\n" + lines(conv(3)),
    "whitespace-bomb.jsonl.gz": gzip.compress(lines(conv(1)) + b"\n" * (6 << 20) + lines(conv(2)), mtime=0),
    "too-many-values.jsonl.gz": gzip.compress(lines(conv(1)) + b'{"id": "n-2", "messages": [], "metadata": [' + b"[],"
                                              * 510_000 + b"[]]}\n" + lines(conv(3)), mtime=0),
    "too-many-messages.jsonl.gz": gzip.compress(lines(conv(1)) + b'{"id": "n-2", "messages": ['
                                                + b", ".join([_TINY] * 10_001) + b"]}\n", mtime=0),
})
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w") as z:
    z.writestr("export.json", json.dumps([conv(1)]))
FILES["zip-named.json"] = buffer.getvalue()


if __name__ == "__main__":
    import sys

    for name, content in FILES.items():
        if sys.argv[1:] and name not in sys.argv[1:]:
            continue  # only the files named (gzip and ZIP bytes differ between library versions)
        (HERE / name).write_bytes(content)
    print(f"wrote {len(FILES)} files to {HERE}")
