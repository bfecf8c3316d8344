"""Fuzzing the identity fields (SPEC section 8): a card number, written any way people write it,
in any field a transcript carries besides its text (id, vendor, tags, authors, participants,
metadata keys and values, rating labels, event names, the file name) never reaches an output:
not the results (JSONL), not the summary and failures (JSON), not the export, not stderr."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_card_spellings import AMEX, MC, SPELLINGS, VISA

from chatqa.cli import main

FIELDS = ["id", "vendor", "tag", "author", "author_id", "participant_id", "participant_name", "metadata_key",
          "metadata_value", "rating_label", "event", "file_name", "bad_time"]
NOISE = st.text(alphabet="ab #=:-_./()[]\n", max_size=6)
# spellings a file name can hold (no path separators or line breaks)
FILE_SAFE = sorted(name for name, text in SPELLINGS.items() if "/" not in text and "\n" not in text
                   and "\r" not in text and "<" not in text)


def record(field: str, value: str) -> dict:
    def put(name: str, default: str) -> str:
        return value if field == name else default

    return {
        "id": put("id", "chat-1"), "vendor": put("vendor", "acme"), "tags": [put("tag", "billing")],
        "metadata": {put("metadata_key", "plan"): {"note": put("metadata_value", "gold")}},
        "rating": {"value": 2, "scale": 5, "label": put("rating_label", "meh")},
        "participants": [{"id": put("participant_id", "agent-7"), "role": "agent",
                          "name": put("participant_name", "Sam")}],
        "messages": [
            {"role": "customer", "author": put("author", "Ann"), "time": "2026-03-01T10:00:00Z",
             "text": "my card was charged twice"},
            {"role": "system", "time": "2026-03-01T10:00:05Z", "text": "routed", "kind": "event",
             "event": put("event", "routed")},
            {"role": "agent", "author": "Sam", "author_id": put("author_id", "agent-7"),
             "time": put("bad_time", "2026-03-01T10:00:30Z"), "text": "Hello, I'm Sam. Let me look."},
        ],
    }


def ascii_digits(data: str) -> str:
    return "".join(str(unicodedata.digit(c)) for c in data if unicodedata.digit(c, None) is not None)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(FIELDS), spelling=st.sampled_from(sorted(SPELLINGS)), before=NOISE, after=NOISE,
       file_spelling=st.sampled_from(FILE_SAFE))
def test_a_card_in_any_identity_field_never_reaches_an_output(tmp_path_factory, field, spelling, before, after,
                                                               file_spelling):
    folder: Path = tmp_path_factory.mktemp("fuzz")
    value = before + SPELLINGS[spelling] + after
    name = f"export {SPELLINGS[file_spelling]}.jsonl" if field == "file_name" else "export.jsonl"
    path = folder / name
    path.write_text(json.dumps(record(field, value)) + "\n", encoding="utf-8")
    runner = CliRunner()
    outputs = []
    for args in (["check", str(path), "--format", "jsonl"], ["check", str(path), "--format", "json"],
                 ["export", str(path)]):
        result = runner.invoke(main, args, catch_exceptions=False)
        assert result.exit_code in (0, 3), result.output
        assert "Traceback" not in result.stderr
        outputs.append(result.stdout + result.stderr)
    card = next(c for c in (VISA, MC, AMEX) if c in ascii_digits(SPELLINGS[spelling]))
    for out in outputs:
        # the card's digits, in any script, with anything between them, are gone
        assert card not in ascii_digits(out.replace(str(folder), "")), (field, spelling, out)
