"""Grammar files → expanded phrases: ``grammars/{answers,symptoms,negation}.yaml`` loaded strictly.

Each template is expanded (templates.py) into the phrases a person may say, each remembering the
answer or finding it stands for and the file and line it came from. An unknown finding id, a
malformed template, or one phrase claimed by two answers or findings is a ``ContentError`` naming
the file and line. ``grammar.load_grammar`` puts the results together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ..content import LineDict, LineList, check_keys, load_data_file, load_yaml
from ..errors import ContentError
from .base import ANSWER_KINDS, RATE_KINDS
from .lexicon import Lexicon
from .templates import Expander, TemplateError

ANSWERS_FILE: Final = "answers.yaml"
SYMPTOMS_FILE: Final = "symptoms.yaml"
NEGATION_FILE: Final = "negation.yaml"
#: The kinds of answer cue read anywhere in an utterance (answers.yaml `cues`), in the order
#: nlu/answers.py checks them.
CUE_KINDS: Final = ("emergency", "correct", "help", "repeat", "stop", "revise", "unsure", "yes", "no", "degree")


@dataclass(frozen=True)
class Phrase:
    """One expanded phrase: what a person says (``text``) and what it stands for (``target``)."""

    text: str
    target: str
    file: str
    line: int


def _expander(doc: LineDict, file: str) -> Expander:
    rules = doc.get("rules") or LineDict()
    if not isinstance(rules, LineDict):
        raise ContentError(file, "rules", "expected a mapping of rule names to templates")
    for name, value in rules.items():
        if not isinstance(value, str) or not value.strip():
            raise ContentError(file, f"rules.{name} (line {rules.lines[name]})", "expected a template")
    expander = Expander({str(k): str(v) for k, v in rules.items()})
    for name in rules:  # every rule must expand, even if unused
        try:
            expander.expand(f"<{name}>")
        except TemplateError as exc:
            raise ContentError(file, f"rules.{name} (line {rules.lines[name]})", str(exc)) from None
    return expander


def _expand_list(
    expander: Expander, items: Any, file: str, where: str, target: str, line: int
) -> tuple[Phrase, ...]:
    if not isinstance(items, list) or not items:
        raise ContentError(file, f"{where} (line {line})", "expected a non-empty list of templates")
    phrases: list[Phrase] = []
    for index, template in enumerate(items):
        at = items.lines[index] if hasattr(items, "lines") else line
        if not isinstance(template, str) or not template.strip():
            raise ContentError(file, f"{where}[{index}] (line {at})", "expected a non-empty template")
        try:
            texts = expander.expand(template)
        except TemplateError as exc:
            raise ContentError(file, f"{where}[{index}] (line {at})", f"{template!r}: {exc}") from None
        phrases.extend(Phrase(text, target, file, at) for text in texts)
    return tuple(phrases)


def _no_clashes(groups: Iterable[tuple[Phrase, ...]], what: str) -> None:
    """One phrase must stand for one thing: a phrase claimed twice is an authoring error."""
    owner: dict[str, Phrase] = {}
    for group in groups:
        for phrase in group:
            seen = owner.setdefault(phrase.text, phrase)
            if seen.target != phrase.target:
                raise ContentError(
                    phrase.file,
                    f"line {phrase.line}",
                    f"phrase {phrase.text!r} is mapped to two {what}: {seen.target!r} "
                    f"(line {seen.line}) and {phrase.target!r}",
                )


def _section(doc: LineDict, key: str, file: str, allowed: Sequence[str], required: bool) -> LineDict:
    table = doc[key]
    check_keys(table, file, key, allowed if required else (), () if required else allowed)
    result: LineDict = table
    return result


def _spoken_section(doc: LineDict, file: str) -> LineDict:
    """The short spoken lists: every answer and rate change, the newer commands optional."""
    optional = ("emergency", "correct", "louder", "quieter")
    table = doc["spoken"]
    required = [k for k in (*ANSWER_KINDS, *RATE_KINDS) if k not in optional]
    check_keys(table, file, "spoken", required, optional)
    result: LineDict = table
    return result


def _load(name: str, path: Path | None) -> tuple[LineDict, str]:
    """A shipped file by name (cached), or any file by path (tests, authoring); errors name it."""
    if path is None:
        return load_data_file(name), name
    return load_yaml(path, str(path)), str(path)


@dataclass(frozen=True)
class AnswerPhrases:
    """answers.yaml, expanded: whole-utterance phrases per answer and rate change, the words a
    recognizer mishears, the short spoken lists, the hedged negatives, and the cues read anywhere."""

    answers: dict[str, tuple[Phrase, ...]]
    rates: dict[str, tuple[Phrase, ...]]
    misheard: dict[str, tuple[Phrase, ...]]
    spoken: dict[str, tuple[Phrase, ...]]
    hedged_no: tuple[Phrase, ...]
    cues: dict[str, tuple[Phrase, ...]]
    generic: tuple[Phrase, ...]
    subjects: frozenset[str]
    auxiliaries: frozenset[str]
    question_words: frozenset[str] = frozenset()


def load_answers(path: Path | None = None) -> AnswerPhrases:
    doc, file = _load(ANSWERS_FILE, path)
    check_keys(doc, file, "", ["answers", "rates", "hedged_no", "cues", "generic", "subjects", "auxiliaries"],
               ["rules", "misheard", "spoken", "question_words"])
    expander = _expander(doc, file)
    groups: list[dict[str, tuple[Phrase, ...]]] = []
    for key, kinds in (("answers", ANSWER_KINDS), ("rates", RATE_KINDS)):
        table = _section(doc, key, file, kinds, required=True)
        groups.append(
            {k: _expand_list(expander, table[k], file, f"{key}.{k}", k, table.lines[k]) for k in kinds}
        )
    _no_clashes([*groups[0].values(), *groups[1].values()], "answers")
    misheard: dict[str, tuple[Phrase, ...]] = {}
    if "misheard" in doc:
        table = _section(doc, "misheard", file, ANSWER_KINDS, required=False)
        misheard = {
            k: _expand_list(expander, table[k], file, f"misheard.{k}", k, table.lines[k]) for k in table
        }
        _no_clashes([*groups[0].values(), *misheard.values()], "answers")
    hedged = _expand_list(expander, doc["hedged_no"], file, "hedged_no", "no", doc.lines["hedged_no"])
    generic = _expand_list(expander, doc["generic"], file, "generic", "generic", doc.lines["generic"])
    cue_table = _section(doc, "cues", file, CUE_KINDS, required=True)
    cues = {k: _expand_list(expander, cue_table[k], file, f"cues.{k}", k, cue_table.lines[k]) for k in CUE_KINDS}
    spoken: dict[str, tuple[Phrase, ...]] = {}
    spoken_doc: dict[str, Any] = (
        _spoken_section(doc, file) if "spoken" in doc else {}
    )
    for kind in spoken_doc:
        known = {p.text for p in {**groups[0], **groups[1]}[kind]}
        spoken[kind] = _expand_list(expander, spoken_doc[kind], file, f"spoken.{kind}", kind, doc["spoken"].lines[kind])
        for phrase in spoken[kind]:
            if phrase.text not in known:
                raise ContentError(file, f"line {phrase.line}",
                                   f"spoken phrase {phrase.text!r} is not one of the {kind!r} answer phrases")
    words: dict[str, frozenset[str]] = {}
    for key in ("subjects", "auxiliaries", "question_words"):
        if key not in doc:
            words[key] = frozenset()
            continue
        items = doc[key]
        if not isinstance(items, LineList) or not all(isinstance(i, str) and i.strip() for i in items):
            raise ContentError(file, f"{key} (line {doc.lines[key]})", "expected a list of words")
        words[key] = frozenset(str(i) for i in items)
    return AnswerPhrases(groups[0], groups[1], misheard, spoken, hedged, cues, generic, words["subjects"],
                         words["auxiliaries"], words["question_words"])


def load_symptoms(
    finding_ids: Iterable[str], path: Path | None = None
) -> tuple[dict[str, tuple[Phrase, ...]], dict[str, tuple[Phrase, ...]], dict[str, tuple[Phrase, ...]]]:
    """Per finding: its templates, its ``absent_only`` phrases and its ``normal`` phrases."""
    doc, file = _load(SYMPTOMS_FILE, path)
    check_keys(doc, file, "", ["findings"], ["rules", "structure"])
    expander = _expander(doc, file)
    table = doc["findings"]
    if not isinstance(table, LineDict):
        raise ContentError(file, "findings", "expected a mapping of finding ids")
    known = set(finding_ids)
    findings: dict[str, tuple[Phrase, ...]] = {}
    absent_only: dict[str, tuple[Phrase, ...]] = {}
    normal: dict[str, tuple[Phrase, ...]] = {}
    for fid, entry in table.items():
        prefix = f"findings.{fid}"
        if fid not in known:
            raise ContentError(file, f"{prefix} (line {table.lines[fid]})", f"unknown finding id {fid!r}")
        check_keys(entry, file, prefix, ["templates"], ["absent_only", "normal"])
        findings[fid] = _expand_list(expander, entry["templates"], file, f"{prefix}.templates", fid, entry.line)
        for key, table_for in (("absent_only", absent_only), ("normal", normal)):
            if key in entry:
                table_for[fid] = _expand_list(expander, entry[key], file, f"{prefix}.{key}", fid, entry.line)
    missing = sorted(known - set(findings))
    if missing:
        raise ContentError(file, "findings", f"no templates for finding ids: {', '.join(missing)}")
    _no_clashes([*findings.values(), *absent_only.values()], "findings")
    # One "normal" phrase may rule out several findings ("wiping feels normal": neither saddle
    # finding), but it must not also be a phrase that reports a finding.
    for group in normal.values():
        _no_clashes([*findings.values(), *absent_only.values(), group], "findings")
    return findings, absent_only, normal


def load_lexicon(path: Path | None = None) -> Lexicon:
    doc, file = _load(NEGATION_FILE, path)
    keys = ["contractions", "numbers", "lemmas", "rewrites", "cues", "hedges", "breakers", "resets", "ignore"]
    optional = ["joined", "inverters", "others", "self_words", "other_sites", "not_alone", "durations", "proxy",
                "perception", "past", "over", "chronic", "better", "current", "onset", "doubtful_no"]
    check_keys(doc, file, "", [*keys, "fillers", "hesitations"], ["rules", *optional])
    for key in ("contractions", "numbers", "lemmas", *(k for k in ("joined",) if k in doc)):
        if not isinstance(doc[key], dict):
            raise ContentError(file, f"{key} (line {doc.lines[key]})", "expected a mapping")
    joined = doc.get("joined") or LineDict()
    for key in joined:
        if len(str(key).split()) != 2 or not str(joined[key]).strip():
            raise ContentError(file, f"joined.{key} (line {joined.lines[key]})",
                               "expected two words → the words they stand for")
    for key in ("rewrites", "cues", "hedges", "breakers", "resets", "ignore", "fillers", "hesitations",
                *(k for k in optional if k in doc and k not in ("durations", "joined"))):
        items = doc[key]
        if not isinstance(items, LineList) or not items:
            raise ContentError(file, f"{key} (line {doc.lines[key]})", "expected a non-empty list")
        for index, item in enumerate(items):
            if key == "rewrites":
                check_keys(item, file, f"rewrites[{index}]", ["from", "to"])
            elif not isinstance(item, str) or not item.strip():
                raise ContentError(file, f"{key}[{index}] (line {items.lines[index]})", "expected a word")
    expander = _expander(doc, file)
    try:
        return Lexicon(doc, expander)
    except TemplateError as exc:
        raise ContentError(file, "templates", str(exc)) from None


@dataclass(frozen=True)
class Structure:
    """symptoms.yaml ``structure``: how body sites and awareness shape what a phrase means.

    ``organs``: the words that name each organ ("pee", "bladder" → bladder); ``organ_of``: the organ
    a finding is about, so "I didn't feel the poo come out" is never a bladder finding.
    ``unaware``: phrases saying the person did not notice ("without even realising"), and
    ``implies``: the sensation loss an accident said with one of them implies.
    ``bilateral``: a one-leg finding said of both legs ("my legs keep giving way", "left ... and
    right") is also the both-legs finding. ``lasting``: findings a past episode still is (a
    cancer); ``course``: findings about how the pain goes, which "getting better" rules out.
    """

    organs: dict[str, frozenset[str]]
    organ_of: dict[str, str]
    exclusive: frozenset[str] = frozenset()  # organs whose words rule each other out
    heads: dict[str, str] | None = None  # each organ's first word: what the question supplies first
    unaware: tuple[str, ...] = ()
    implies: dict[str, str] | None = None
    #: On the bladder or bowel question, a happening said with an unaware cue is that organ's accident.
    happened: frozenset[str] = frozenset()
    accidents: dict[str, str] = field(default_factory=dict)
    #: Said with what happened and the bladder or bowel, that organ's accident ("I peed a little
    #: without meaning to"), on any question or none; no lost feeling is implied.
    involuntary: tuple[str, ...] = ()
    bilateral_finding: str | None = None
    bilateral_from: frozenset[str] = frozenset()
    #: One-leg findings still true said of both legs, and the words that say them there.
    bilateral_also: dict[str, frozenset[str]] = field(default_factory=dict)
    plural: frozenset[str] = frozenset()
    sides: frozenset[str] = frozenset()
    #: Words that say one limb ("one leg", "the left"): the question never supplies "legs" to them.
    singular: frozenset[str] = frozenset()
    possessed_finding: str | None = None
    possessed_words: frozenset[str] = frozenset()
    owners: frozenset[str] = frozenset()
    not_before: frozenset[str] = frozenset()
    lasting: frozenset[str] = frozenset()  # true once true: never put in the past (nlu/tense.py)
    new_only: frozenset[str] = frozenset()  # defined as new or recent: a chronic mention is not one
    #: Findings the spec calls unexplained, and the reasons that explain them ("on a diet").
    explained: dict[str, tuple[str, ...]] = field(default_factory=dict)
    course: frozenset[str] = frozenset()  # about the pain's course: ruled out by "getting better"
    #: A pain said with no other body part, in a description, is this finding (the back's).
    presumed_finding: str | None = None
    presumed_words: frozenset[str] = frozenset()
    presumed_elsewhere: frozenset[str] = frozenset()  # organs whose words give the pain another site
    #: Words saying a body part is well ("my waterworks are fine"): the answer for that organ's
    #: findings on its own question.
    fine: frozenset[str] = frozenset()
    #: Doubt whose object is one of these events of the organ asked about ("I can't tell if I've
    #: been") says the feeling is lost: the organ's finding in ``losses``.
    unperceived: frozenset[str] = frozenset()
    losses: dict[str, str] = field(default_factory=dict)


def _words(value: Any, file: str, where: str) -> frozenset[str]:
    if not isinstance(value, LineList) or not all(isinstance(i, str) and i.strip() for i in value):
        raise ContentError(file, where, "expected a list of words")
    return frozenset(str(i) for i in value)


def _finding_and_words(table: LineDict, file: str, key: str, words: dict[str, str],
                       fid: Callable[[Any, str], str], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """A ``structure`` section made of one ``finding`` id and word lists, as Structure fields
    (``<key>_finding`` and the field each list is named to); empty when the section is absent."""
    if key not in table:
        return {}
    entry = table[key]
    check_keys(entry, file, f"structure.{key}", ["finding", *words], optional)
    where = f"structure.{key} (line {entry.line})"
    return {f"{key}_finding": fid(entry["finding"], where),
            **{field: _words(entry[name], file, where) for name, field in words.items()}}


def load_structure(finding_ids: Iterable[str], path: Path | None = None) -> Structure:
    """symptoms.yaml ``structure`` (empty when absent); unknown ids and keys are errors."""
    doc, file = _load(SYMPTOMS_FILE, path)
    if "structure" not in doc:
        return Structure({}, {})
    known = set(finding_ids)
    table = doc["structure"]
    check_keys(table, file, "structure", ["organs", "organ_of"],
               ["unaware", "bilateral", "possessed", "exclusive", "lasting", "course", "explained", "new_only", "fine",
                "presumed", "unperceived"])

    def fid(value: Any, where: str) -> str:
        if value not in known:
            raise ContentError(file, where, f"unknown finding id {value!r}")
        return str(value)

    for key in ("organs", "organ_of"):
        if not isinstance(table[key], LineDict):
            raise ContentError(file, f"structure.{key} (line {table.lines[key]})", "expected a mapping")
    organs = {str(k): _words(v, file, f"structure.organs.{k} (line {table['organs'].lines[k]})")
              for k, v in table["organs"].items()}
    organ_of: dict[str, str] = {}
    for key, organ in table["organ_of"].items():
        where = f"structure.organ_of.{key} (line {table['organ_of'].lines[key]})"
        if organ not in organs:
            raise ContentError(file, where, f"unknown organ {organ!r} (allowed: {', '.join(sorted(organs))})")
        organ_of[fid(key, where)] = str(organ)
    unaware: tuple[str, ...] = ()
    implies: dict[str, str] = {}
    happened: frozenset[str] = frozenset()
    accidents: dict[str, str] = {}
    involuntary: tuple[str, ...] = ()
    if "unaware" in table:
        entry = table["unaware"]
        check_keys(entry, file, "structure.unaware", ["cues", "implies"], ["happened", "accidents", "involuntary"])
        expander = _expander(doc, file)
        unaware = tuple(p.text for p in _expand_list(expander, entry["cues"], file, "structure.unaware.cues",
                                                      "unaware", entry.line))
        if not isinstance(entry["implies"], LineDict):
            raise ContentError(file, f"structure.unaware.implies (line {entry.line})", "expected a mapping")
        for key, value in entry["implies"].items():
            where = f"structure.unaware.implies.{key} (line {entry['implies'].lines[key]})"
            implies[fid(key, where)] = fid(value, where)
        if "happened" in entry or "accidents" in entry:
            where = f"structure.unaware (line {entry.line})"
            if not ("happened" in entry and isinstance(entry.get("accidents"), LineDict)):
                raise ContentError(file, where, "happened (words) and accidents (organ: finding id) go together")
            happened = _words(entry["happened"], file, f"{where}: happened")
            if "involuntary" in entry:
                involuntary = tuple(p.text for p in _expand_list(
                    expander, entry["involuntary"], file, "structure.unaware.involuntary", "involuntary", entry.line))
            for organ, finding in entry["accidents"].items():
                if organ not in organs:
                    raise ContentError(file, where, f"unknown organ {organ!r} (allowed: {', '.join(sorted(organs))})")
                accidents[str(organ)] = fid(finding, where)
    unperceived: frozenset[str] = frozenset()
    losses: dict[str, str] = {}
    if "unperceived" in table:
        entry = table["unperceived"]
        check_keys(entry, file, "structure.unperceived", ["events", "losses"])
        where = f"structure.unperceived (line {entry.line})"
        unperceived = _words(entry["events"], file, f"{where}: events")
        if not isinstance(entry["losses"], LineDict):
            raise ContentError(file, where, "losses: expected a mapping of organs to finding ids")
        for organ, finding in entry["losses"].items():
            if organ not in organs:
                raise ContentError(file, where, f"unknown organ {organ!r} (allowed: {', '.join(sorted(organs))})")
            losses[str(organ)] = fid(finding, where)
    bilateral = _finding_and_words(table, file, "bilateral", {"from": "bilateral_from", "plural": "plural",
                                                               "sides": "sides"}, fid, optional=("also", "singular"))
    if bilateral:
        entry = table["bilateral"]
        where = f"structure.bilateral (line {entry.line})"
        bilateral["bilateral_from"] = frozenset(fid(v, where) for v in bilateral["bilateral_from"])
        if "also" in entry:
            where = f"structure.bilateral.also (line {entry.lines['also']})"
            if not isinstance(entry["also"], LineDict):
                raise ContentError(file, where, "expected a mapping of finding ids to words")
            bilateral["bilateral_also"] = {fid(k, where): _words(v, file, where) for k, v in entry["also"].items()}
        if "singular" in entry:
            where = f"structure.bilateral.singular (line {entry.lines['singular']})"
            bilateral["singular"] = _words(entry["singular"], file, where)
    possessed = _finding_and_words(table, file, "possessed", {"words": "possessed_words", "owners": "owners",
                                                              "not_before": "not_before"}, fid)
    presumed = _finding_and_words(table, file, "presumed",
                                  {"words": "presumed_words", "elsewhere": "presumed_elsewhere"}, fid)
    unknown_organs = sorted(presumed.get("presumed_elsewhere", frozenset()) - set(organs))
    if unknown_organs:
        raise ContentError(file, f"structure.presumed (line {table['presumed'].line})",
                           f"unknown organ {unknown_organs[0]!r} (allowed: {', '.join(sorted(organs))})")
    exclusive: frozenset[str] = frozenset()
    if "exclusive" in table:
        exclusive = _words(table["exclusive"], file, f"structure.exclusive (line {table.lines['exclusive']})")
        unknown = sorted(exclusive - set(organs))
        if unknown:
            raise ContentError(file, f"structure.exclusive (line {table.lines['exclusive']})",
                               f"unknown organ {unknown[0]!r} (allowed: {', '.join(sorted(organs))})")
    heads = {str(k): str(v[0]) for k, v in table["organs"].items()}
    def ids(key: str) -> frozenset[str]:
        if key not in table:
            return frozenset()
        where = f"structure.{key} (line {table.lines[key]})"
        return frozenset(fid(v, where) for v in _words(table[key], file, where))

    explained: dict[str, tuple[str, ...]] = {}
    if "explained" in table:
        entry = table["explained"]
        where = f"structure.explained (line {table.lines['explained']})"
        if not isinstance(entry, LineDict):
            raise ContentError(file, where, "expected a mapping of finding ids to templates")
        expander = _expander(doc, file)
        for key, templates in entry.items():
            at = f"structure.explained.{key} (line {entry.lines[key]})"
            explained[fid(key, at)] = tuple(p.text for p in _expand_list(expander, templates, file, at, key,
                                                                            entry.lines[key]))
    return Structure(organs, organ_of, exclusive, heads, unaware, implies, **bilateral, **possessed, **presumed,
                     explained=explained, new_only=ids("new_only"),
                     happened=happened, accidents=accidents, involuntary=involuntary,
                     lasting=ids("lasting"), course=ids("course"), unperceived=unperceived, losses=losses,
                     fine=_words(table["fine"], file, f"structure.fine (line {table.lines['fine']})")
                     if "fine" in table else frozenset())
