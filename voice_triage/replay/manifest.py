"""Replay manifests: which recording answers which question, and what outcome to expect.

A manifest is YAML or JSON (see ``docs/replay.md``). It is loaded strictly, like the content under
``grammars/``: an unknown key, a missing recording, an unknown question or finding id is a
``ManifestError`` naming the manifest file and the key, so a typo cannot make a test pass by
accident. Paths are relative to the manifest, so a suite can be moved or zipped as a folder, and
they stay inside it: a recording outside the manifest's folder (or the folder a batch replays) is
an error unless ``--allow-outside-audio`` is given.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ..clinical.catalogue import Level, Locale, load_rulebook
from ..content import check_keys, load_yaml, where
from ..errors import ContentError, ManifestError
from ..settings import MAX_SPEECH_RATE, MIN_SPEECH_RATE

#: Largest manifest read (bytes): a manifest is a page of text; a bigger file is a mistake.
MAX_MANIFEST_BYTES: Final = 1024 * 1024
#: Longest recording path accepted (characters); longer is not a path a tester wrote.
MAX_PATH_CHARS: Final = 4096
#: File name endings read as manifests when a folder is replayed.
MANIFEST_SUFFIXES: Final = (".yaml", ".yml", ".json")
#: Keys of a manifest and of its parts; anything else is an error naming the key (a typo such as
#: ``expected:`` must not silently drop the check it was meant to add).
TOP_KEYS: Final = ("answers", "expect")
OPTIONAL_TOP_KEYS: Final = ("default", "locale", "description", "prompts")
#: ``prompts: {voice, rate}``: how the assistant speaks to this person (a slower rate, another
#: voice), as they would have set it with --voice and --rate; unset, the locale's voice at the default.
PROMPT_KEYS: Final = ("voice", "rate")
#: Longest voice name accepted (espeak-ng's names are short; this only bounds hostile input).
MAX_VOICE_CHARS: Final = 100
RECORDING_KEYS: Final = ("audio",)
OPTIONAL_RECORDING_KEYS: Final = ("text",)
EXPECT_KEYS: Final = ("level",)
OPTIONAL_EXPECT_KEYS: Final = ("present", "absent", "unsure")


@dataclass(frozen=True)
class Recording:
    """One recorded answer, with what was really said when the tester knows it (for WER)."""

    audio: Path
    text: str | None = None


@dataclass(frozen=True)
class Expected:
    level: Level
    present: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    unsure: tuple[str, ...] = ()


@dataclass(frozen=True)
class Manifest:
    path: Path
    locale: Locale
    description: str
    #: Question id → the recordings played each time that question is asked, in order. When the
    #: question is asked more often than there are recordings (a reprompt), the last one repeats.
    answers: dict[str, tuple[Recording, ...]]
    default: tuple[Recording, ...]
    expect: Expected
    prompt_voice: str | None = None  # ``prompts.voice``; None: the locale's voice
    prompt_rate: int | None = None  # ``prompts.rate`` in words a minute; None: the default

    @property
    def name(self) -> str:
        return self.path.stem

    def recording_for(self, question: str, attempt: int) -> Recording:
        """The recording played for the ``attempt``-th asking (0-based) of ``question``."""
        recordings = self.answers.get(question) or self.default
        if not recordings:
            raise ManifestError(
                f"{self.path}: answers: no recording for question {question!r} and no 'default' recording"
            )
        return recordings[min(attempt, len(recordings) - 1)]


def _fail(file: str, at: str, problem: str) -> ManifestError:
    return ManifestError(f"{file}: {at}: {problem}")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON objects, like YAML mappings, may not repeat a key (the last would silently win)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _read(path: Path) -> Mapping[str, Any]:
    file = str(path)
    try:
        if not path.is_file():
            raise ManifestError(f"{file}: manifest file not found")
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise ManifestError(f"{file}: the manifest is over {MAX_MANIFEST_BYTES // 1024} KB; is it a manifest?")
        if path.suffix.lower() == ".json":
            try:
                doc = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicates)
            except json.JSONDecodeError as exc:
                raise _fail(file, f"line {exc.lineno}", f"invalid JSON: {exc.msg}") from None
            except ValueError as exc:
                raise _fail(file, "top level", f"invalid JSON: {exc}") from None
            if not isinstance(doc, dict):
                raise _fail(file, "top level", "the manifest must be an object")
            return doc
        return load_yaml(path, file)
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{file}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    except RecursionError:
        raise ManifestError(f"{file}: nested too deeply to be a manifest") from None
    except ContentError as exc:
        raise ManifestError(str(exc)) from None


def _recordings(value: Any, file: str, at: str, base: Path, root: Path | None) -> tuple[Recording, ...]:
    """A path, a ``{audio, text}`` mapping, or a non-empty list of either; each inside ``root``
    (links followed) unless ``root`` is None."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise _fail(file, at, "expected a recording or a non-empty list of recordings")
    out: list[Recording] = []
    for index, item in enumerate(items):
        label = f"{at}[{index}]" if isinstance(value, list) else at
        text: str | None = None
        if isinstance(item, Mapping):
            try:
                check_keys(item, file, label, RECORDING_KEYS, OPTIONAL_RECORDING_KEYS)
            except ContentError as exc:
                raise ManifestError(str(exc)) from None
            audio, text = item["audio"], item.get("text")
            if text is not None and (not isinstance(text, str) or not text.strip()):
                raise _fail(file, f"{label}.text", "expected non-empty reference text")
        else:
            audio = item
        if not isinstance(audio, str) or not audio.strip():
            raise _fail(file, label, "expected the path of a WAV file (relative to the manifest)")
        name = audio.strip()
        if "\0" in name or len(name) > MAX_PATH_CHARS:
            raise _fail(file, label, f"not a usable file name ({len(name)} characters"
                                     f"{', with a NUL' if chr(0) in name else ''})")
        try:
            resolved = (base / name).resolve()
            if root is not None and not resolved.is_relative_to(root):
                # Checked before the file is even looked at: a manifest from elsewhere must not
                # make the replay open (or tell whether there is) ../../etc/shadow.
                raise _fail(file, label, f"recording {name[:80]} is outside {root} "
                                         f"(--allow-outside-audio allows it)")
            found = resolved.is_file()
        except (OSError, RuntimeError) as exc:  # a link loop, a name too long for the system
            raise _fail(file, label, f"recording {name[:80]}: {getattr(exc, 'strerror', None) or exc}") from None
        if not found:
            raise _fail(file, label, f"recording not found: {name} (looked for {resolved})")
        out.append(Recording(resolved, text.strip() if isinstance(text, str) else None))
    return tuple(out)


