"""The README's library examples run as printed (in a folder whose exports/ holds the samples)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

from conftest import ROOT, SAMPLES


def _library_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("\n## Library\n"):text.index("\n### On Dask")]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_readme_library_examples_run_as_printed(tmp_path):
    blocks = _library_blocks()
    assert len(blocks) >= 2
    shutil.copytree(SAMPLES, tmp_path / "exports")
    # what the prose says comes next: a reviewer fills in the queue, agreement reads it
    after = '''
import csv
rows = list(csv.DictReader(open("queue.csv", encoding="utf-8")))
found = dict(zip(report_all.conversations["id"], report_all.conversations["codes"]))
for row in rows:
    row["CQ201"] = "1" if "CQ201" in found[row["conversation_id"]] else "0"
with open("queue.csv", "w", encoding="utf-8", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
stats = chatqa.agreement(report_all, "queue.csv")["rules"]["CQ201"]
assert stats["n"] == 20 and stats["fp"] == stats["fn"] == 0, stats
print("agreement ok")
'''
    script = blocks[0] + "\nreport_all = report\n" + "\n".join(blocks[1:]) + after
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "agreement ok" in result.stdout
    assert (tmp_path / "report.html").is_file() and (tmp_path / "queue.csv").is_file()


def test_the_readme_configuration_example_is_a_valid_config(tmp_path):
    """The `[tool.chatqa]` example under Configuration loads and builds the engine as printed."""
    from chatqa.config import load_config
    from chatqa.engine import Engine

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("\n### Configuration\n"):text.index("\n### Writing rules")]
    (example,) = re.findall(r"```toml\n(\[tool\.chatqa\]\n.*?)```", section, flags=re.S)
    (tmp_path / "pyproject.toml").write_text(example, encoding="utf-8")
    (tmp_path / "macros.txt").write_text("Thanks for contacting Acme support!\n", encoding="utf-8")
    (tmp_path / "house-rules").mkdir()
    engine = Engine(load_config(tmp_path / "pyproject.toml"))
    rule = next(r for r in engine.catalogue if r.name == "slow-first-reply")
    assert engine.config.fail_under == 60 and engine.config.timezone == "Europe/Berlin"
    assert rule.model_dump()["error_above"]["chat"] == 180
