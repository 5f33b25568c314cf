"""Replay one recorded session through the real pipeline.

For each question the conversation asks, the manifest's recording for it is read (``audio``),
recognized with that question's phrase list (``recognizer``), and the transcript goes to the
``Conversation`` exactly as a live answer would: ``hear`` / ``no_input`` / ``no_match``. Every
prompt is rendered to a WAV by ``speaker``, so the tester hears what a user would have heard. Each
turn records timings, the interpretation, and the word error rate when reference text is given;
the session ends with the decision and a check against the manifest's expected outcome.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ..asr.base import Recognizer, Status
from ..clinical.catalogue import load_rulebook
from ..errors import ManifestError
from ..session.turn import Heard, hear_transcript, open_listener, phrases_for
from ..settings import DEFAULT_SPEECH_RATE, VOICE_BY_LOCALE
from .manifest import Manifest, Recording, load_manifest
from .metrics import same_understanding, understanding_json, word_error_rate

#: A session that has not ended after this many answers is stuck (a conversation normally falls
#: back to its safety message after a few reprompts); it is reported as a failure, never hangs.
MAX_TURNS: Final = 60


@dataclass(frozen=True)
class Prompt:
    """What the assistant said before an answer (or at the end), and its rendered audio."""

    text: str
    audio: Path | None
    duration_s: float
    render_s: float


@dataclass(frozen=True)
class Turn:
    index: int
    question: str
    kind: str
    prompt: Prompt
    recording: Path
    reference: str | None
    transcript: str
    status: str
    confidence: float
    recognizer: str
    interpretation: dict[str, Any]
    answer_s: float
    decode_s: float
    dialogue_s: float
    wer: float | None
    correct: bool | None  # the transcript was understood as the reference text would have been

    @property
    def latency_s(self) -> float:
        """Answer heard → next words ready: recognition, understanding and the dialogue step."""
        return self.decode_s + self.dialogue_s


@dataclass(frozen=True)
class Outcome:
    level: str | None
    present: tuple[str, ...]
    absent: tuple[str, ...]
    unsure: tuple[str, ...]


@dataclass(frozen=True)
class ReplayResult:
    manifest: Manifest
    turns: tuple[Turn, ...]
    closing: Prompt | None
    outcome: Outcome
    decision: dict[str, Any] | None
    reasons: tuple[dict[str, Any], ...]
    mismatches: tuple[str, ...]
    wall_s: float
    recognizer: str = ""

    @property
    def passed(self) -> bool:
        return not self.mismatches

    @property
    def audio_s(self) -> float:
        """Audio a live session would have taken: every answer and every prompt."""
        prompts = sum(turn.prompt.duration_s for turn in self.turns)
        closing = self.closing.duration_s if self.closing else 0.0
        return prompts + closing + sum(turn.answer_s for turn in self.turns)


@functools.cache
def _recognizer(kind: str, model: str | None) -> Recognizer:
    # One recognizer per process and backend: loading a model costs far more than a session.
    return open_listener(kind, model_path(model))


def model_path(model: str | None) -> Path | None:
    """``--model`` as a path (``~`` expanded where it runs; an unknown ``~user`` is a one-line error)."""
    from ..asr.models import expand_user

    return expand_user(model, f"--model {model!r}") if model else None


def _fresh_recognizer(kind: str, model: str | None) -> Recognizer:
    """The process's recognizer, with what it adapted to in earlier sessions forgotten: a manifest
    gives the same transcripts whatever ran before it in this process and whichever worker runs it."""
    from ..asr.sphinx import reset_adaptation

    recognizer = _recognizer(kind, model)
    reset_adaptation()
    return recognizer


def question_ids() -> tuple[str, ...]:
    """The question ids a manifest may name: the questions, ``ask_<finding>`` and ``confirm_<finding>``."""
    from ..dialogue.questions import load_questions

    return tuple(load_questions().question_ids())


def load(path: Path) -> Manifest:
    return load_manifest(path, question_ids())


def _value(item: Any) -> str:
    """The plain value of a ``str`` Enum member (``str()`` of one gives ``Class.MEMBER``)."""
    return str(getattr(item, "value", item))


def _check(manifest: Manifest, outcome: Outcome) -> tuple[str, ...]:
    expect, problems = manifest.expect, []
    if outcome.level != expect.level.value:
        problems.append(f"level: expected {expect.level.value}, got {outcome.level or 'no decision'}")
    for label, wanted, got in (
        ("present", expect.present, outcome.present),
        ("absent", expect.absent, outcome.absent),
        ("unsure", expect.unsure, outcome.unsure),
    ):
        missing = [fid for fid in wanted if fid not in got]
        if missing:
            problems.append(f"{label}: expected {', '.join(missing)} (got {', '.join(got) or 'none'})")
    return tuple(problems)


class _Renderer:
    """Renders prompts through ``speaker`` and writes each to a WAV in ``folder``."""

    def __init__(self, folder: Path | None, voice: str | None = None, rate: int | None = None) -> None:
        from ..audio.speaker import Speaker

        self.speaker = Speaker(voice=voice, rate=rate or DEFAULT_SPEECH_RATE)
        self.folder = folder
        self.count = 0

    def __call__(self, texts: list[str]) -> Prompt:
        from ..audio.speaker import write_wav

        text = " ".join(part.strip() for part in texts if part.strip())
        started = time.perf_counter()
        if not text:
            return Prompt(text, None, 0.0, 0.0)
        rendered = self.speaker.render(text)
        self.count += 1
        if self.folder is None:  # no report asked for: the prompt is timed, never written
            return Prompt(text, None, rendered.duration_s, time.perf_counter() - started)
        path = self.folder / f"prompt-{self.count:02d}.wav"
        write_wav(path, rendered)
        return Prompt(text, path, rendered.duration_s, time.perf_counter() - started)


def _prompt_renderer(manifest: Manifest, audio_dir: Path | None) -> _Renderer:
    """Prompts in the manifest's ``prompts`` voice and rate, else the locale's voice at the default;
    an unknown voice is the manifest's error (naming it), not the command line's."""
    from ..errors import UsageError
    from .synth import voice_file

    voice = VOICE_BY_LOCALE.get(manifest.locale.value)
    if manifest.prompt_voice is not None:
        voice = voice_file(manifest.prompt_voice)
    try:
        if voice is None:
            raise UsageError("no such voice")
        return _Renderer(audio_dir, voice, manifest.prompt_rate)
    except UsageError as exc:
        if manifest.prompt_voice is None:
            raise
        raise ManifestError(f"{manifest.path}: prompts.voice: {manifest.prompt_voice!r} is not an espeak-ng "
                            "voice (list them with 'espeak-ng --voices=en')") from exc


def run_session(
    manifest: Manifest, asr: str = "auto", model: str | None = None, audio_dir: Path | None = None
) -> ReplayResult:
    """Replay ``manifest``; prompt WAVs go to ``audio_dir`` (else they are rendered, timed, never written)."""
    from ..audio.wav import read_wav
    from ..dialogue.conversation import Ask, Conversation, Decided, RateChanged
    from ..dialogue.questions import load_questions
    from ..nlu.matcher import load_matcher

    started = time.perf_counter()
    recognizer = _fresh_recognizer(asr, model)
    matcher = load_matcher()
    conversation = Conversation(load_rulebook(), matcher, load_questions(), manifest.locale)
    render = _prompt_renderer(manifest, audio_dir)
    asked: dict[str, int] = {}
    turns: list[Turn] = []
    decided: Any = None
    said: list[str] = []

    def absorb(events: list[Any]) -> Any:
        """Collect what is said; returns the question now asked, if any."""
        nonlocal decided
        ask = None
        for event in events:
            if isinstance(event, RateChanged):
                render.speaker.set_rate_factor(event.rate)
            elif isinstance(event, Decided):
                decided = event
            if isinstance(event, Ask):
                ask = event
            text = getattr(event, "text", "")
            if isinstance(text, str) and text.strip():
                said.append(text)
        return ask

    ask = absorb(conversation.start())
    while ask is not None and not conversation.done:
        if len(turns) >= MAX_TURNS:
            break
        prompt = render(said)
        said.clear()
        question = _value(ask.question)
        attempt = asked.get(question, 0)
        asked[question] = attempt + 1
        recording = manifest.recording_for(question, attempt)
        audio = read_wav(recording.audio)
        transcript = recognizer.transcribe(audio.samples, phrases_for(ask))
        t0 = time.perf_counter()
        heard = hear_transcript(conversation, transcript)
        dialogue_s = time.perf_counter() - t0
        turns.append(_turn(len(turns) + 1, question, _value(ask.kind), prompt, recording, heard,
                           audio.duration_s, dialogue_s, matcher))
        ask = absorb(heard.events)
    stuck = ask is not None and not conversation.done
    if not stuck and not conversation.done:
        # The advice ends with an offer to repeat it; the tester's user stays silent, as most do.
        absorb(conversation.no_input())
    closing = render(said) if said else None
    return _result(manifest, turns, closing, decided, time.perf_counter() - started,
                   getattr(recognizer, "name", asr), stuck=stuck)


def _turn(index: int, question: str, kind: str, prompt: Prompt, recording: Recording, turn: Heard,
          answer_s: float, dialogue_s: float, matcher: Any) -> Turn:
    transcript = turn.transcript
    heard = turn.understanding if transcript.status is Status.OK else None
    correct: bool | None = None
    wer: float | None = None
    if recording.text is not None:
        wer = word_error_rate(recording.text, transcript.text if transcript.status == "ok" else "")
        correct = heard is not None and same_understanding(matcher.understand(recording.text), heard)
    return Turn(
        index=index, question=question, kind=kind, prompt=prompt, recording=recording.audio,
        reference=recording.text, transcript=transcript.text, status=_value(transcript.status),
        confidence=float(transcript.confidence), recognizer=str(transcript.recognizer),
        interpretation=understanding_json(heard), answer_s=answer_s, decode_s=float(transcript.decode_s),
        dialogue_s=dialogue_s, wer=wer, correct=correct,
    )


def _result(manifest: Manifest, turns: list[Turn], closing: Prompt | None, decided: Any, wall_s: float,
            recognizer: str, stuck: bool) -> ReplayResult:
    if decided is not None:
        decision = decided.decision
        outcome = Outcome(decision.level.value, tuple(decided.present), tuple(decided.absent),
                          tuple(decided.unsure))
        decision_json: dict[str, Any] | None = decision.as_json()
        reasons = tuple(reason.as_json(detail=True) for reason in decision.reasons)
    else:
        outcome, decision_json, reasons = Outcome(None, (), (), ()), None, ()
    mismatches = _check(manifest, outcome)
    if stuck:
        mismatches = (f"the session did not end within {MAX_TURNS} answers", *mismatches)
    return ReplayResult(manifest, tuple(turns), closing, outcome, decision_json, reasons, mismatches, wall_s,
                        recognizer)


def load_checked(path: Path) -> Manifest:
    """Load one manifest and check it can be replayed (a bad manifest raises ``ManifestError``)."""
    manifest = load(path)
    if not manifest.answers and not manifest.default:
        raise ManifestError(f"{path}: answers: no recordings at all")
    return manifest


def replay_file(path: Path, asr: str = "auto", model: str | None = None,
                audio_dir: Path | None = None) -> ReplayResult:
    """Load and replay one manifest (a bad manifest raises ``ManifestError``)."""
    return run_session(load_checked(path), asr, model, audio_dir)