def _ids(doc: Mapping[str, Any], key: str, file: str, known: Iterable[str]) -> tuple[str, ...]:
    value = doc.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _fail(file, where(doc, key, "expect"), "expected a list of finding ids")
    known_set = set(known)
    for item in value:
        if item not in known_set:
            raise _fail(file, where(doc, key, "expect"), f"unknown finding id {item!r} (see 'voice-triage findings')")
    return tuple(value)


def load_manifest(path: Path, question_ids: Iterable[str], root: Path | None = None,
                  allow_outside: bool = False) -> Manifest:
    """Load and check one manifest; ``question_ids`` are the ids the questionnaire can ask.

    Every recording must be inside ``root`` (default: the manifest's folder; a batch passes the
    folder it replays), after links are followed, unless ``allow_outside``."""
    file = str(path)
    doc = _read(path)
    try:
        check_keys(doc, file, "", TOP_KEYS, OPTIONAL_TOP_KEYS)
        check_keys(doc["expect"], file, "expect", EXPECT_KEYS, OPTIONAL_EXPECT_KEYS)
    except ContentError as exc:
        raise ManifestError(str(exc)) from None
    base = path.resolve().parent
    inside = None if allow_outside else (root.resolve() if root is not None else base)
    known_questions = set(question_ids)

    answers_doc = doc["answers"]
    if not isinstance(answers_doc, Mapping):
        raise _fail(file, where(doc, "answers"), "expected a mapping of question id → recording")
    answers: dict[str, tuple[Recording, ...]] = {}
    for question, value in answers_doc.items():
        if question not in known_questions:
            raise _fail(
                file, where(answers_doc, question, "answers"),
                f"unknown question id {question!r} (known: {', '.join(sorted(known_questions))})",
            )
        answers[question] = _recordings(value, file, where(answers_doc, question, "answers"), base, inside)
    default = _recordings(doc["default"], file, where(doc, "default"), base, inside) if "default" in doc else ()

    locale_raw = doc.get("locale", Locale.UK.value)
    try:
        locale = Locale(locale_raw)
    except ValueError:
        raise _fail(file, where(doc, "locale"), f"{locale_raw!r} is not a locale (use 'uk' or 'us')") from None
    description = doc.get("description", "")
    if not isinstance(description, str):
        raise _fail(file, where(doc, "description"), "expected text")

    expect_doc = doc["expect"]
    try:
        level = Level(expect_doc["level"])
    except ValueError:
        allowed = ", ".join(level.value for level in Level)
        raise _fail(file, where(expect_doc, "level", "expect"),
                    f"{expect_doc['level']!r} is not one of: {allowed}") from None
    finding_ids = load_rulebook().findings.keys()
    expect = Expected(
        level=level,
        present=_ids(expect_doc, "present", file, finding_ids),
        absent=_ids(expect_doc, "absent", file, finding_ids),
        unsure=_ids(expect_doc, "unsure", file, finding_ids),
    )
    voice, rate = _prompts(doc, file)
    return Manifest(path, locale, description.strip(), answers, default, expect, voice, rate)


