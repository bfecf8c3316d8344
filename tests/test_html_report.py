"""The HTML report as the manager it is forwarded to reads it (SPEC 7.3): findings counted by
their own level, counts on bars and whole-number axes, rare and critical findings visible, the
score panel, one explanation per rule, agents by name, the worst agents, vendor/channel and
weekly breakdowns, the worst conversations highlighted, a layout that reflows, bounded size,
and every field escaped and masked (SPEC 8). Written from the user's side: `chatqa check`."""

from __future__ import annotations

import html as markup
import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from statistics import median

import pytest
from click.testing import CliRunner
from selectolax.lexbor import LexborHTMLParser

from chatqa.cli import main

CARD = "4539 1488 0343 6467"
CARD_DIGITS = CARD.replace(" ", "")
EVIL = "<script>document.title='PWNED'</script>"


def at(day: int, seconds: int) -> str:
    return f"2026-03-{day:02d}T{10 + seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}Z"


def chat(cid: str, day: int, agent_id: str | None, agent_name: str | None, reply_after: int = 20, intro: bool = True,
         extra: str = "", **fields: object) -> dict[str, object]:
    """A short chat: the customer asks, the agent answers `reply_after` seconds later (introducing
    themselves or not) and checks the problem is solved, the customer thanks them."""
    hello = f"Hi, I'm {agent_name or 'Sam'}. Let me look at your order." if intro else "Hello, let me look at your order."
    agent = {"role": "agent", **({"author": agent_name} if agent_name else {}),
             **({"author_id": agent_id} if agent_id else {})}
    return {"id": cid, **fields, "messages": [
        {"role": "customer", "author": "Ann", "time": at(day, 0), "text": "Hi, my parcel has not arrived"},
        {**agent, "time": at(day, reply_after), "text": hello},
        {**agent, "time": at(day, reply_after + 30), "text": extra or "It is on its way. Anything else I can help with?"},
        {"role": "customer", "author": "Ann", "time": at(day, reply_after + 60), "text": "that's all, thanks"},
    ]}


def corpus() -> list[dict[str, object]]:
    convs = []
    for i in range(6):  # a good agent known by an email id and a display name
        convs.append(chat(f"good-{i}", 2 + i % 3, "sam.ortiz@example.com", "Sam Ortiz"))
    for i in range(4):  # slow first replies: warnings (90 s) and errors (300 s) of the same rule
        convs.append(chat(f"slow-{i}", 9 + i, "rita-7", f"Rita {EVIL}", reply_after=90 if i < 2 else 300,
                          tags=[f"tag {EVIL}"]))
    for i in range(3):  # an agent whose id and name hold a card number
        convs.append(chat(f"card-agent-{i}", 16 + i, f"agent-{CARD_DIGITS}", f"Card {CARD}", intro=False))
    for i in range(24):  # many suggestion findings (no introduction) on another vendor and channel
        convs.append(chat(f"quiet-{i}", 2 + i % 17, "dana-1", "Dana", intro=False, vendor=f"vendor {EVIL}",
                          channel="email"))
    convs.append(chat("long-" + "y" * 120, 3, "sam.ortiz@example.com", "Sam Ortiz",  # unbreakable tokens
                      extra="See https://help.example.com/" + "x" * 200 + " and tell me. Anything else?"))
    convs.append(chat("critical-1", 18, "rita-7", f"Rita {EVIL}",
                      extra="Please type your full card number and the CVV here so I can fix it."))
    return convs


