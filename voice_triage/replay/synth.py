"""``voice-triage synth PERSONAS [--out DIR]``: a replay suite from a persona file, no microphone.

A persona says what someone has, is unsure of, and says to the open question. For every persona
and every variant (voice × speaking rate × noise level, and with ``wordings: all`` × wording) this
writes the recorded answers (espeak-ng or the neural voice of hibari-tts, then sox: padding, 16 kHz,
pink noise mixed at a set signal-to-noise ratio) and one manifest whose expected outcome comes from
the rules core. By default the wording of yes/no answers rotates with the variant; ``wordings: all``
makes the suite factorial, every wording with every voice, rate and noise level, so their effects
can be told apart. Format: ``docs/replay.md``.
"""

from __future__ import annotations

import concurrent.futures
import functools
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from ..audio.espeak_worker import NO_SOUND_SERVER, PULSE_SERVER_ENV
from ..clinical.catalogue import Locale, Tier, load_rulebook
from ..clinical.rules import decide
from ..content import check_keys, load_yaml, where
from ..errors import ContentError, ManifestError, SpeechError, UsageError
from ..files import private_dir, write_bytes, write_text

#: The variants made when the persona file does not list its own. Three accents, a slow and a
#: brisk rate, clean and noisy: 12 sessions per persona is a suite a 2-core machine replays in a
#: minute, while still catching a recognizer tuned to one voice or to silence around the words.
DEFAULT_VOICES: Final = ("en-gb", "en-us+f3", "en-gb-scotland+m3")
DEFAULT_RATES: Final = (130, 175)
DEFAULT_SNR_DB: Final = (None, 15)
#: Silence before and after each answer (s): real recordings start and stop around the words.
PAD_S: Final = (0.3, 0.5)
#: Yes/no wording, rotated by variant: people say more than "yes" and "no".
YES: Final = ("yes", "yes I have", "yeah", "yes I do")
NO: Final = ("no", "no I haven't", "no not at all", "no I don't")
UNSURE: Final = ("I'm not sure", "I don't know", "not sure")
CONFIRM_YES: Final = ("yes", "yes that's right", "that's right")
PERSONA_KEYS: Final = ("id", "says")
OPTIONAL_PERSONA_KEYS: Final = ("has", "unsure", "locale", "description")
VARIANT_KEYS: Final = ("voices", "rates", "noise_snr_db", "wordings")
#: ``wordings: rotate`` (the default) ties each variant to one wording; ``all`` is factorial.
WORDINGS: Final = ("rotate", "all")
#: How many wordings a factorial suite has: the longest of the wording lists above.
WORDING_COUNT: Final = max(len(YES), len(NO), len(UNSURE), len(CONFIRM_YES))
#: A voice named ``hibari:<voice>`` is hibari-tts's neural voice (``hibari:heart`` ships in its wheel).
HIBARI_PREFIX: Final = "hibari:"
#: hibari-tts speaks at about this many words a minute at speed 1.0 (measured: 224 on a 19-word
#: sentence, pauses included); a variant's rate becomes speed = rate / this. Approximate, as
#: espeak-ng's own -s is: a neural voice does not keep one exact rate.
HIBARI_WPM: Final = 224.0
_ID: Final = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
#: Longest persona answer text (characters): a spoken answer, not a document.
MAX_SAYS_CHARS: Final = 2000
#: Longest one espeak-ng or sox run may take (s); a stuck tool is an error, never a hang.
TOOL_TIMEOUT_S: Final = 120.0


@dataclass(frozen=True)
class Persona:
    id: str
    says: str
    has: tuple[str, ...]
    unsure: tuple[str, ...]
    locale: Locale
    description: str


@dataclass(frozen=True)
class Variant:
    voice: str
    rate: int
    snr_db: float | None
    index: int
    wording: int | None = None  # the wording of a factorial suite; None: rotated with ``index``

    @property
    def name(self) -> str:
        noise = "clean" if self.snr_db is None else f"snr{self.snr_db:g}"
        wording = "" if self.wording is None else f"_w{self.wording + 1}"
        return f"{re.sub(r'[^a-z0-9]+', '-', self.voice.lower())}_{self.rate}wpm_{noise}{wording}"

    @property
    def phrasing(self) -> int:
        """Which wording of the lists above this variant's answers use."""
        return self.index if self.wording is None else self.wording


def _fail(file: str, at: str, problem: str) -> ManifestError:
    return ManifestError(f"{file}: {at}: {problem}")


def _id_list(entry: Mapping[str, Any], key: str, file: str, prefix: str, known: Mapping[str, Any]) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _fail(file, where(entry, key, prefix), "expected a list of finding ids")
    for item in value:
        if item not in known:
            raise _fail(file, where(entry, key, prefix), f"unknown finding id {item!r} (see 'voice-triage findings')")
    return tuple(value)


