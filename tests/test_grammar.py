"""Every shipped grammar file loads strictly; malformed files name the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from voice_triage.clinical.catalogue import load_rulebook
from voice_triage.errors import ContentError
from voice_triage.nlu.grammar import (
    ANSWER_KINDS,
    CUE_KINDS,
    RATE_KINDS,
    load_answers,
    load_grammar,
    load_lexicon,
    load_symptoms,
)
from voice_triage.nlu.matcher import Matcher

IDS = ("saddle_numbness", "urinary_retention")


def write(tmp_path: Path, text: str, name: str = "g.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_grammars_load_and_cover_every_finding() -> None:
    grammar = load_grammar()
    assert set(grammar.findings) == set(load_rulebook().findings)
    assert all(grammar.findings[i] for i in grammar.findings)
    Matcher(grammar)  # also checks that no two findings share a phrase's content words


@pytest.mark.parametrize(
    ("finding", "word"),
    [
        ("urinary_retention", "wee"),
        ("urinary_retention", "pee"),
        ("bowel_incontinence", "poo"),
        ("saddle_numbness", "bum"),
        ("saddle_numbness", "back passage"),
        ("saddle_numbness", "down below"),
        ("saddle_numbness", "privates"),
        ("back_pain", "threw my back out"),
        ("persistent_pain", "six weeks"),
    ],
)
def test_lay_words_are_in_the_phrases(finding: str, word: str) -> None:
    assert any(word in p.text for p in load_grammar().findings[finding])


def test_phrase_lists_for_recognizers() -> None:
    grammar = load_grammar()
    yes_no = grammar.phrases_for("yes_no", ["saddle_numbness"])
    for phrase in ("yes", "no", "not sure", "repeat", "help", "stop", "slower", "faster"):
        assert phrase in yes_no
    assert "yet" not in yes_no  # misheard words are never offered to a recognizer
    assert len(yes_no) < 2000
    open_list = grammar.phrases_for("open", ["urinary_retention"])
    assert "can't pee" in open_list and "yes" in open_list
    assert not any("numb" in p for p in open_list)
    with pytest.raises(ValueError):
        grammar.phrases_for("essay", [])


def symptoms(tmp_path: Path, body: str) -> Path:
    return write(tmp_path, "rules:\n  pee: (pee|wee)\nfindings:\n" + body)


def test_unknown_finding_id_names_file_and_line(tmp_path: Path) -> None:
    path = symptoms(tmp_path, "  saddle_numbness:\n    templates: [numb bum]\n  sadle_numbnes:\n    templates: [x]\n")
    with pytest.raises(ContentError) as info:
        load_symptoms(IDS, path)
    assert str(path) in str(info.value) and "line 6" in str(info.value) and "sadle_numbnes" in str(info.value)


@pytest.mark.parametrize(
    ("template", "fragment"),
    [("(can't|) <pee>", "empty alternative"), ("(can't <pee>", "unbalanced"), ("<poo>", "unknown rule")],
)
def test_malformed_template_names_file_and_line(tmp_path: Path, template: str, fragment: str) -> None:
    body = f'  saddle_numbness:\n    templates:\n      - numb bum\n      - "{template}"\n'
    body += "  urinary_retention:\n    templates: [can't pee]\n"
    path = symptoms(tmp_path, body)
    with pytest.raises(ContentError) as info:
        load_symptoms(IDS, path)
    message = str(info.value)
    assert str(path) in message and "line 7" in message and fragment in message


def test_one_phrase_for_two_findings_is_an_error(tmp_path: Path) -> None:
    body = "  saddle_numbness:\n    templates: [numb bum, \"(can't|cannot) <pee>\"]\n"
    body += "  urinary_retention:\n    templates: [\"can't <pee>\"]\n"
    path = symptoms(tmp_path, body)
    with pytest.raises(ContentError) as info:
        load_symptoms(IDS, path)
    assert "mapped to two findings" in str(info.value) and "line 7" in str(info.value)


def test_missing_finding_is_an_error(tmp_path: Path) -> None:
    path = symptoms(tmp_path, "  saddle_numbness:\n    templates: [numb bum]\n")
    with pytest.raises(ContentError, match="urinary_retention"):
        load_symptoms(IDS, path)


def test_unknown_key_in_a_finding(tmp_path: Path) -> None:
    path = symptoms(tmp_path, "  saddle_numbness:\n    templates: [numb bum]\n    tempaltes: [x]\n")
    with pytest.raises(ContentError, match="tempaltes"):
        load_symptoms(IDS, path)


def test_answers_file_checks(tmp_path: Path) -> None:
    kinds = "".join(f'    "{k}": [{k} word]\n' for k in ANSWER_KINDS)
    cues = "".join(f'    "{k}": [{k} cue]\n' for k in CUE_KINDS)
    rates = "".join(f"  {k}: [{k}]\n" for k in RATE_KINDS)
    good = (f"answers:\n{kinds}rates:\n{rates}hedged_no: [not really]\n"
            f"cues:\n{cues}generic: [that]\nsubjects: [it]\nauxiliaries: [does]\n")
    loaded = load_answers(write(tmp_path, good))
    assert loaded.answers["yes"][0].text == "yes word" and loaded.rates["slower"][0].text == "slower"
    assert loaded.cues["revise"][0].text == "revise cue" and loaded.hedged_no[0].text == "not really"
    clash = good.replace("[no word]", "[yes word]")
    with pytest.raises(ContentError, match="mapped to two answers"):
        load_answers(write(tmp_path, clash, "clash.yaml"))
    bad = good.replace("[help word]", '["(help|"]')
    with pytest.raises(ContentError) as info:
        load_answers(write(tmp_path, bad, "bad.yaml"))
    assert "bad.yaml" in str(info.value) and "line 6" in str(info.value)
    with pytest.raises(ContentError, match="maybe"):
        load_answers(write(tmp_path, good.replace('    "stop":', '    maybe: [x]\n    "stop":'), "extra.yaml"))


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as info:
        load_lexicon(write(tmp_path, "cues: [not\nhedges: x\n"))
    assert "line" in str(info.value)


def test_recognizer_list_is_short_and_every_phrase_is_understood_as_its_answer() -> None:
    from voice_triage.nlu.grammar import load_grammar
    from voice_triage.nlu.matcher import load_matcher

    grammar = load_grammar()
    phrases = grammar.phrases_for("yes_no")
    assert len(phrases) <= 60  # a constrained recognizer rejects better with few phrases
    assert grammar.constraint_for("open") is None  # free dictation for the description
    matcher = load_matcher()
    for kind, texts in grammar.spoken.items():
        for text in texts:
            heard = matcher.understand(text)
            got = heard.answer.value if heard.answer else (heard.rate.value if heard.rate else None)
            assert got == kind, (text, got)
    # No bare "i have" / "i haven't" pair: one short sound apart, a swap waiting to happen.
    assert "i have" not in phrases and "i haven't" not in phrases


def _matcher_for(tmp_path: Path, body: str) -> Matcher:
    from voice_triage.nlu.grammar import Grammar

    found, absent_only, normal = load_symptoms(IDS, symptoms(tmp_path, body))
    loaded = load_answers()
    return Matcher(Grammar(loaded.answers, {}, loaded.rates, found, absent_only, load_lexicon(), normal=normal,
                           cues={k: tuple(p.text for p in v) for k, v in loaded.cues.items()},
                           subjects=loaded.subjects, auxiliaries=loaded.auxiliaries))


def test_a_normal_phrase_may_rule_out_several_findings(tmp_path: Path) -> None:
    body = '  saddle_numbness:\n    templates: ["numb bum"]\n    normal: ["bum feels normal"]\n'
    body += "  urinary_retention:\n    templates: [\"can't <pee>\"]\n    normal: [\"bum feels normal\"]\n"
    heard = _matcher_for(tmp_path, body).understand("my bum feels normal")
    assert {(f.id, f.present) for f in heard.findings} == {("saddle_numbness", False), ("urinary_retention", False)}
    assert _matcher_for(tmp_path, body).understand("my bum doesn't feel normal").findings == ()


@pytest.mark.parametrize(
    ("normal", "fragment"),
    [("numb bum", "no finding template has"),  # the words of a phrase that reports it present
     ("bum not normal", "no negation"),
     # "my bits": "bits" is the ignored "bit", so this would read any "a bit ... fine" as normal.
     ("bits are fine", "content words")],
)
def test_a_normal_phrase_never_reads_as_a_finding_phrase(tmp_path: Path, normal: str, fragment: str) -> None:
    body = f'  saddle_numbness:\n    templates: ["numb bum"]\n    normal: ["{normal}"]\n'
    body += "  urinary_retention:\n    templates: [\"can't <pee>\"]\n"
    with pytest.raises(ContentError, match=fragment) as info:
        _matcher_for(tmp_path, body)
    assert "g.yaml" in str(info.value) and "line 6" in str(info.value)  # the `normal:` line


def test_a_normal_phrase_that_reports_another_finding_is_an_error(tmp_path: Path) -> None:
    body = '  saddle_numbness:\n    templates: ["numb bum"]\n    normal: ["cant <pee>"]\n'
    body += "  urinary_retention:\n    templates: [\"cant <pee>\"]\n"
    with pytest.raises(ContentError, match="mapped to two findings"):
        load_symptoms(IDS, symptoms(tmp_path, body))


def test_structure_is_loaded_strictly(tmp_path: Path) -> None:
    from voice_triage.nlu.grammar import load_structure

    ids = [*IDS, "urinary_incontinence"]
    good = ("findings:\n  saddle_numbness:\n    templates: [numb bum]\nstructure:\n"
            "  organs:\n    bladder: [pee, wee]\n  organ_of:\n    urinary_retention: bladder\n"
            "  exclusive: [bladder]\n")
    loaded = load_structure(ids, write(tmp_path, good, "s.yaml"))
    assert loaded.organ_of == {"urinary_retention": "bladder"} and loaded.heads == {"bladder": "pee"}
    for bad, needle in ((good.replace("urinary_retention: bladder", "urinary_retention: bladdr"), "bladdr"),
                        (good.replace("urinary_retention: bladder", "urinary_retenton: bladder"), "urinary_retenton"),
                        (good.replace("  exclusive: [bladder]", "  exclusive: [bowel]"), "bowel"),
                        (good + "  sideways: [x]\n", "sideways")):
        with pytest.raises(ContentError) as info:
            load_structure(ids, write(tmp_path, bad, "bad.yaml"))
        assert "bad.yaml" in str(info.value) and needle in str(info.value)


def test_no_shipped_phrase_loses_a_word_to_the_hesitations() -> None:
    """A hesitation word is dropped from what people say, so a phrase holding one reads as less than
    it says: "need the er" would be "need the", and "I need the loo" a request for emergency care."""
    grammar = load_grammar()
    lex = grammar.lexicon
    groups = [*grammar.answers.values(), *grammar.findings.values(), *grammar.rates.values()]
    texts = [p.text for group in groups for p in group]
    texts += [t for group in grammar.cues.values() for t in group]

    def loses(words: list[str]) -> bool:
        return any(w in lex.hesitations and i > 0 and (words[i - 1], w) not in lex.joined
                   for i, w in enumerate(words)) and any(w not in lex.hesitations for w in words)

    assert not loses(["i", "need", "the", "er"]) and loses(["i", "need", "er", "help"])
    bad = [t for t in texts if loses(t.split())]
    assert not bad, bad[:10]
