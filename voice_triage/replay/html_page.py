"""The HTML of replay reports, built from their JSON objects (see ``report_html``).

Plain HTML with no script and no external resource, so it opens offline from a folder. The result
is always a word ("PASS" / "FAIL"); colour and a border only repeat it. Colours keep a contrast
ratio of at least 7:1 against their background (WCAG AAA for normal text).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any, Final

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


def _turn_section(turn: dict[str, Any]) -> list[str]:
    n, timings = turn["index"], turn["timings"]
    heading = f"Turn {n}: question {turn['question']} ({turn['kind']})"
    rows = [
        ["Prompt", _e(turn["prompt"]["text"])],
        ["Transcript", _e(turn["transcript"] or "(empty)") + f" (status {_e(turn['status'])}, confidence "
                       f"{_num(turn['confidence'], '{:.2f}')}, recognizer {_e(turn['recognizer'])})"],
        ["Reference text", _e(turn["reference"]) if turn["reference"] else "not given"],
        ["Interpretation", _interpretation(turn["interpretation"])],
        ["Understood as the reference would be",
         "not judged" if turn["correct"] is None else ("yes" if turn["correct"] else "no")],
        ["Word error rate", _pct(turn["wer"])],
        ["Timings", _e(f"answer {timings['answer_s']:.2f} s; prompt rendering {timings['render_s']:.3f} s; "
                       f"recognition {timings['decode_s']:.3f} s; dialogue {timings['dialogue_s']:.4f} s")],
    ]
    return [
        f'<section aria-labelledby="turn-{n}">', f'<h3 id="turn-{n}">{_e(heading)}</h3>',
        _audio(turn["prompt"]["audio"], f"Prompt audio, turn {n}"),
        _audio(turn["recording"], f"Recorded answer, turn {n}", turn["reference"] or ""),
        _table(f"Details of turn {n}", ["Item", "Value"], rows), "</section>",
    ]


def session_page(data: dict[str, Any]) -> str:
    """The HTML page for one replayed session."""
    expected, outcome, metrics = data["expected"], data["outcome"], data["metrics"]
    title = f"Replay report: {data['name']} ({data['result']})"
    body = [f"<h1>{_e(title)}</h1>",
            f"<p>Result: {_result(data['result'])}. Manifest: {_e(data['manifest'])}. Locale: "
            f"{_e(data['locale'])}. Recognizer: {_e(data['recognizer'])}.</p>"]
    if data["description"]:
        body.append(f"<p>{_e(data['description'])}</p>")
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
    body.append(_table("Session measures", ["Measure", "Value"], [
        ["Turns", _e(metrics["turns"])],
        ["Answer accuracy", _pct(metrics["answer_accuracy"])],
        ["Word error rate", _pct(metrics["wer"])],
        ["Audio (prompts and answers)", _num(metrics["audio_s"], "{:.1f} s")],
        ["Replay time", _num(metrics["wall_s"], "{:.2f} s")],
        ["Faster than real time", _num(metrics["speedup"], "{:.1f} times")],
        ["Latency, median / 90th percentile", f"{_num(latency['p50'])} s / {_num(latency['p90'])} s"],
    ]))
    body.append("</section>")

    body += ['<section aria-labelledby="turns">', '<h2 id="turns">Turns</h2>']
    for turn in data["turns"]:
        body += _turn_section(turn)
    if data["closing"]:
        body += ['<section aria-labelledby="closing">', '<h3 id="closing">Closing words</h3>',
                 _audio(data["closing"]["audio"], "Closing words audio"), f"<p>{_e(data['closing']['text'])}</p>",
                 "</section>"]
    body.append("</section>")
    return _page(title, _LANG.get(data["locale"], "en"), body)


def batch_page(summary: dict[str, Any]) -> str:
    """The index page of a batch run: one row per manifest, linking to its own page."""
    totals = summary["totals"]
    title = f"Replay batch: {totals['passed']} of {totals['manifests']} passed ({summary['result']})"
    rows = []
    for item in summary["sessions"]:
        name = _e(item["name"])
        link = f'<a href="{_e(item["report"])}">{name}</a>' if item.get("report") else name
        rows.append([link, _result(item["result"]) if item["result"] in ("PASS", "FAIL") else _e(item["result"]),
                     _e(item.get("expected") or "-"), _e(item.get("level") or "-"),
                     _pct(item.get("answer_accuracy")), _pct(item.get("wer")), _e(item.get("error") or "")])
    latency = totals["latency_s"]
    body = [f"<h1>{_e(title)}</h1>", f"<p>Result: {_result(summary['result'])}.</p>",
            '<section aria-labelledby="sessions">', '<h2 id="sessions">Sessions</h2>',
            _table("One row per manifest", ["Manifest", "Result", "Expected level", "Level", "Answer accuracy",
                                            "Word error rate", "Error"], rows),
            "</section>", '<section aria-labelledby="totals">', '<h2 id="totals">Totals</h2>',
            _table("Batch measures", ["Measure", "Value"], [
                ["Passed", _e(totals["passed"])], ["Failed", _e(totals["failed"])], ["Errors", _e(totals["errors"])],
                ["Answer accuracy", _pct(totals["answer_accuracy"])], ["Word error rate", _pct(totals["wer"])],
                ["Latency, median", _num(latency["p50"], "{:.3f} s")],
                ["Latency, 90th percentile", _num(latency["p90"], "{:.3f} s")],
                ["Latency, 95th percentile", _num(latency["p95"], "{:.3f} s")],
                ["Wall time", _num(totals["wall_s"], "{:.2f} s")], ["Jobs", _e(totals["jobs"])],
            ]), "</section>"]
    return _page(title, "en", body)