def load_personas(path: Path) -> tuple[list[Persona], list[Variant]]:
    """Read a persona file strictly: unknown keys or ids are errors naming the file and key."""
    file = str(path)
    if not path.is_file():
        raise ManifestError(f"{file}: persona file not found")
    try:
        doc = load_yaml(path, file)
        check_keys(doc, file, "", ["personas"], ["variants"])
        items = doc["personas"]
        if not isinstance(items, list) or not items:
            raise _fail(file, where(doc, "personas"), "expected a non-empty list of personas")
        findings = load_rulebook().findings
        personas: list[Persona] = []
        for index, entry in enumerate(items):
            prefix = f"personas[{index}]"
            check_keys(entry, file, prefix, PERSONA_KEYS, OPTIONAL_PERSONA_KEYS)
            pid, says = entry["id"], entry["says"]
            if not isinstance(pid, str) or not _ID.match(pid) or pid in {p.id for p in personas}:
                raise _fail(file, where(entry, "id", prefix), f"{pid!r}: expected a new lower-case id")
            if not isinstance(says, str) or not says.strip():
                raise _fail(file, where(entry, "says", prefix), "expected what the persona says to the open question")
            if "\0" in says or len(says) > MAX_SAYS_CHARS:
                raise _fail(file, where(entry, "says", prefix),
                            f"expected plain text of at most {MAX_SAYS_CHARS} characters, without NUL")
            locale = entry.get("locale", "uk")
            if locale not in {loc.value for loc in Locale}:
                raise _fail(file, where(entry, "locale", prefix), f"{locale!r} is not a locale (use 'uk' or 'us')")
            personas.append(Persona(pid, says.strip(), _id_list(entry, "has", file, prefix, findings),
                                    _id_list(entry, "unsure", file, prefix, findings), Locale(locale),
                                    str(entry.get("description", ""))))
        return personas, _variants(doc.get("variants"), file)
    except ContentError as exc:
        raise ManifestError(str(exc)) from None


def _variants(doc: Any, file: str) -> list[Variant]:
    voices, rates, snrs = list(DEFAULT_VOICES), list(DEFAULT_RATES), list(DEFAULT_SNR_DB)
    wordings: list[int | None] = [None]
    if doc is not None:
        check_keys(doc, file, "variants", (), VARIANT_KEYS)
        voices = doc.get("voices", voices)
        rates = doc.get("rates", rates)
        snrs = doc.get("noise_snr_db", snrs)
        mode = doc.get("wordings", "rotate")
        if mode not in WORDINGS:
            raise _fail(file, where(doc, "wordings", "variants"), f"{mode!r}: expected one of {', '.join(WORDINGS)}")
        if mode == "all":
            wordings = list(range(WORDING_COUNT))
        for key, values, ok in (("voices", voices, lambda v: isinstance(v, str) and v.strip()),
                                ("rates", rates, lambda v: isinstance(v, int) and 80 <= v <= 450),
                                ("noise_snr_db", snrs, lambda v: v is None or isinstance(v, int | float))):
            if not isinstance(values, list) or not values or not all(ok(v) for v in values):
                raise _fail(file, where(doc, key, "variants"), f"expected a non-empty list of {key}")
    combos = [(v, r, s, w) for v in voices for r in rates for s in snrs for w in wordings]
    return [Variant(v, r, s, i, w) for i, (v, r, s, w) in enumerate(combos)]


def answer_text(persona: Persona, question: str, asks_about: tuple[str, ...], variant: Variant) -> str | None:
    """What the persona says to a question; ``None`` for a plain "no" (the manifest default)."""
    if question == "open":
        return persona.says
    if question.startswith("confirm_"):
        finding = question.removeprefix("confirm_")
        return CONFIRM_YES[variant.phrasing % len(CONFIRM_YES)] if finding in persona.has else None
    if any(fid in persona.has for fid in asks_about):
        return YES[variant.phrasing % len(YES)]
    if any(fid in persona.unsure for fid in asks_about):
        return UNSURE[variant.phrasing % len(UNSURE)]
    return None


def _need_tools() -> None:
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        raise UsageError(f"synth needs {' and '.join(missing)}: install with 'make system'")


def _tool_env() -> dict[str, str]:
    """The environment for espeak-ng and sox: no sound server (they only write files; see
    ``audio.espeak_worker``), so nothing is left in HOME or TMPDIR."""
    return {**os.environ, PULSE_SERVER_ENV: NO_SOUND_SERVER}