def write(folder: Path, convs: list[dict[str, object]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "chats.jsonl").write_text("".join(json.dumps(c) + "\n" for c in convs))
    return folder


def run(*args: object) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def report(folder: Path, *flags: str) -> tuple[str, LexborHTMLParser]:
    out = folder.parent / f"{folder.name}-report.html"
    run("check", folder, "-o", out, *flags)
    html = out.read_text(encoding="utf-8")
    return html, LexborHTMLParser(html)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = write(tmp_path_factory.mktemp("run") / "in", corpus())
    html, tree = report(folder)
    rows = [json.loads(line) for line in run("check", folder, "--format", "jsonl").splitlines()]
    return html, tree, rows


def texts(node) -> list[str]:
    return [t.text(strip=True) for t in node.css("text")]


def digits_of(text: str) -> str:
    return re.sub(r"\D", "", text)


def test_findings_are_counted_by_their_own_level(built):
    html, tree, rows = built
    by_level = Counter(f["level"] for r in rows for f in r["findings"])
    by_rule_level = Counter((f["code"], f["level"]) for r in rows for f in r["findings"])
    assert by_rule_level["CQ101", "warning"] == 2 and by_rule_level["CQ101", "error"] == 2
    for level in ("error", "warning", "suggestion"):
        card = tree.css_first(f"#level-{level} .n")
        assert card.text(strip=True) == f"{by_level[level]:,}"
    badges = [b.text(strip=True) for b in tree.css_first("#rule-CQ101").css(".lvl")]
    assert badges == ["error 2", "warning 2"]  # one rule, two levels, each counted


def test_counts_are_on_the_bars_and_axes_are_whole_numbers(built):
    html, tree, rows = built
    chart = tree.css_first("#rules svg")
    labels = texts(chart)
    counts = Counter((f["code"], f["level"]) for r in rows for f in r["findings"])
    for (code, _), n in counts.items():
        assert any(t.startswith(code) for t in labels) and str(n) in labels
    hist = tree.css_first("#histogram svg")
    bands = [t for t in texts(hist) if re.fullmatch(r"\d+–\d+|100", t)]
    assert len(bands) == 11
    for svg in (chart, hist):
        ticks = [g.text(strip=True) for g in svg.css("g") if re.match(r"\w+-[xy]tick_\d+$", g.attributes.get("id", ""))]
        assert ticks and not [t for t in ticks if re.fullmatch(r"[\d,]*\.\d+", t)], ticks  # no "2.5 conversations"
    ticks = Counter(t.text(strip=True) for g in hist.css("g") if re.match(r"histogram-[xy]tick_\d+$", g.attributes.get("id", ""))
                    for t in g.css("text"))
    on_bars = Counter(t for t in texts(hist) if re.fullmatch(r"[\d,]+", t)) - ticks
    assert sum(int(t.replace(",", "")) * n for t, n in on_bars.items()) == len(rows)  # every conversation counted


def bar_widths(svg) -> list[float]:
    """Widths of the chart's bars: rectangles filled in a level's colour (legend keys, also
    stroked in it, aside)."""
    widths = []
    for g in svg.css("g"):
        path = g.css_first("path")
        if not re.match(r"findings-patch_\d+$", g.attributes.get("id", "")) or path is None:
            continue
        style = path.attributes.get("style") or ""
        fill = re.search(r"fill: (#b91c1c|#c2410c|#1d4ed8)", style)
        if fill and f"stroke: {fill.group(1)}" not in style:
            xs = [float(x) for x in re.findall(r"(-?[\d.]+) -?[\d.]+", path.attributes["d"])]
            widths.append(max(xs) - min(xs))
    return widths


def test_rare_and_critical_findings_stay_visible_beside_frequent_ones(tmp_path):
    convs = [chat(f"q{i}", 2 + i % 20, "dana-1", "Dana", intro=False) for i in range(120)]
    convs.append(chat("crit", 5, "rita-7", "Rita", extra="Please type your full card number and the CVV here."))
    html, tree = report(write(tmp_path / "in", convs))
    chart = tree.css_first("#rules svg")
    assert "findings (log scale)" in texts(chart)  # 120 beside 1: a linear scale would hide the 1
    widths = bar_widths(chart)
    assert len(widths) >= 2 and min(widths) >= 0.02 * max(widths), widths
    assert "CQ402 sensitive-data-request" in texts(chart)
    assert tree.css_first("#rule-CQ402 .lvl.critical") is not None
    assert tree.css_first("#critical-card .n").text(strip=True) == "1" and "alarm" in tree.css_first(
        "#critical-card").attributes["class"]


def test_the_score_panel_holds_the_distribution_and_key_figures(built):
    html, tree, rows = built
    scores = [r["score"] for r in rows]
    figures = {d.css_first("dt").text(strip=True): d.css_first("dd").text(strip=True)
               for d in tree.css("#score-figures > div")}
    assert figures["scored"] == str(len(rows))
    assert figures["median"] == f"{median(round(s) for s in scores):g}"
    assert figures["mean"] == f"{sum(scores) / len(scores):.1f}"
    assert figures["zero"].startswith(str(sum(1 for s in scores if s == 0)))
    assert figures["perfect (100)"].startswith(str(sum(1 for s in scores if s == 100)))


def test_each_rule_is_explained_once_and_findings_link_to_it(built):
    html, tree, rows = built
    codes = {f["code"] for r in rows for f in r["findings"]}
    explained = [tr.attributes["id"] for tr in tree.css("#rule-table tr[id]")]
    assert sorted(explained) == sorted(f"rule-{c}" for c in codes)
    first = tree.css_first("#rule-CQ302 td.wide").text(strip=True).split(".")[0]
    assert tree.body.text().count(first) == 1  # not repeated beside each of the 27 findings
    links = {a.attributes["href"] for a in tree.css(".conv a.lvl")}
    assert links and links <= {f"#rule-{c}" for c in codes}


def agent_rows(tree, table: str) -> list[tuple[str, str]]:
    out = []
    for tr in tree.css(f"#{table} tbody tr"):
        lead = tr.css_first("td.lead")
        ident = lead.css_first(".id")
        out.append((lead.css_first("span").text(strip=True), ident.text(strip=True) if ident else ""))
    return out


def test_agents_are_shown_by_name_with_their_masked_id(built):
    html, tree, _ = built
    agents = dict(agent_rows(tree, "agents-table"))
    assert agents["Sam Ortiz"] == "[email]" and agents["Dana"] == "dana-1"
    assert f"Rita {EVIL}" in agents and agents[f"Rita {EVIL}"] == "rita-7"  # escaped, shown as text
    assert "sam.ortiz@example.com" not in html
    assert CARD_DIGITS not in digits_of(html) and "Card **** **** **** 6467" in agents


def test_the_worst_agents_come_first(built):
    html, tree, rows = built
    worst = agent_rows(tree, "worst-agents-table")
    assert worst[0][0] == f"Rita {EVIL}"  # a critical finding (score 0) and slow replies
    assert worst[-1][0] == "Sam Ortiz"
    assert "at least 3 conversations" in tree.css_first("#worst-agents").text()


def test_an_agent_with_too_few_conversations_is_not_ranked_among_the_worst(tmp_path):
    convs = [chat(f"a{i}", 2, "ann-1", "Ann B") for i in range(3)]
    convs.append(chat("b0", 2, "bob-1", "Bob", reply_after=400, intro=False))
    html, tree = report(write(tmp_path / "in", convs))
    assert [n for n, _ in agent_rows(tree, "worst-agents-table")] == ["Ann B"]
    assert {n for n, _ in agent_rows(tree, "agents-table")} == {"Ann B", "Bob"}


def test_breakdown_by_vendor_and_channel(built):
    html, tree, rows = built
    seen = {}
    for tr in tree.css("#segments tbody tr"):
        vendor = tr.css_first("td.lead").text(deep=False, strip=True)
        channel = tr.css_first("td[data-label=channel]").text(strip=True)
        seen[vendor, channel] = int(tr.css_first("td[data-label=conversations]").text(strip=True))
    assert seen == {(f"vendor {EVIL}", "email"): 24, ("chatqa", "chat"): len(rows) - 24}


def test_trend_per_week(built):
    html, tree, rows = built
    assert tree.css_first("#trend svg") is not None
    weeks = {tr.css_first("td").text(strip=True): int(tr.css("td")[1].text(strip=True))
             for tr in tree.css("#trend-table tbody tr")}
    assert list(weeks) == ["02 Mar 2026", "09 Mar 2026", "16 Mar 2026"] and sum(weeks.values()) == len(rows)


def test_no_trend_without_times_or_within_one_week(tmp_path):
    untimed = chat("u1", 2, "sam-1", "Sam")
    for m in untimed["messages"]:
        del m["time"]
    html, tree = report(write(tmp_path / "a", [untimed]))
    assert tree.css_first("#trend svg") is None and "carry no times" in tree.css_first("#trend").text()
    html, tree = report(write(tmp_path / "b", [chat("w1", 2, "sam-1", "Sam"), chat("w2", 4, "sam-1", "Sam")]))
    assert tree.css_first("#trend svg") is None and "week of 02 Mar 2026" in tree.css_first("#trend").text()


def test_worst_conversations_highlight_the_offending_words(built):
    html, tree, rows = built
    first = tree.css_first("#conv-1")
    assert first.css_first(".score").text(strip=True) == "0" and "critical-1" in first.text()
    marked = [m.text() for m in first.css("mark.error")]
    assert any("full card number" in m for m in marked)
    assert first.css_first(".msg.flagged") is not None


def test_long_conversations_are_shortened_around_their_findings(tmp_path):
    conv = chat("long", 2, "sam-1", "Sam")
    filler = [{"role": "customer" if i % 2 else "agent", "author": "Ann" if i % 2 else "Sam",
               "time": at(2, 200 + i * 10), "text": f"line {i}"} for i in range(60)]
    conv["messages"] = conv["messages"][:2] + filler + [
        {"role": "agent", "author": "Sam", "time": at(2, 900), "text": "Please hold on a moment"}]
    html, tree = report(write(tmp_path / "in", [conv]))
    shown = tree.css("#conv-1 .msg")
    assert len(shown) < 15 and "Please hold" in tree.css_first("#conv-1 mark").text()
    assert "messages without findings not shown" in tree.css_first("#conv-1 .gap").text()


def test_layout_reflows_on_a_phone(built):
    html, tree, _ = built
    assert 'name="viewport" content="width=device-width' in html and "@media (max-width: 600px)" in html
    for table in tree.css("table"):
        assert table.parent.attributes.get("class") == "scroll"  # wide tables scroll inside their panel
        assert "reflow" in (table.attributes.get("class") or "")
        for tr in table.css("tbody tr"):
            for td in tr.css("td")[1:]:
                assert td.attributes.get("data-label") is not None or "wide" in td.attributes.get("class", "")
    for svg in tree.css("svg"):
        assert svg.attributes.get("viewBox")  # scales to its panel


def test_big_runs_are_summarised_not_embedded(tmp_path):
    convs = [chat(f"c{i}", 2 + i % 20, f"agent-{i % 70}", f"Agent {i % 70}", reply_after=30 + i % 200, intro=i % 3 > 0)
             for i in range(400)]
    html, tree = report(write(tmp_path / "in", convs))
    assert len(tree.css("article.conv")) <= 15
    assert len(tree.css("#agents-table tbody tr")) == 50 and "and 20 more agents" in tree.css_first("#agents").text()
    assert len(html) < 600_000


def test_every_field_is_escaped(built):
    html, tree, _ = built
    assert tree.css("script") == []
    assert html.count("&lt;script&gt;document.title=") >= 3  # agent name, tag and vendor, shown as text
    assert f"#tag {EVIL}" in [t.text() for t in tree.css(".tag")]


def test_card_numbers_never_and_emails_only_with_no_redact(built, tmp_path):
    html, _, _ = built
    assert CARD_DIGITS not in digits_of(html) and "sam.ortiz@example.com" not in html
    folder = write(tmp_path / "in", corpus())
    kept, tree = report(folder, "--no-redact")
    assert "sam.ortiz@example.com" in kept and CARD_DIGITS not in digits_of(kept)
    assert dict(agent_rows(tree, "agents-table"))["Sam Ortiz"] == "sam.ortiz@example.com"


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--hide-scrollbars",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--window-size=1400,1000"]
# The report, unchanged, in a frame `width` pixels wide (a headless window is never narrower than
# 500): once it has loaded, the page writes what it measured into its own DOM for --dump-dom.
PROBE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe id="f" style="border:0;width:%dpx;height:1000px"></iframe><script>
const f = document.getElementById("f");
f.addEventListener("load", () => {
  const d = f.contentDocument, w = d.documentElement.clientWidth, wide = [];
  for (const el of d.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.width && (r.right > w + 1 || r.left < -1)) wide.push(el.tagName + " " + (el.id || "") + " in " + ((el.closest("svg") || el.parentElement).getAttribute("aria-label") || el.parentElement.className) + " " + Math.round(r.right));
  }
  const out = {scrollWidth: d.documentElement.scrollWidth, clientWidth: w, wide: wide.slice(0, 20),
               resources: f.contentWindow.performance.getEntriesByType("resource").map(e => e.name),
               conversations: d.querySelectorAll("article.conv").length};
  const pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
f.srcdoc = %s;
</script></body></html>"""


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (the CI image installs it)")
@pytest.mark.parametrize("width", [1280, 390])
def test_nothing_overflows_loads_or_logs_in_a_browser(built, tmp_path, width):
    html, tree, _ = built
    page = tmp_path / "probe.html"
    page.write_text(PROBE % (width, json.dumps(html).replace("</", "<\\/")), encoding="utf-8")
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout)
    assert found, done.stderr[-2000:]
    probe = json.loads(markup.unescape(found.group(1)))
    assert probe["clientWidth"] == width and probe["scrollWidth"] <= width, probe
    assert probe["wide"] == [], probe["wide"]  # nothing sticks out of the page (tables reflow or scroll)
    assert probe["resources"] == []  # nothing fetched
    assert probe["conversations"] == len(tree.css("article.conv")) > 0
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line]
    assert console == []  # no error, no blocked script or style


def test_agents_shown_alike_are_told_apart_the_same_way_everywhere(tmp_path):
    convs = [chat(f"j{i}", 2, f"jamal{i % 2}@example.com", "Jamal", reply_after=20 + 200 * (i % 2)) for i in range(6)]
    html, tree = report(write(tmp_path / "in", convs))
    worst, busiest = agent_rows(tree, "worst-agents-table"), agent_rows(tree, "agents-table")
    assert sorted(worst) == sorted(busiest) == [("Jamal (1)", "[email]"), ("Jamal (2)", "[email]")]
    slow = worst[0][0]  # the slower Jamal ranks first, under the same label in both tables
    rows = {tr.css_first("td.lead span").text(strip=True): tr.css_first("td[data-label='median score']").text()
            for tr in tree.css("#agents-table tbody tr")}
    assert float(rows[slow]) < float(rows[next(n for n, _ in worst if n != slow)])
    assert "jamal0@example.com" not in html and "jamal1@example.com" not in html
