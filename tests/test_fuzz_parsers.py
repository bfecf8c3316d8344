"""Property-based fuzzing of every registered parser (SPEC section 8).

Mutations are seeded from sample_transcripts/ so they reach the vendor code, not only the
JSON decoder. Whatever the input, a parser yields Transcripts and Failures (with a reason and
a place) or raises ParseError; never another exception, never a hang. The default run is
short and deterministic; ``pytest -m fuzz_long`` runs many more examples (CI does both).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fuzzing import (
    SAMPLE_BYTES,
    SAMPLE_FILES,
    SAMPLE_VENDOR,
    byte_damage,
    check_items,
    csv_cells,
    parse_strictly,
    streaming,
    structural,
    time_limit,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatqa.errors import Failure
from chatqa.inputs import Loader
from chatqa.parsers import registry

# Deterministic by default (CI must not flip on luck); CHATQA_FUZZ_RANDOM=1 explores new inputs
# and CHATQA_FUZZ_EXAMPLES=N sets the long run's size.
DEFAULT = settings(max_examples=25, deadline=None, derandomize=not os.environ.get("CHATQA_FUZZ_RANDOM"), database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                          HealthCheck.function_scoped_fixture])
LONG = settings(DEFAULT, max_examples=int(os.environ.get("CHATQA_FUZZ_EXAMPLES", "1000")))
VENDORS = registry.names()
JSON_SAMPLES = [p.name for p in SAMPLE_FILES if not p.name.endswith(".csv")]
CSV_SAMPLES = [p.name for p in SAMPLE_FILES if p.name.endswith(".csv")]


def _vendor(name: str, data: st.DataObject) -> str:
    """auto-detection, the sample's own parser, or any other parser (wrong-format input)."""
    return data.draw(st.sampled_from(["auto", SAMPLE_VENDOR[name], SAMPLE_VENDOR[name], *VENDORS]), label="vendor")


def _run(tmp: Path, name: str, content: bytes, vendor: str) -> None:
    path = tmp / f"fuzz-{name}"
    path.write_bytes(content)
    with time_limit(20):
        items = parse_strictly(path, vendor)
        check_items(items, path)
        # the same file read element by element (the path big arrays and API responses take)
        with streaming():
            check_items(parse_strictly(path, vendor), path)
        # the loader accounts for every record of the same file
        loader = Loader(path, vendor=vendor, errors="collect")
        got = list(loader)
    assert loader.records_in == len(got) + len(loader.failures) + loader.duplicates
    # what the parser read is all there: kept, or counted once (a copy: a duplicate; other content
    # under the same id: a failure)
    read = sum(1 for i in items if not isinstance(i, Failure))
    parser_failures = sum(1 for i in items if isinstance(i, Failure))
    assert len(got) + loader.duplicates + len(loader.failures) - parser_failures == read


def _byte_property(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(SAMPLE_BYTES)), label="sample")
    content = byte_damage(SAMPLE_BYTES[name], data)
    _run(tmp_path_factory.mktemp("b"), name, content, _vendor(name, data))


def _structure_property(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(JSON_SAMPLES), label="sample")
    content = structural(name, data)
    if data.draw(st.booleans(), label="also bytes"):
        content = byte_damage(content, data)
    _run(tmp_path_factory.mktemp("s"), name, content, _vendor(name, data))


def _csv_property(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(CSV_SAMPLES), label="sample")
    _run(tmp_path_factory.mktemp("c"), name, csv_cells(name, data), _vendor(name, data))


def _damaged_sample(vendor: str, data) -> tuple[str, bytes]:
    """A sample of `vendor`'s format with its records damaged."""
    names = [n for n, v in SAMPLE_VENDOR.items() if v == vendor]
    name = data.draw(st.sampled_from(names), label="sample")
    return name, structural(name, data) if not name.endswith(".csv") else csv_cells(name, data)


@pytest.mark.parametrize("vendor", VENDORS)
@DEFAULT
@given(data=st.data())
def test_structural_mutations_per_parser(tmp_path_factory, vendor, data):
    """Every registered parser on damaged records of its own sample format."""
    name, content = _damaged_sample(vendor, data)
    _run(tmp_path_factory.mktemp("p"), name, content, data.draw(st.sampled_from([vendor, "auto"])))


@DEFAULT
@given(data=st.data())
def test_byte_mutations(tmp_path_factory, data):
    _byte_property(tmp_path_factory, data)


@DEFAULT
@given(data=st.data())
def test_structural_mutations(tmp_path_factory, data):
    _structure_property(tmp_path_factory, data)


@DEFAULT
@given(data=st.data())
def test_csv_mutations(tmp_path_factory, data):
    _csv_property(tmp_path_factory, data)


@DEFAULT
@given(content=st.binary(max_size=512), vendor=st.sampled_from(["auto", *VENDORS]))
def test_random_bytes(tmp_path_factory, content, vendor):
    _run(tmp_path_factory.mktemp("r"), "random.bin", content, vendor)


# ------------------------------------------------------------------------------- long run

@pytest.mark.fuzz_long
@pytest.mark.parametrize("vendor", VENDORS)
@LONG
@given(data=st.data())
def test_long_structural_mutations_per_parser(tmp_path_factory, vendor, data):
    name, content = _damaged_sample(vendor, data)
    if data.draw(st.booleans(), label="also bytes"):
        content = byte_damage(content, data)
    _run(tmp_path_factory.mktemp("p"), name, content, data.draw(st.sampled_from([vendor, "auto"])))


@pytest.mark.fuzz_long
@LONG
@given(data=st.data())
def test_long_byte_mutations(tmp_path_factory, data):
    _byte_property(tmp_path_factory, data)


@pytest.mark.fuzz_long
@settings(LONG, max_examples=LONG.max_examples * 3)
@given(content=st.binary(max_size=2048), vendor=st.sampled_from(["auto", *VENDORS]))
def test_long_random_bytes(tmp_path_factory, content, vendor):
    _run(tmp_path_factory.mktemp("r"), "random.bin", content, vendor)