def _run(args: list[str], *, data: bytes | None = None, text: bool = False) -> subprocess.CompletedProcess[Any]:
    """Run a tool: ``data`` on its stdin (else none: a tool must never wait for input), bounded in time."""
    if data is not None:
        return subprocess.run(args, check=True, capture_output=True, env=_tool_env(), input=data,
                              timeout=TOOL_TIMEOUT_S)
    return subprocess.run(args, check=True, capture_output=True, env=_tool_env(), stdin=subprocess.DEVNULL,
                          timeout=TOOL_TIMEOUT_S, text=text)


@functools.cache
def espeak_voices() -> tuple[frozenset[str], frozenset[str]]:
    """espeak-ng's voice names (language codes, names, files) and variant names, lower-case."""
    def names(spec: str) -> frozenset[str]:
        out = _run(["espeak-ng", f"--voices={spec}" if spec else "--voices"], text=True).stdout
        found: set[str] = set()
        for line in out.splitlines()[1:]:
            parts = line.split()
            if len(parts) >= 5:
                found.update(part.lower() for part in (parts[1], parts[3], parts[4], parts[4].rsplit("/", 1)[-1]))
        return frozenset(found)

    return names(""), names("variant")


@functools.cache
def _voice_files() -> dict[str, str]:
    """espeak-ng's voice files by every name they answer to (lower case): the file, its last part,
    the voice name and the language; the first voice listed for a language wins, as in espeak-ng."""
    files: dict[str, str] = {}
    for line in _run(["espeak-ng", "--voices"], text=True).stdout.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 5:
            for name in (parts[4], parts[4].rsplit("/", 1)[-1], parts[3], parts[1]):
                files.setdefault(name.lower(), parts[4])
    return files


def voice_file(voice: str) -> str | None:
    """The espeak-ng voice file (``gmw/en-gb-scotland``) for a name, file or language
    (``en-gb-scotland``), with its ``+variant`` kept; None when espeak-ng lists no such voice."""
    base, plus, variant = voice.strip().partition("+")
    if shutil.which("espeak-ng") is None:
        return None
    found = _voice_files().get(base.lower())
    return None if found is None else found + plus + variant


def check_voice(voice: str, file: str) -> None:
    """espeak-ng quietly falls back to another voice for a name it does not know: refuse it. A
    ``hibari:`` voice needs hibari-tts installed and that voice loadable."""
    if voice.startswith(HIBARI_PREFIX):
        _hibari(voice.removeprefix(HIBARI_PREFIX))
        return
    base, _, variant = voice.strip().lower().partition("+")
    voices, variants = espeak_voices()
    if base not in voices or (variant and variant not in variants):
        raise ManifestError(f"{file}: variants.voices: {voice!r} is not an espeak-ng voice "
                            "(list them with 'espeak-ng --voices=en' and 'espeak-ng --voices=variant')")


#: hibari-tts voices are loaded once and spoken one at a time (the renderers run in threads).
_HIBARI_LOCK: Final = threading.Lock()


@functools.cache
def _hibari(voice: str) -> Any:
    """hibari-tts's voice ``voice``, loaded once; a one-line error when it cannot be."""
    try:
        from hibari import Hibari  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        raise SpeechError(f"voice {HIBARI_PREFIX}{voice}: hibari-tts is not installed "
                          "(pip install hibari-tts; espeak-ng voices work without it)") from None
    try:
        return Hibari(voice)
    except Exception as exc:  # an unknown voice or a model that will not load: its own errors
        raise SpeechError(f"voice {HIBARI_PREFIX}{voice}: hibari-tts cannot load it ({exc})") from None


def _speak(text: str, variant: Variant, pitch: int, raw: Path) -> None:
    """The words as a WAV at ``raw``: espeak-ng (text on stdin), or hibari-tts for its voices."""
    if variant.voice.startswith(HIBARI_PREFIX):
        tts = _hibari(variant.voice.removeprefix(HIBARI_PREFIX))
        with _HIBARI_LOCK:
            tts.save(text, str(raw), speed=variant.rate / HIBARI_WPM, seed=0)
        return
    _run(["espeak-ng", "-v", variant.voice, "-s", str(variant.rate), "-p", str(pitch), "-w", str(raw), "--stdin"],
         data=text.encode("utf-8"))


def _rms(path: Path) -> float:
    out = _run(["sox", str(path), "-n", "stat"], text=True).stderr
    match = re.search(r"RMS\s+amplitude:\s+([0-9.eE+-]+)", out)
    return float(match.group(1)) if match else 0.0


