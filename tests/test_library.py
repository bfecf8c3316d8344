"""The library as a data engineer uses it (SPEC 7, Library): forgiving to build with, strict
about mistakes. Every test goes through the public API (`chatqa.*`, `Report`)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, SAMPLES

import chatqa

RECORD = {
    "id": "c-1", "channel": "chat", "tags": ["billing"],
    "messages": [
        {"role": "customer", "author": "Ann", "time": "2026-03-01T10:00:00Z", "text": "Hi, my invoice is wrong"},
        {"role": "agent", "author": "Sam", "time": "2026-03-01T10:09:00Z", "text": "Please hold"},
        {"role": "customer", "author": "Ann", "time": "2026-03-01T10:10:00Z", "text": "ok"},
    ],
}


def _codes(result):
    return sorted((f.code, f.message_index) for f in result.findings)


# --- building transcripts --------------------------------------------------------------------------


def test_from_record_reads_the_neutral_keys():
    t = chatqa.Transcript.from_record(RECORD)
    assert [m.author_name for m in t.messages] == ["Ann", "Sam", "Ann"]
    assert t.messages[1].sent_at is not None and t.messages[1].sent_at.tzinfo is not None
    assert t.tags == ("billing",) and t.vendor == "chatqa"
    result = chatqa.check(t)
    assert result.metrics.first_response_s == 540.0  # the times were read: the timing rules apply
    assert ("CQ101", 1) in _codes(result) and "CQ101" not in result.not_applicable


def test_from_record_is_the_neutral_parser(tmp_path):
    """One definition: a record read by from_record is the record read from a file."""
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(RECORD) + "\n")
    (loaded,) = list(chatqa.load(path))
    built = chatqa.Transcript.from_record(RECORD, source=loaded.source)
    assert built == loaded


def test_from_record_names_what_is_wrong():
    with pytest.raises(chatqa.ParseError, match=r"messages\[1\]\.role"):
        chatqa.Transcript.from_record({"id": "x", "messages": [{"role": "customer", "text": "a"},
                                                               {"role": "custmer", "text": "b"}]})
    with pytest.raises(chatqa.ParseError, match="missing field 'id'"):
        chatqa.Transcript.from_record({"messages": [{"role": "customer", "text": "a"}]})
    with pytest.raises(TypeError):
        chatqa.Transcript.from_record(["not", "a", "dict"])  # type: ignore[arg-type]


def test_the_model_refuses_neutral_keys_instead_of_dropping_them():
    with pytest.raises(ValueError, match="Transcript.from_record"):
        chatqa.Transcript(id="x", vendor="v", source="s",
                          messages=[{"index": 0, "role": "customer", "author": "Ann", "text": "hi"}])
    with pytest.raises(ValueError, match="extra"):
        chatqa.Transcript(id="x", vendor="v", source="s", colour="red")  # type: ignore[call-arg]


# --- what analyze and check accept ---------------------------------------------------------------


def test_analyze_and_check_take_records():
    report = chatqa.analyze([RECORD, {**RECORD, "id": "c-2"}])
    assert list(report.conversations["id"]) == ["c-1", "c-2"] and report.failures.empty
    assert _codes(chatqa.check(RECORD)) == _codes(chatqa.check(chatqa.Transcript.from_record(RECORD)))
    one = chatqa.analyze(RECORD)
    assert list(one.conversations["id"]) == ["c-1"]


def test_a_bad_record_is_a_failure_of_the_run_and_an_error_of_check():
    report = chatqa.analyze([RECORD, {"id": "b", "messages": [{"role": "robot", "text": "x"}]}])
    assert len(report.conversations) == 1
    row = report.failures.iloc[0]
    assert (row["source"], row["locator"]) == ("<records>", "[1].messages[0].role")
    with pytest.raises(chatqa.ParseError, match=r"messages\[0\]\.role"):
        chatqa.check({"id": "b", "messages": [{"role": "robot", "text": "x"}]})


def test_analyze_takes_a_mix_of_paths_transcripts_and_records():
    t = chatqa.Transcript.from_record({**RECORD, "id": "t-9"})
    report = chatqa.analyze([SAMPLES / "chatqa_neutral.jsonl", t, {**RECORD, "id": "r-9"}])
    ids = list(report.conversations["id"])
    assert ids[-2:] == ["t-9", "r-9"] and len(ids) > 2


MESSAGES = pd.DataFrame({
    "ticket": ["T1", "T1", "T1", "T2", "T2"],
    "who": ["Visitor", "Staff", "Visitor", "Visitor", "Staff"],
    "at": pd.to_datetime(["2026-03-01 10:00:00", "2026-03-01 10:09:00", "2026-03-01 10:10:00",
                          "2026-03-01 11:00:00", "2026-03-01 11:00:20"]),
    "body": ["my invoice is wrong", "Please hold", "ok", "hello", "Hi, I'm Sam. How can I help?"],
    "agent": [None, "Sam", None, None, "Sam"],
})
COLUMNS = {"conversation": "ticket", "role": "who", "time": "at", "text": "body", "author": "agent"}


def test_analyze_takes_a_messages_dataframe_with_a_column_map(tmp_path):
    report = chatqa.analyze(MESSAGES, columns=COLUMNS, roles={"Staff": "agent"})
    conv = report.conversations.set_index("id")
    assert list(conv.index) == ["T1", "T2"]
    assert conv.loc["T1", "first_response_s"] == 540.0 and conv.loc["T2", "first_response_s"] == 20.0
    assert conv.loc["T2", "agent"] == "Sam"
    assert "CQ101" in conv.loc["T1", "codes"]
    # the same messages as a CSV file read with --map give the same results
    path = tmp_path / "messages.csv"
    MESSAGES.to_csv(path, index=False)
    result = subprocess.run([sys.executable, "-m", "chatqa", "check", str(path), "--format", "jsonl",
                             "--map", ",".join(f"{k}={v}" for k, v in COLUMNS.items()), "--role-map", "Staff=agent"],
                            capture_output=True, text=True)
    cli = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["id"], r["score"], [f["code"] for f in r["findings"]]) for r in cli] == [
        (r.id, r.score, [f.code for f in r.findings]) for r in report.results]


def test_check_takes_a_dataframe_or_a_file_of_one_conversation(tmp_path):
    only = MESSAGES[MESSAGES["ticket"] == "T1"]
    result = chatqa.check(only, columns=COLUMNS, roles={"Staff": "agent"})
    assert result.id == "T1" and result.metrics.first_response_s == 540.0
    with pytest.raises(ValueError, match="expected one conversation, got 2"):
        chatqa.check(MESSAGES, columns=COLUMNS, roles={"Staff": "agent"})
    path = tmp_path / "one.json"
    path.write_text(json.dumps(RECORD))
    assert _codes(chatqa.check(path)) == _codes(chatqa.check(RECORD))


def test_dataframe_mistakes_raise_naming_the_argument():
    with pytest.raises(ValueError, match=r"columns\['text'\]: the DataFrame has no column 'message'"):
        chatqa.analyze(MESSAGES, columns={**COLUMNS, "text": "message"})
    with pytest.raises(ValueError, match=r"columns: unknown field\(s\) txt"):
        chatqa.analyze(MESSAGES, columns={"txt": "body"})
    report = chatqa.analyze(MESSAGES[["ticket", "body"]])
    assert report.conversations.empty and "map them with columns=" in report.failures["reason"][0]


# --- strict about mistakes -----------------------------------------------------------------------


def test_a_missing_path_raises_file_not_found(tmp_path):
    missing = tmp_path / "nope.jsonl"
    for call in (lambda: chatqa.analyze(missing), lambda: chatqa.analyze([SAMPLES, missing]),
                 lambda: chatqa.check(missing), lambda: chatqa.load(missing),
                 lambda: chatqa.analyze(SAMPLES, config=tmp_path / "chatqa.toml")):
        with pytest.raises(FileNotFoundError) as info:
            call()
        assert str(tmp_path) in str(info.value)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: chatqa.analyze(SAMPLES, vendor="livechatt"), r"^vendor: unknown format 'livechatt'"),
    (lambda: chatqa.load(SAMPLES, vendor="livechatt"), r"^vendor: unknown format 'livechatt'"),
    (lambda: chatqa.analyze(SAMPLES, config={"ignroe": ["CQ5"]}), r"^config: unknown key 'ignroe'$"),
    (lambda: chatqa.analyze(SAMPLES, config={"ignore": ["CQ9"]}), r"^config\['ignore'\]: unknown rule.*'CQ9'"),
    (lambda: chatqa.check(RECORD, config={"select": ["hold-requests"]}), r"^config\['select'\]: unknown rule"),
    (lambda: chatqa.analyze(SAMPLES, config={"scorecard": {"cap": -1}}), r"^config\['scorecard'\]\['cap'\]"),
    (lambda: chatqa.analyze(SAMPLES, timezone="Mars/Olympus"), r"^timezone: unknown time zone 'Mars/Olympus'"),
    (lambda: chatqa.analyze(MESSAGES, columns=COLUMNS, roles={"Staff": "agnet"}), r"^roles\['Staff'\]"),
    (lambda: chatqa.load(SAMPLES, errors="ignore"), r"^errors: expected 'raise' or 'collect'"),
])
def test_unknown_values_raise_value_error_in_python_terms(call, message):
    with pytest.raises(ValueError, match=message) as info:
        call()
    assert "--" not in str(info.value)  # never a CLI flag


def test_unknown_keywords_are_type_errors_not_silently_ignored():
    with pytest.raises(TypeError, match="colums"):
        chatqa.analyze(SAMPLES, colums={})  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="stratgy"):
        chatqa.sample(pd.DataFrame(), n=1, stratgy="risk")  # type: ignore[call-arg]


# --- results never depend on object identity -----------------------------------------------------


def test_equal_configs_equal_results_changed_configs_changed_results(tmp_path):
    t = chatqa.Transcript.from_record(RECORD)
    settings = {"rules": {"slow-first-reply": {"max": "60s", "error_above": "120s"}}}
    first = chatqa.check(t, settings)
    assert _codes(first) == _codes(chatqa.check(t, {"rules": {"slow-first-reply": {"max": "60s",
                                                                                   "error_above": "120s"}}}))
    assert next(f.level for f in first.findings if f.code == "CQ101") == "error"
    settings["rules"]["slow-first-reply"]["error_above"] = "3600s"  # changed in place
    assert next(f.level for f in chatqa.check(t, settings).findings if f.code == "CQ101") == "warning"
    settings["ignore"] = ["CQ101"]
    assert "CQ101" not in {f.code for f in chatqa.check(t, settings).findings}
    assert "CQ101" not in {f.code for f in chatqa.analyze([t], settings).results[0].findings}
    # a config file edited between two runs: the second run reads the new settings
    path = tmp_path / "chatqa.toml"
    path.write_text('ignore = ["CQ101"]\n')
    assert "CQ101" not in chatqa.analyze([t], path).codes
    path.write_text('ignore = ["CQ2"]\n')
    assert "CQ101" in chatqa.analyze([t], path).codes


# --- the report ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report():
    return chatqa.analyze(SAMPLES)


def test_summary_holds_the_counts(report):
    s = report.summary
    assert (s.files, s.records_in, s.conversations, s.duplicates) == (26, 50, 50, 0)
    assert s.records_in == s.conversations + len(s.failures) + s.duplicates
    assert len(report.conversations) == s.conversations


def test_failures_are_a_dataframe_and_typed_records(tmp_path):
    (tmp_path / "bad.jsonl").write_text('{"id": "a", "messages": [{"role": "customer", "text": "hi"}]}\n{oops\n')
    report = chatqa.analyze(tmp_path)
    assert list(report.failures.columns) == ["source", "locator", "reason"]
    assert list(report.failures.dtypes) == ["string"] * 3
    assert report.failures.loc[0, "locator"] == "line 2"
    (failure,) = report.summary.failures
    assert isinstance(failure, chatqa.Failure) and failure.locator == "line 2"


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv", ".parquet", ".html", ".txt"])
def test_write_every_output_format_from_the_suffix(report, tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    if suffix == ".txt":
        report.write(path, format="table")
        assert "conversations" in path.read_text()
        return
    report.write(path)
    if suffix == ".jsonl":
        assert len(path.read_text().splitlines()) == 50
    elif suffix == ".json":
        assert json.loads(path.read_text())["summary"]["conversations"] == 50
    elif suffix == ".csv":
        assert list(pd.read_csv(path)["id"].astype(str)) == list(report.conversations["id"])
    elif suffix == ".parquet":
        assert len(pd.read_parquet(path)) == 50
    else:
        assert path.read_text().lstrip().lower().startswith("<!doctype html")


def test_write_refuses_what_it_cannot_write(report, tmp_path):
    with pytest.raises(ValueError, match="cannot tell the format from"):
        report.write(tmp_path / "out.xlsx")
    with pytest.raises(ValueError, match="^format: unknown output format 'xml'"):
        report.write(tmp_path / "out.json", format="xml")
    with pytest.raises(FileNotFoundError):
        report.write(tmp_path / "missing" / "out.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# --- typed, documented, shipped --------------------------------------------------------------------


def test_public_signatures_are_typed_and_documented():
    import inspect

    for name in ("load", "check", "analyze", "sample", "agreement"):
        func = getattr(chatqa, name)
        assert func.__doc__ and len(func.__doc__) > 80, name
        signature = inspect.signature(func)
        assert signature.return_annotation is not inspect.Signature.empty, name
        for parameter in signature.parameters.values():
            assert parameter.kind is not parameter.VAR_KEYWORD, f"{name}(**{parameter.name})"
            assert parameter.annotation is not inspect.Parameter.empty, f"{name}({parameter.name})"
            assert "Any" != parameter.annotation, f"{name}({parameter.name}: Any)"
    assert chatqa.Transcript.from_record.__doc__


def test_the_wheel_ships_py_typed(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                             "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {result.stderr[-300:]}")
    (wheel,) = tmp_path.glob("chatqa-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "chatqa/py.typed" in names
    assert {"chatqa/arguments.py", "chatqa/labels.py", "chatqa/pseudonyms.py"} <= set(names)


def test_import_stays_light_and_public_names_resolve():
    code = ("import sys, chatqa; names = [getattr(chatqa, n) for n in chatqa.__all__]; "
            "print(sorted(m for m in ('pandas', 'spacy') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(ROOT)).stdout.strip() == "[]"


def test_channel_is_an_argument_too():
    def cq101(result):
        return "CQ101" in {f.code for f in result.findings}

    assert cq101(chatqa.check(RECORD))  # 9 minutes: slow for a chat
    assert not cq101(chatqa.check(RECORD, channel="email"))  # fine for an email (4h target)
    assert not cq101(chatqa.analyze([RECORD], channel="email").results[0])
    assert not cq101(chatqa.check(chatqa.Transcript.from_record(RECORD), channel="email"))
    with pytest.raises(ValueError, match="^channel: "):
        chatqa.analyze([RECORD], channel="fax")


def _codes_of(rows):
    """(id, codes) of conversation table rows or JSONL results."""
    return {(r["id"], tuple(sorted(r["codes"] if "codes" in r else {f["code"] for f in r["findings"]})))
            for r in rows}


def test_the_config_settings_for_reading_hold_in_the_library_as_on_the_command_line(tmp_path):
    """A chatqa.toml naming the CSV's columns, roles, time format, time zone, bots and channel gives
    `chatqa.analyze`, `chatqa.check`, chatqa.dask and `chatqa check` the same run; the library's
    arguments override the config's as the flags do."""
    pytest.importorskip("dask.dataframe")
    import chatqa.dask as cqd

    rows = ["ticket;sender;at;body;who",
            "A1;Visitor;01/03/2026 10:00:00;my card was charged twice;",
            "A1;Staff;01/03/2026 10:09:00;Please hold while I check.;sam@acme.example",
            "A1;Helper;01/03/2026 10:09:30;I am the bot, hello!;bot@acme.example",
            "A1;Visitor;01/03/2026 10:12:00;ok thanks;"]
    path = tmp_path / "export.csv"
    path.write_text("\n".join(rows) + "\n")
    config = tmp_path / "chatqa.toml"
    config.write_text('timezone = "Europe/Berlin"\nbots = ["bot@acme.example"]\nchannel = "email"\n'
                      '[csv]\ncolumns = { conversation = "ticket", role = "sender", time = "at", text = "body", '
                      'author_id = "who" }\nroles = { Staff = "agent", Visitor = "customer", Helper = "agent" }\n'
                      'time_format = "%d/%m/%Y %H:%M:%S"\ndelimiter = ";"\n')
    cli = subprocess.run([sys.executable, "-m", "chatqa", "check", str(path), "--config", str(config),
                          "--format", "jsonl"], capture_output=True, text=True, cwd=tmp_path)
    assert cli.returncode in (0, 1), cli.stderr
    expected = _codes_of(json.loads(line) for line in cli.stdout.splitlines())
    report = chatqa.analyze(path, config=config)
    assert _codes_of(report.conversations.to_dict("records")) == expected
    (result,) = report.results
    assert result.metrics.first_response_s == 540.0 and result.started_at.hour == 9  # 10:00 in Berlin
    assert result.channel == "email" and "CQ101" not in result.codes  # 9 minutes: fine for an email
    assert result.metrics.bot_messages == 1  # from the config's list of bots
    assert chatqa.check(path, config=config).score == result.score
    dask_run = cqd.analyze(path, config=config).compute(scheduler="synchronous")
    assert _codes_of(dask_run.to_dict("records")) == expected
    # an argument overrides the config's setting, in the library as on the command line
    as_chat = chatqa.analyze(path, config=config, channel="chat")
    flag = subprocess.run([sys.executable, "-m", "chatqa", "check", str(path), "--config", str(config),
                           "--channel", "chat", "--format", "jsonl"], capture_output=True, text=True, cwd=tmp_path)
    assert _codes_of(as_chat.conversations.to_dict("records")) == _codes_of(
        json.loads(line) for line in flag.stdout.splitlines())
    assert "CQ101" in as_chat.results[0].codes and as_chat.conversations["channel"].tolist() == ["chat"]
    assert cqd.analyze(path, config=config, channel="chat").compute(scheduler="synchronous")["codes"].iloc[0] \
        == as_chat.conversations["codes"].iloc[0]
    with pytest.raises(ValueError, match=r"^columns: unknown field\(s\) colour"):
        chatqa.analyze(path, config=config, columns={"colour": "x"})
