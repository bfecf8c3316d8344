"""Property-based fuzzing of ZIP archives (SPEC sections 3 and 8): archives of damaged sample
exports, damaged archives, and random bytes after a ZIP signature. Whatever the input, a run
accounts for every record (conversations + failures + duplicates), every failure names the
archive member (or the archive) with a one-line reason, nothing raises, nothing hangs; an
archive's members read as the same files do."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pytest
from fuzzing import SAMPLE_BYTES, byte_damage, csv_cells, structural, time_limit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_parsers import DEFAULT, LONG

from chatqa.errors import Failure
from chatqa.inputs import Loader

NAMES = sorted(SAMPLE_BYTES)


def _members(data: st.DataObject) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    for k in range(data.draw(st.integers(1, 4), label="members")):
        name = data.draw(st.sampled_from(NAMES), label="sample")
        how = data.draw(st.sampled_from(["as is", "structure", "bytes", "gzip"]), label="member damage")
        content = SAMPLE_BYTES[name]
        if how == "structure":
            content = csv_cells(name, data) if name.endswith(".csv") else structural(name, data)
        elif how == "bytes":
            content = byte_damage(content, data)
        elif how == "gzip":
            content, name = gzip.compress(content, mtime=0), name + ".gz"
        folder = data.draw(st.sampled_from(["", "exports/", "a/b/", ".hidden/", "__MACOSX/"]), label="folder")
        members[f"{folder}{k}-{name}"] = content
    if data.draw(st.booleans(), label="readme"):
        members["README.md"] = b"about these exports"
    return members


def _archive(members: dict[str, bytes], data: st.DataObject) -> bytes:
    buffer = io.BytesIO()
    method = data.draw(st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED, zipfile.ZIP_BZIP2,
                                        zipfile.ZIP_LZMA]), label="method")
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), content, compress_type=method)
    return buffer.getvalue()


def _run(tmp: Path, content: bytes) -> tuple[list, Loader]:
    path = tmp / "fuzz.zip"
    path.write_bytes(content)
    with time_limit(30):
        loader = Loader(path, errors="collect")
        got = list(loader)
    assert loader.records_in == len(got) + len(loader.failures) + loader.duplicates
    for failure in loader.failures:
        assert isinstance(failure, Failure)
        assert failure.source == str(path) or failure.source.startswith(f"{path}!"), failure
        assert failure.reason.strip() and "\n" not in failure.reason, failure
        assert not failure.reason.startswith("internal error"), failure
        assert "Traceback" not in failure.reason
    for transcript in got:
        assert transcript.source.startswith(f"{path}!")
    return got, loader


def _member_property(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    """An archive of (damaged) exports reads like the same files in a folder."""
    members = _members(data)
    tmp = tmp_path_factory.mktemp("z")
    got, loader = _run(tmp, _archive(members, data))
    folder = tmp / "plain"
    for name, content in members.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    plain = Loader(folder, errors="collect")
    expected = list(plain)
    assert [t.model_dump(exclude={"source"}) for t in got] == [t.model_dump(exclude={"source"}) for t in expected]
    assert [(f.locator, f.reason) for f in loader.failures] == [(f.locator, f.reason) for f in plain.failures]
    assert loader.duplicates == plain.duplicates and len(loader.skipped) == len(plain.skipped)


def _archive_property(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    """A damaged archive: every record still accounted for, no exception."""
    content = byte_damage(_archive(_members(data), data), data)
    if data.draw(st.booleans(), label="keep the signature"):
        content = b"PK\x03\x04" + content[4:]
    _run(tmp_path_factory.mktemp("d"), content)


FUZZ = settings(DEFAULT, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                HealthCheck.function_scoped_fixture, HealthCheck.large_base_example])


@FUZZ
@given(data=st.data())
def test_archives_of_damaged_exports(tmp_path_factory, data):
    _member_property(tmp_path_factory, data)


@FUZZ
@given(data=st.data())
def test_damaged_archives(tmp_path_factory, data):
    _archive_property(tmp_path_factory, data)


@FUZZ
@given(content=st.binary(max_size=600))
def test_random_bytes_after_a_zip_signature(tmp_path_factory, content):
    _run(tmp_path_factory.mktemp("r"), b"PK\x03\x04" + content)


@pytest.mark.fuzz_long
@settings(FUZZ, max_examples=LONG.max_examples)
@given(data=st.data())
def test_long_damaged_archives(tmp_path_factory, data):
    if data.draw(st.booleans()):
        _member_property(tmp_path_factory, data)
    else:
        _archive_property(tmp_path_factory, data)