def render_answer(text: str, variant: Variant, out: Path, work: Path | None = None) -> None:
    """espeak-ng → padded 16 kHz mono WAV, with pink noise at the variant's SNR (sox, repeatable).

    The text goes to espeak-ng on its standard input, so text starting with ``-`` is spoken, never
    taken as an option. Intermediate files live in ``work`` (a private folder inside the output);
    ``out`` is written owner-only and atomically."""
    pitch = 35 + (variant.index * 17) % 40  # vary the pitch across variants too
    with tempfile.TemporaryDirectory(prefix=".synth-", dir=work or out.parent) as tmp:
        raw, clean, noise = Path(tmp) / "raw.wav", Path(tmp) / "clean.wav", Path(tmp) / "noise.wav"
        mixed = Path(tmp) / "out.wav"
        _speak(text, variant, pitch, raw)
        speech_rms = _rms(raw)
        target = clean if variant.snr_db is not None else mixed
        _run(["sox", "-R", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(target),
              "pad", str(PAD_S[0]), str(PAD_S[1])])
        if variant.snr_db is not None:
            length = _run(["soxi", "-D", str(clean)], text=True).stdout
            _run(["sox", "-R", "-n", "-r", "16000", "-c", "1", "-b", "16", str(noise), "synth",
                  length.strip(), "pinknoise", "vol", "0.5"])
            gain = speech_rms / (max(_rms(noise), 1e-6) * 10 ** (variant.snr_db / 20))
            _run(["sox", "-R", "-m", "-v", "1", str(clean), "-v", f"{gain:.6f}", str(noise), str(mixed),
                  "norm", "-1"])
        write_bytes(out, mixed.read_bytes(), "synth: cannot write")


def synth_suite(personas_file: Path, out: Path) -> list[Path]:
    """Write recordings and manifests under ``out``; returns the manifest paths."""
    from ..dialogue.questions import load_questions

    _need_tools()
    personas, variants = load_personas(personas_file)
    for voice in sorted({variant.voice for variant in variants}):
        check_voice(voice, str(personas_file))
    private_dir(out, "synth --out")
    book, questions = load_rulebook(), load_questions()
    asks: dict[str, tuple[str, ...]] = {q.id: tuple(q.asks_about) for q in questions.questions}
    for finding in book.findings:
        asks[f"ask_{finding}"] = (finding,)
        asks[f"confirm_{finding}"] = (finding,)
    known = set(questions.question_ids())
    jobs: dict[Path, tuple[str, Variant]] = {}
    manifests: list[tuple[Path, dict[str, Any]]] = []
    for persona in personas:
        expected = decide(book, persona.has, persona.unsure, persona.locale)
        for variant in variants:
            audio_dir = out / "audio" / variant.name
            manifest_path = out / persona.id / f"{variant.name}.yaml"

            def recording(text: str, audio_dir: Path = audio_dir, variant: Variant = variant,
                          manifest_path: Path = manifest_path) -> dict[str, str]:
                slug = hashlib.sha1(text.lower().encode()).hexdigest()[:10]
                wav = audio_dir / f"{re.sub(r'[^a-z0-9]+', '-', text.lower())[:40].strip('-')}-{slug}.wav"
                jobs[wav] = (text, variant)
                return {"audio": os.path.relpath(wav, manifest_path.parent), "text": text}

            answers = {}
            for question, about in asks.items():
                said = answer_text(persona, question, about, variant)
                if said is not None and question in known:
                    answers[question] = recording(said)
            manifests.append((manifest_path, {
                "description": persona.description or f"persona {persona.id}, {variant.name}",
                "locale": persona.locale.value,
                "answers": answers,
                "default": recording(NO[variant.phrasing % len(NO)]),
                "expect": {"level": expected.level.value,
                           "present": [f for f in persona.has if book.findings[f].tier is not Tier.CONTEXT],
                           "unsure": [f for f in persona.unsure if f not in persona.has]},
            }))
    for folder in sorted({wav.parent for wav in jobs} | {path.parent for path, _ in manifests}):
        private_dir(folder, "synth --out")
    with tempfile.TemporaryDirectory(prefix=".synth-work-", dir=out) as work, \
            concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = [pool.submit(render_answer, text, variant, wav, Path(work)) for wav, (text, variant) in jobs.items()]
        try:
            for future in futures:
                future.result()
        except subprocess.CalledProcessError as exc:
            detail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()
            raise UsageError(f"synth: {exc.cmd[0]} failed: {detail[-1] if detail else exc}") from None
        except subprocess.TimeoutExpired as exc:
            raise UsageError(f"synth: {exc.cmd[0]} did not finish within {TOOL_TIMEOUT_S:g} s") from None
        finally:
            for future in futures:
                future.cancel()
    for path, doc in manifests:
        write_text(path, yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "synth: cannot write")
    return [path for path, _ in manifests]
