"""chatqa.dask: the run as a map-reduce on a real multi-process cluster equals the local run."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import chatqa  # noqa: E402
import chatqa.dask as cqd  # noqa: E402

MACROS = ["Thank you for contacting Acme support!", "I understand how frustrating this must be.",
          "Is there anything else I can help you with today?"]


def conversation(i: int, rng: random.Random) -> dict:
    agent = rng.choice(["ann@acme.example", "bob@acme.example", "cy@acme.example"])
    t = 1_773_000_000 + rng.randint(0, 3 * 3600)
    messages = []
    for k in range(rng.randint(4, 10)):
        t += rng.randint(10, 300)
        if k % 2 == 0:
            messages.append({"role": "customer", "author": "Kim", "time": t,
                             "text": rng.choice(["my order is late", "thanks", "I'm in a hurry!", "hello?"])})
        else:
            canned = i % 3 == 0  # a third of the chats are all macros: CQ301 across files
            text = rng.choice(MACROS) if canned else f"Order {rng.randint(1000, 9999)} left {rng.choice('XYZ')}."
            messages.append({"role": "agent", "author": "Agent", "author_id": agent, "time": t, "text": text})
    return {"id": f"c{i}", "messages": messages}


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("exports")
    rng = random.Random(11)
    for f in range(4):  # agents' chats overlap across files: CQ501 needs all of them
        lines = [json.dumps(conversation(f * 60 + i, rng)) for i in range(60)]
        if f == 2:
            lines[7] = '{"id": "bad", "messages": [{"role": "wizard"}]}'
        (folder / f"part{f}.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def test_cluster_run_equals_the_local_run(exports):
    import pandas as pd

    local = chatqa.analyze(exports)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        run = cqd.run(exports, partitions=4)
        got = client.compute(run.conversations, sync=True)
        failures = client.compute(run.failures, sync=True)
    expected = local.conversations
    assert {"CQ301", "CQ501"} <= {c for codes in expected["codes"] for c in codes}
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))
    assert failures == [f.model_dump() for f in local.summary.failures]
    assert len(got) + len(failures) == 240


def test_bag_of_records(exports):
    import dask.bag as db
    import pandas as pd

    lines = [line for path in sorted(exports.glob("*.jsonl")) for line in path.read_text().splitlines()]
    bag = db.from_sequence(lines, npartitions=5)
    run = cqd.run(bag)
    got = run.conversations.compute(scheduler="sync")
    failures = run.failures.compute(scheduler="sync")
    local = chatqa.analyze(exports).conversations
    assert len(got) == len(local) and len(failures) == 1
    line = 2 * 60 + 7  # the bad line, partition 2 of 48-line partitions
    assert (failures[0]["source"], failures[0]["locator"]) == ("dask-bag-partition-2", f"[{line - 96}].messages[0].role")
    # sources name the bag partition instead of the file; everything else is the same
    columns = [c for c in local.columns if c != "source"]
    pd.testing.assert_frame_equal(got[columns].reset_index(drop=True), local[columns].reset_index(drop=True))
