"""The HTML of replay reports, built from their JSON objects (see ``report_html``).

Plain HTML with no script and no external resource, so it opens offline from a folder. The result
is always a word ("PASS" / "FAIL"); colour and a border only repeat it. Colours keep a contrast
ratio of at least 7:1 against their background (WCAG AAA for normal text).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from html import escape
from typing import Any, Final

from .charts import bar_chart, grid_chart
from .metrics import token_wer, turn_tokens, variant_of

_LANG: Final = {"uk": "en-GB", "us": "en-US"}
_STYLE: Final = """
body { font-family: system-ui, sans-serif; font-size: 1.05rem; line-height: 1.5; color: #111;
       background: #fff; max-width: 70rem; margin: 0 auto; padding: 1rem; }
a { color: #0b4f9c; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
caption { text-align: left; font-weight: bold; padding: 0.25rem 0; }
th, td { border: 1px solid #555; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
thead th { background: #e8e8e8; }
.pass { color: #0a4d14; border: 2px solid #0a4d14; padding: 0 0.3rem; font-weight: bold; }
.fail { color: #8a0000; border: 2px dashed #8a0000; padding: 0 0.3rem; font-weight: bold; }
figure { margin: 0.5rem 0; }
audio { display: block; margin: 0.25rem 0; }
:focus { outline: 3px solid #0b4f9c; outline-offset: 2px; }
.mismatch { border-left: 6px solid #8a0000; padding-left: 0.75rem; }
.flag { color: #8a0000; font-weight: bold; }
fieldset { border: 1px solid #555; margin: 0.5rem 0; }
fieldset label { margin-right: 1.5rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
                   white-space: nowrap; }
.detail { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.25rem 0; }
figure.chart svg { display: block; height: auto; }
body:has(#show-notpassed:checked) tr.result-pass { display: none; }
body:has(#show-passed:checked) tr.result-notpass { display: none; }
"""


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _result(word: str) -> str:
    return f'<span class="{"pass" if word == "PASS" else "fail"}">{_e(word)}</span>'


def _ids(ids: Sequence[str]) -> str:
    return _e(", ".join(ids)) if ids else "none"


def _num(value: Any, fmt: str = "{:.3f}") -> str:
    return "not measured" if value is None else _e(fmt.format(value))


def _pct(value: Any) -> str:
    return "no reference text" if value is None else _e(f"{value:.1%}")


def _page(title: str, lang: str, body: list[str]) -> str:
    return "\n".join([
        "<!DOCTYPE html>", f'<html lang="{lang}">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>", "<main>",
        *body, "</main>", "</body>", "</html>", "",
    ])


def _table(caption: str, head: Sequence[str], rows: Sequence[Sequence[str]], row_headers: bool = True) -> str:
    """A table with a caption and scoped headers; cells are already-escaped HTML."""
    out = ["<table>", f"<caption>{_e(caption)}</caption>", "<thead><tr>"]
    out += [f'<th scope="col">{_e(cell)}</th>' for cell in head]
    out.append("</tr></thead><tbody>")
    for row in rows:
        first = f'<th scope="row">{row[0]}</th>' if row_headers else f"<td>{row[0]}</td>"
        out.append("<tr>" + first + "".join(f"<td>{cell}</td>" for cell in row[1:]) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _audio(href: str | None, label: str, text: str = "") -> str:
    """A labelled player with its words beside it (the text alternative) and a download link."""
    said = f": “{_e(text)}”" if text else ""
    if not href:
        return f"<p>{_e(label)}{said} (audio not kept)</p>"
    src = _e(href)
    return (f"<figure><figcaption>{_e(label)}{said}</figcaption>"
            f'<audio controls preload="none" src="{src}" aria-label="{_e(label)}"></audio>'
            f'<a href="{src}">Download: {_e(label)} (WAV)</a></figure>')


def _interpretation(interp: dict[str, Any]) -> str:
    if not interp:
        return "nothing understood"
    parts = []
    if interp.get("answer"):
        parts.append(f"answer: {interp['answer']}")
    for match in interp.get("findings", []):
        polarity = "present" if match["present"] else "absent"
        parts.append(f"{match['id']} {polarity} (score {match['score']}, from “{match['span']}”)")
    if interp.get("rate"):
        parts.append(f"speech rate: {interp['rate']}")
    return _e("; ".join(parts) or "nothing understood")


def _toc(entries: Sequence[tuple[str, str]]) -> str:
    items = "".join(f'<li><a href="#{anchor}">{_e(label)}</a></li>' for anchor, label in entries)
    return f'<nav aria-label="Contents"><h2 id="contents">Contents</h2><ul>{items}</ul></nav>'


def _understood(turn: dict[str, Any]) -> str:
    """What the turn was understood as, in a few words (the answer, else the status)."""
    answer = (turn.get("interpretation") or {}).get("answer")
    if answer:
        return str(answer)
    if turn["status"] != "ok":
        return {"no_input": "no answer heard", "no_match": "no phrase matched"}.get(turn["status"], str(turn["status"]))
    findings = (turn.get("interpretation") or {}).get("findings") or []
    return ", ".join(f"{m['id']} {'present' if m['present'] else 'absent'}" for m in findings) or "nothing understood"


def _turn_section(turn: dict[str, Any], confidence_known: bool) -> list[str]:
    n, timings = turn["index"], turn["timings"]
    mismatch = turn["correct"] is False
    heading = f"Turn {n}: question {turn['question']} ({turn['kind']})"
    status = f"status {_e(turn['status'])}"
    if confidence_known:
        status += f", confidence {_num(turn['confidence'], '{:.2f}')}"
    rows = [
        ["Prompt", _e(turn["prompt"]["text"])],
        ["Transcript", _e(turn["transcript"] or "(empty)") + f" ({status}, recognizer {_e(turn['recognizer'])})"],
        ["Reference text", _e(turn["reference"]) if turn["reference"] else "not given"],
        ["Interpretation", _interpretation(turn["interpretation"])],
        ["Understood as the reference would be",
         "not judged" if turn["correct"] is None else ("yes" if turn["correct"] else '<span class="flag">no</span>')],
        ["Word error rate after normalising", _pct(turn.get("wer_normalised"))],
        ["Word error rate (words as written)", _pct(turn["wer"])],
        ["Timings", _e(f"answer {timings['answer_s']:.2f} s; prompt rendering {timings['render_s']:.3f} s; "
                       f"recognition {timings['decode_s']:.3f} s; dialogue {timings['dialogue_s']:.4f} s")],
    ]
    out = [f'<section aria-labelledby="turn-{n}"' + (' class="mismatch">' if mismatch else ">")]
    if mismatch:
        out.append(f'<h3 id="turn-{n}"><span class="flag">MISMATCH:</span> {_e(heading)}</h3>')
        out.append(f"<p>Said “{_e(turn['reference'])}”, understood as {_e(_understood(turn))}.</p>")
    else:
        out.append(f'<h3 id="turn-{n}">{_e(heading)}</h3>')
    return [
        *out,
        _audio(turn["prompt"]["audio"], f"Prompt audio, turn {n}"),
        _audio(turn["recording"], f"Recorded answer, turn {n}", turn["reference"] or ""),
        _table(f"Details of turn {n}", ["Item", "Value"], rows), "</section>",
    ]


def session_page(data: dict[str, Any], index_href: str | None = None) -> str:
    """The HTML page for one replayed session (``index_href``: the batch index it belongs to)."""
    expected, outcome, metrics = data["expected"], data["outcome"], data["metrics"]
    title = f"Replay report: {data['name']} ({data['result']})"
    bad_turns = [turn for turn in data["turns"] if turn["correct"] is False]
    body = [f"<h1>{_e(title)}</h1>"]
    if index_href:
        body.append(f'<p><a href="{_e(index_href)}">Back to the batch index</a></p>')
    body.append(f"<p>Result: {_result(data['result'])}. Level: expected {_e(expected['level'])}, reached "
                f"{_e(outcome['level'] or 'no decision')}. Answer accuracy: {_pct(metrics['answer_accuracy'])}. "
                f"Manifest: {_e(data['manifest'])}. Locale: {_e(data['locale'])}. "
                f"Recognizer: {_e(data['recognizer'])}.</p>")
    if data["description"]:
        body.append(f"<p>{_e(data['description'])}</p>")
    body.append(_toc([*([("misheard", f"Turns understood wrongly ({len(bad_turns)})")] if bad_turns else []),
                      ("outcome", "Outcome"), ("decision", "Decision"), ("metrics", "Measures"),
                      ("turns", f"Turns ({len(data['turns'])})")]))
    if bad_turns:
        body += ['<section aria-labelledby="misheard">',
                 f'<h2 id="misheard">Turns understood wrongly ({len(bad_turns)})</h2>', "<ul>"]
        body += [f'<li><a href="#turn-{t["index"]}">Turn {t["index"]}, question {_e(t["question"])}</a>: said '
                 f"“{_e(t['reference'])}”, heard “{_e(t['transcript'])}”, understood as {_e(_understood(t))}</li>"
                 for t in bad_turns]
        body += ["</ul>", "</section>"]
    body += ['<section aria-labelledby="outcome">', '<h2 id="outcome">Outcome</h2>']
    body.append(_table("Expected and actual outcome", ["Item", "Expected", "Actual"], [
        ["Level", _e(expected["level"]), _e(outcome["level"] or "no decision")],
        ["Findings present", _ids(expected["present"]), _ids(outcome["present"])],
        ["Findings absent", _ids(expected["absent"]), _ids(outcome["absent"])],
        ["Findings unsure", _ids(expected["unsure"]), _ids(outcome["unsure"])],
    ]))
    if data["mismatches"]:
        body += ["<p>Mismatches:</p>", "<ul>", *[f"<li>{_e(m)}</li>" for m in data["mismatches"]], "</ul>"]
    body.append("</section>")

    body += ['<section aria-labelledby="decision">', '<h2 id="decision">Decision</h2>']
    decision = data["decision"]
    if decision:
        body += [f"<p>Level: {_e(decision['level'])}.</p>", f"<p>Advice: {_e(decision['advice'])}</p>",
                 f"<p>Safety net: {_e(decision['safety_net'])}</p>"]
        body.append(_table("Reasons for the decision", ["Rule", "Level", "Findings", "Sources", "Summary"], [
            [_e(r["rule"]), _e(r.get("level")), _ids(r["findings"]), _ids(r["sources"]), _e(r.get("summary"))]
            for r in data["reasons"]
        ]))
    else:
        body.append("<p>No decision was reached.</p>")
    body.append("</section>")

    body += ['<section aria-labelledby="metrics">', '<h2 id="metrics">Measures</h2>']
    latency = metrics["latency_s"]
    meaning = data.get("confidence_means")
    level_ok = metrics.get("level_matched", outcome["level"] == expected["level"])
    body.append(_table("Session measures", ["Measure", "Value"], [
        ["Level as expected", "yes" if level_ok else '<span class="flag">no</span>'],
        ["Answer accuracy", _pct(metrics["answer_accuracy"])],
        ["Word error rate after normalising answer words", _pct(metrics.get("wer_normalised"))],
        ["Word error rate (words as written)", _pct(metrics["wer"])],
        ["Turns", _e(metrics["turns"])],
        ["Audio (prompts and answers)", _num(metrics["audio_s"], "{:.1f} s")],
        ["Replay time", _num(metrics["wall_s"], "{:.2f} s")],
        ["Faster than real time", _num(metrics["speedup"], "{:.1f} times")],
        ["Latency, median / 90th percentile", f"{_num(latency['p50'])} s / {_num(latency['p90'])} s"],
        ["What confidence means here", _e(meaning) if meaning else "not shown: unknown for this recognizer"],
    ]))
    body.append("</section>")

    body += ['<section aria-labelledby="turns">', '<h2 id="turns">Turns</h2>']
    for turn in data["turns"]:
        body += _turn_section(turn, meaning is not None)
    if data["closing"]:
        body += ['<section aria-labelledby="closing">', '<h3 id="closing">Closing words</h3>',
                 _audio(data["closing"]["audio"], "Closing words audio"), f"<p>{_e(data['closing']['text'])}</p>",
                 "</section>"]
    body.append("</section>")
    return _page(title, _LANG.get(data["locale"], "en"), body)


#: Order of results in the index: what needs a look first.
_RESULT_ORDER: Final = {"ERROR": 0, "FAIL": 1, "NOT RUN": 2, "PASS": 3}
#: The groups of a synthesized suite (``metrics.variant_of``), in the order they are shown.
GROUPS: Final = (("persona", "Persona"), ("voice", "Voice"), ("rate", "Rate"), ("noise", "Noise"),
                  ("wording", "Wording"))
#: The wording of a suite that is not factorial: rotated with the variant (or a hand-written manifest).
NOT_VARIED: Final = "tied to the variant"
LEVELS: Final = ("emergency", "urgent", "soon", "self_care")
#: Upper edges (seconds) of the turn-latency histogram's bins; the last bin is open.
LATENCY_BINS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
#: An error shown in the index is cut to this many characters; the rest is one click away.
ERROR_LINE: Final = 100


def sort_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failures first: ERROR, FAIL, NOT RUN, then PASS; by name within each."""
    return sorted(rows, key=lambda row: (_RESULT_ORDER.get(row["result"], 1), row["name"]))


def one_line(text: str) -> tuple[str, bool]:
    """The first line of ``text`` cut to ``ERROR_LINE`` characters, and whether anything was cut."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    cut = first if len(first) <= ERROR_LINE else first[:ERROR_LINE - 1].rstrip() + "…"
    return cut, cut != text.strip()


def _error_cell(text: str, name: str) -> str:
    line, cut = one_line(text)
    if not cut:
        return _e(line)
    return (f"{_e(line)}<details><summary>Full error <span class=\"visually-hidden\">of {_e(name)}</span></summary>"
            f'<p class="detail">{_e(text)}</p></details>')


def _groups(row: dict[str, Any], data: dict[str, Any] | None) -> dict[str, str]:
    found = (data or {}).get("variant") or variant_of(row.get("manifest"))
    if found:
        return {"wording": NOT_VARIED, **found}
    return {"persona": row["name"], "voice": "not given", "rate": "not given", "noise": "not given",
            "wording": NOT_VARIED}


def _accuracy(turns: Sequence[dict[str, Any]]) -> tuple[float | None, int]:
    judged = [turn["correct"] for turn in turns if turn.get("correct") is not None]
    return (sum(judged) / len(judged) if judged else None), len(judged)


def _said_understood(turn: dict[str, Any]) -> tuple[str, str] | None:
    said = turn.get("reference_answer")
    if said is None or turn["kind"] == "open":
        return None
    answer = (turn.get("interpretation") or {}).get("answer")
    if answer:
        return said, str(answer)
    return said, {"no_input": "no answer heard", "no_match": "no phrase matched"}.get(turn["status"], "nothing")


def _latency_label(low: float | None, high: float | None) -> str:
    def ms(value: float) -> str:
        return f"{value * 1000:g} ms"
    if low is None and high is not None:
        return f"under {ms(high)}"
    if high is None and low is not None:
        return f"{ms(low)} or more"
    return f"{ms(low or 0.0)} to {ms(high or 0.0)}"


def charts_section(rows: Sequence[dict[str, Any]], sessions: dict[str, dict[str, Any]]) -> list[str]:
    """The pictures of a batch, each followed by its table."""
    ran = [(row, sessions[row["name"]]) for row in rows if row["name"] in sessions]
    out = ['<section aria-labelledby="charts">', '<h2 id="charts">Pictures</h2>']
    if not ran:
        return [*out, "<p>No session ran, so there is nothing to draw.</p>", "</section>"]
    for key, label in GROUPS[1:]:
        by: dict[str, list[dict[str, Any]]] = {}
        for row, data in ran:
            by.setdefault(_groups(row, data)[key], []).extend(data["turns"])
        if key == "wording" and len(by) < 2:
            continue  # a suite whose wording is not a factor: no picture of one bar
        bars = []
        for value in sorted(by):
            accuracy, judged = _accuracy(by[value])
            text = "not judged" if accuracy is None else f"{accuracy:.0%} of {judged} turns"
            bars.append((value, accuracy, text))
        out += [f'<h3 id="chart-{key}-heading">Answer accuracy by {label.lower()}</h3>',
                bar_chart(f"chart-{key}", f"Answer accuracy by {label.lower()}", bars, 1.0,
                          [label, "Answer accuracy"])]
    confusion: dict[tuple[str, str], int] = {}
    for _, data in ran:
        for turn in data["turns"]:
            pair = _said_understood(turn)
            if pair is not None:
                confusion[pair] = confusion.get(pair, 0) + 1
    said = sorted({s for s, _ in confusion})
    understood = sorted({u for _, u in confusion} | set(said), key=lambda u: (u not in said, u))
    out.append('<h3 id="chart-confusion-heading">Answers said and understood</h3>')
    if confusion:
        out.append(grid_chart("chart-confusion", "Answers: said (rows) and understood (columns), in turns",
                              "Said", said, understood, confusion, {(s, s) for s in said}))
    else:
        out.append("<p>No answer turn had reference text.</p>")
    latencies = [turn["timings"]["latency_s"] for _, data in ran for turn in data["turns"]]
    edges: list[float | None] = [None, *LATENCY_BINS, None]
    bins = []
    for low, high in itertools.pairwise(edges):
        n = sum(1 for v in latencies if (low is None or v >= low) and (high is None or v < high))
        bins.append((_latency_label(low, high), float(n), f"{n} turns"))
    out += ['<h3 id="chart-latency-heading">Turn latency</h3>',
            bar_chart("chart-latency", "Turn latency (recognition and dialogue step): turns per band", bins,
                      float(max((b[1] for b in bins), default=0.0)), ["Latency", "Turns"])]
    levels: dict[tuple[str, str], int] = {}
    personas: dict[str, str] = {}
    for row, data in ran:
        persona = _groups(row, data)["persona"]
        label = f"{persona} (expected {data['expected']['level']})"
        personas[label] = data["expected"]["level"]
        reached = data["outcome"]["level"] or "no decision"
        levels[(label, reached)] = levels.get((label, reached), 0) + 1
    cols = [*LEVELS, *(["no decision"] if any(c == "no decision" for _, c in levels) else [])]
    out += ['<h3 id="chart-levels-heading">Level reached per persona</h3>',
            grid_chart("chart-levels", "Level reached (columns) per persona, in sessions", "Persona",
                       sorted(personas), cols, levels, {(p, lvl) for p, lvl in personas.items()})]
    out.append("</section>")
    return out


def batch_page(summary: dict[str, Any], sessions: dict[str, dict[str, Any]] | None = None) -> str:
    """The index of a batch: the headline numbers, failures first with a filter, groups, pictures.

    ``sessions`` maps a row's name to its session report object (for groups and pictures)."""
    sessions = sessions or {}
    totals = summary["totals"]
    title = f"Replay batch: {totals['passed']} of {totals['manifests']} passed ({summary['result']})"
    rows = sort_rows(summary["sessions"])
    ran = [sessions[row["name"]] for row in rows if row["name"] in sessions]
    level_ok = sum(1 for data in ran if data["outcome"]["level"] == data["expected"]["level"])
    pairs = [tokens for data in ran for turn in data["turns"] if (tokens := turn_tokens(turn)) is not None]
    latency = totals["latency_s"]
    body = [f"<h1>{_e(title)}</h1>",
            f"<p>Result: {_result(summary['result'])}. Answer accuracy {_pct(totals['answer_accuracy'])}; "
            f"level as expected in {level_ok} of {len(ran)} sessions that ran.</p>",
            _toc([("glance", "At a glance"), ("sessions", "Sessions, failures first"), ("groups", "Groups"),
                  ("charts", "Pictures"), ("totals", "Totals")]),
            '<section aria-labelledby="glance">', '<h2 id="glance">At a glance</h2>',
            _table("Headline measures", ["Measure", "Value"], [
                ["Answer accuracy (understood as the reference would be)", _pct(totals["answer_accuracy"])],
                ["Level as expected", _e(f"{level_ok} of {len(ran)} sessions")],
                ["Passed / not passed", _e(f"{totals['passed']} / {totals['manifests'] - totals['passed']}")],
                ["Word error rate after normalising answer words",
                 _pct(totals["wer_normalised"] if "wer_normalised" in totals else token_wer(pairs))],
                ["Word error rate (words as written)", _pct(totals["wer"])],
                ["Latency, median / 90th percentile",
                 f"{_num(latency['p50'], '{:.3f} s')} / {_num(latency['p90'], '{:.3f} s')}"],
            ]), "</section>"]

    table_rows = []
    for item in rows:
        data = sessions.get(item["name"])
        groups = _groups(item, data)
        name = _e(item["name"])
        link = f'<a href="{_e(item["report"])}">{name}</a>' if item.get("report") else name
        bad = (data or {}).get("metrics", {}).get("mismatched_turns") or []
        if bad and item.get("report"):
            misheard = f'<a href="{_e(item["report"])}#misheard">{len(bad)} (turns {_e(", ".join(map(str, bad)))})</a>'
        else:
            misheard = _e(len(bad)) if data else "-"
        word = item["result"]
        shown = _result(word) if word in ("PASS", "FAIL") else f'<span class="fail">{_e(word)}</span>'
        ran_ok = word in ("PASS", "FAIL")
        table_rows.append((word, [link, shown, _error_cell(item.get("error") or "", item["name"]) or "-",
                                  _e(groups["persona"]), _e(groups["voice"]), _e(groups["rate"]), _e(groups["noise"]),
                                  _e(item.get("expected") or "-"), _e(item.get("level") or "-"),
                                  _pct(item.get("answer_accuracy")) if ran_ok else "-",
                                  _pct((data or {}).get("metrics", {}).get("wer_normalised")) if ran_ok else "-",
                                  misheard]))
    body += ['<section aria-labelledby="sessions">', '<h2 id="sessions">Sessions, failures first</h2>',
             "<fieldset><legend>Show</legend>",
             '<input type="radio" name="show" id="show-all" checked> <label for="show-all">every session</label>',
             '<input type="radio" name="show" id="show-notpassed"> <label for="show-notpassed">only sessions that '
             "did not pass</label>",
             '<input type="radio" name="show" id="show-passed"> <label for="show-passed">only sessions that '
             "passed</label>",
             "</fieldset>",
             _rows_table("One row per manifest, errors and failures first",
                         ["Manifest", "Result", "Error", "Persona", "Voice", "Rate", "Noise", "Expected level",
                          "Level", "Answer accuracy", "WER after normalising", "Turns understood wrongly"],
                         table_rows),
             "</section>"]

    body += ['<section aria-labelledby="groups">', '<h2 id="groups">Groups</h2>']
    for key, label in GROUPS:
        by: dict[str, list[tuple[dict[str, Any], dict[str, Any] | None]]] = {}
        for item in rows:
            by.setdefault(_groups(item, sessions.get(item["name"]))[key], []).append((item, sessions.get(item["name"])))
        group_rows = []
        for value in sorted(by):
            members = by[value]
            accuracy, _ = _accuracy([t for _, d in members if d for t in d["turns"]])
            passed = sum(1 for item, _ in members if item["result"] == "PASS")
            group_rows.append([_e(value), _e(len(members)), _e(passed), _e(len(members) - passed),
                               _pct(accuracy)])
        body.append(f'<h3 id="group-{key}">By {label.lower()}</h3>')
        body.append(_table(f"Sessions by {label.lower()}", [label, "Sessions", "Passed", "Not passed",
                                                             "Answer accuracy"], group_rows))
    body.append("</section>")
    body += charts_section(rows, sessions)
    body += ['<section aria-labelledby="totals">', '<h2 id="totals">Totals</h2>',
             _table("Batch measures", ["Measure", "Value"], [
                 ["Passed", _e(totals["passed"])], ["Failed", _e(totals["failed"])], ["Errors", _e(totals["errors"])],
                 ["Answer accuracy", _pct(totals["answer_accuracy"])], ["Word error rate", _pct(totals["wer"])],
                 ["Latency, median", _num(latency["p50"], "{:.3f} s")],
                 ["Latency, 90th percentile", _num(latency["p90"], "{:.3f} s")],
                 ["Latency, 95th percentile", _num(latency["p95"], "{:.3f} s")],
                 ["Wall time", _num(totals["wall_s"], "{:.2f} s")], ["Jobs", _e(totals["jobs"])],
             ]), "</section>"]
    return _page(title, "en", body)


def _rows_table(caption: str, head: Sequence[str], rows: Sequence[tuple[str, Sequence[str]]]) -> str:
    """The sessions table: each row classed by its result, for the filter."""
    out = ["<table>", f"<caption>{_e(caption)}</caption>", "<thead><tr>"]
    out += [f'<th scope="col">{_e(cell)}</th>' for cell in head]
    out.append("</tr></thead><tbody>")
    for word, cells in rows:
        cls = "result-pass" if word == "PASS" else "result-notpass"
        out.append(f'<tr class="{cls}"><th scope="row">{cells[0]}</th>'
                   + "".join(f"<td>{cell}</td>" for cell in cells[1:]) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)
