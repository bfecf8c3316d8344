"""The HTML report: self-contained, escaped, and inert in a real browser (headless Chromium)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from chatqa.cli import main

HOSTILE = [
    "<script>document.title='PWNED';document.body.setAttribute('data-pwned','script')</script>",
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">",
    "\"><svg onload=\"document.body.setAttribute('data-pwned','svg')\">",
    "<style>body{display:none}</style><iframe src=\"https://evil.example/\"></iframe>",
]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


@pytest.fixture(scope="module")
def report_html(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    convs = []
    for i, payload in enumerate(HOSTILE):
        convs.append({"id": f"x{i}<b>", "messages": [
            {"role": "customer", "author": f"<i>Eve{i}</i>", "time": "2026-03-01T10:00:00Z",
             "text": f"{payload} my card is 4111 1111 1111 1111, mail eve@example.com"},
            {"role": "agent", "author": "Sam<script>x</script>", "time": "2026-03-01T10:03:00Z",
             "text": f"Please hold {payload} while I check"},
        ]})
    (folder / "hostile.jsonl").write_text("\n".join(json.dumps(c) for c in convs) + "\n")
    out = folder / "report.html"
    result = CliRunner().invoke(main, ["check", str(folder), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_report_is_self_contained_and_escaped(report_html):
    html = report_html.read_text()
    assert not re.search(r"<script", html, re.I) and "onerror=" not in html.replace("onerror=&#34;", "")
    assert "<iframe" not in html and "<img" not in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "&lt;script&gt;document.title=" in html
    assert not re.search(r"""(src|href)=["']?https?:""", html)  # nothing fetched from the network
    assert "4111 1111 1111 1111" not in html and "**** **** **** 1111" in html
    assert "eve@example.com" not in html
    for section in ('id="summary"', 'id="histogram"', 'id="rules"', 'id="agents"', 'class="conv"', "<svg"):
        assert section in html
    assert '<mark class="warning">Please hold</mark>' in html


def chromium(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={cwd / 'profile'}", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_hostile_transcripts_change_nothing_in_a_browser(report_html, tmp_path):
    dom = chromium("--dump-dom", report_html.as_uri(), cwd=tmp_path).stdout
    assert "<title>chatqa report</title>" in dom
    assert "data-pwned" not in dom.split("<main>")[0]  # the body attribute the payloads try to set
    assert "PWNED" not in dom.split("</head>")[0]
    assert not re.search(r"<(script|iframe|img)\b", dom, re.I)
    assert dom.count('class="conv"') == 4 and "&lt;script&gt;document.title=" in dom
    shot = tmp_path / "report.png"
    chromium(f"--screenshot={shot}", "--window-size=1280,2200", report_html.as_uri(), cwd=tmp_path)
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1280, 2200)
        colors = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
        assert len(colors) > 50  # a rendered page, not a blank one