def _prompts(doc: Mapping[str, Any], file: str) -> tuple[str | None, int | None]:
    """``prompts: {voice, rate}``, checked (the voice itself is checked against espeak-ng at replay)."""
    if "prompts" not in doc:
        return None, None
    prompts = doc["prompts"]
    if not isinstance(prompts, Mapping):
        raise _fail(file, where(doc, "prompts"), "expected a mapping with voice and/or rate")
    try:
        check_keys(prompts, file, "prompts", (), PROMPT_KEYS)
    except ContentError as exc:
        raise ManifestError(str(exc)) from None
    voice, rate = prompts.get("voice"), prompts.get("rate")
    if voice is not None and (not isinstance(voice, str) or not voice.strip() or "\0" in voice
                              or len(voice) > MAX_VOICE_CHARS or voice.lstrip().startswith("-")):
        raise _fail(file, where(prompts, "voice", "prompts"), "expected an espeak-ng voice name, e.g. en-gb")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int)
                             or not MIN_SPEECH_RATE <= rate <= MAX_SPEECH_RATE):
        raise _fail(file, where(prompts, "rate", "prompts"),
                    f"expected words a minute, {MIN_SPEECH_RATE} to {MAX_SPEECH_RATE}")
    return (voice.strip() if voice else None), rate


def find_manifests(folder: Path, exclude: Iterable[Path] = ()) -> list[Path]:
    """Every manifest under ``folder`` (recursively, links to folders not followed), in a stable
    order; nothing under ``exclude`` (a report folder inside the suite holds JSON that is no manifest)."""
    try:
        if not folder.is_dir():
            raise ManifestError(f"{folder}: not a folder")
        skip = [Path(os.path.realpath(path)) for path in exclude]
        found: list[Path] = []
        for root, dirs, names in os.walk(folder, followlinks=False):
            here = Path(os.path.realpath(root))
            if any(here == other or here.is_relative_to(other) for other in skip):
                dirs.clear()
                continue
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in names:
                path = Path(root) / name
                if path.suffix.lower() in MANIFEST_SUFFIXES and not name.startswith(".") and path.is_file():
                    found.append(path)
    except OSError as exc:
        raise ManifestError(f"{folder}: cannot read the folder: {exc.strerror or exc}") from None
    if not found:
        raise ManifestError(f"{folder}: no manifests (*.yaml, *.yml, *.json) in this folder")
    return sorted(found)
