"""``TriageSkill``: the triage conversation as an OpenVoiceOS skill (ovos-workshop's ``OVOSSkill``).

One conversation per OpenVoiceOS session (a satellite or a HiveMind client has its own), driven
the way the text session drives one (``session/text.py``): the opening utterance ("I have back
pain") starts it and is not an answer; each question is put with ``get_response``; a reply is
``hear(text, spoken=True)`` (a speech recognizer's transcript), silence (``get_response``
returning None) is ``no_input()``. Every ``Say`` and ``Ask`` is spoken with ``speak``, the
assistant's own TTS; the words that come before a question are spoken with it, as one prompt,
so the microphone opens once, after the question.

Every way out ends with the safety message:

- the decision (the conversation's own end);
- the person says "stop": OpenVoiceOS's stop pipeline catches it before the skill's
  ``get_response`` does and calls ``stop_session``: the conversation ends as typing "stop" ends the
  text session (``EndReason.STOPPED``);
- the assistant cancels the question (``mycroft.skills.abort_question``) or stops everything
  (``mycroft.stop`` → ``stop``), or the skill is unloaded (``shutdown``): ended as at the end of
  typed input, with ``EndReason.INTERRUPTED`` for the assistant's own cancellations;
- a bug in the loop: the ``finally`` still ends the conversation and speaks its closing words.

The closing words of a stop or a cancellation are spoken by the conversation's own thread once
``get_response`` has returned, after OpenVoiceOS has stopped the speech it was playing (its stop
pipeline stops the TTS after the skill answers), so the safety message is not cut off with it.
Shutdown speaks at once: nothing else will.

Each decision is also put on the bus as ``voice-triage.decision`` (the ``session --text --json``
decision object) for programs that want it; nothing is written to disk but the generated intent
file (``vocabulary.py``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ovos_bus_client.message import Message, dig_for_message
from ovos_bus_client.session import SessionManager
from ovos_utils import classproperty
from ovos_utils.process_utils import RuntimeRequirements
from ovos_workshop.skills.ovos import OVOSSkill

from ..clinical.catalogue import Locale, Rulebook, load_rulebook
from ..dialogue.conversation import Ask, Conversation, Decided, EndReason, Event, Say
from ..dialogue.questions import QuestionBook, load_questions
from ..nlu.matcher import Matcher, load_matcher
from ..session.text import event_json
from . import vocabulary

#: Bus message carrying each decision (the JSON-lines ``decision`` object).
DECISION_MESSAGE: Final = "voice-triage.decision"
#: Marks the prompt passed to ``get_response`` as literal words, not a dialog file name
#: (``speak_dialog`` would otherwise turn its full stops into spaces).
_LITERAL: Final = "voice_triage_literal"
#: How long a ``get_response`` that returned nothing is given to turn out to be a cancellation
#: (the abort message reaches this skill on another thread) before it is taken as silence (s).
CANCEL_GRACE_S: Final = 0.3
#: Wait for the TTS to finish a question before the answer's wait starts (get_response's own
#: default); the audio service reports the end of speech.
WAIT_FOR_SPEECH: Final = True
#: Pause between one ``get_response`` and the next (s). Each one switches the session to
#: "response" mode and back, directly and again by bus messages that ovos-core handles on a thread
#: pool and echoes as session snapshots; back to back, the previous turn's "back to intents" could
#: be applied after the next turn's "response", and the reply would go to the intent parser
#: instead (measured: without it, each of three runs of tests/test_skill.py's whole conversation
#: lost replies, 3 of 23 in one). A quarter second lets the previous switch settle (seven runs with
#: it lost none), and is far shorter than speaking the next question.
TURN_SETTLE_S: Final = 0.25


def locale_of(lang: str | None, default: Locale) -> Locale:
    """``en-US`` → us (ER, 911), ``en-GB`` → uk (A&E, 999), any other tag → ``default``."""
    tag = (lang or "").strip().lower().replace("_", "-")
    if tag == "en-us":
        return Locale.US
    if tag in ("en-gb", "en-uk"):
        return Locale.UK
    return default


@dataclass
class _Live:
    """One session's conversation, and the closing words a stop left for its thread to speak."""

    conversation: Conversation
    lock: threading.RLock = field(default_factory=threading.RLock)
    closing: list[Event] | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)

    def close(self, reason: EndReason) -> bool:
        """End the conversation now (its words wait in ``closing``); False: it had ended."""
        with self.lock:
            if self.conversation.done:
                return False
            self.closing = self.conversation.end_of_input(reason)
            self.cancelled.set()
            return True

    def take_closing(self) -> list[Event]:
        """The closing words not spoken yet (once), ending the conversation if it is still open."""
        with self.lock:
            if not self.conversation.done:
                self.closing = [*(self.closing or []), *self.conversation.end_of_input()]
            events, self.closing = self.closing or [], []
            return events


class TriageSkill(OVOSSkill):  # type: ignore[misc]  # ovos-workshop ships no type information
    """Back-pain triage: "I have back pain" → questions → how urgently to get care."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._live: dict[str, _Live] = {}
        self._live_lock = threading.Lock()
        self._book: Rulebook | None = None
        self._matcher: Matcher | None = None
        self._questions: QuestionBook | None = None
        super().__init__(*args, **kwargs)

    @classproperty  # type: ignore[untyped-decorator]
    def runtime_requirements(self) -> RuntimeRequirements:
        """Fully offline: load and run with no network and no GUI."""
        return RuntimeRequirements(internet_before_load=False, network_before_load=False,
                                   gui_before_load=False, requires_internet=False, requires_network=False,
                                   requires_gui=False, no_internet_fallback=True, no_network_fallback=True,
                                   no_gui_fallback=True)

    # --- set-up ---------------------------------------------------------------------------------

    def initialize(self) -> None:
        self._book, self._matcher, self._questions = load_rulebook(), load_matcher(), load_questions()
        self.register_intent_file(vocabulary.CHECK_INTENT, self.handle_start)
        generated = vocabulary.write_intent(Path(self.file_system.path))
        name = f"{self.skill_id}:{vocabulary.GENERATED_INTENT}"
        for lang in self.native_langs:
            self.intent_service.register_padatious_intent(name, str(generated), lang)
        self.add_event(name, self.handle_start, "mycroft.skill.handler", activation=True, is_intent=True)
        self.add_event("mycroft.skills.abort_question", self._handle_abort, speak_errors=False)

    def new_conversation(self, locale: Locale) -> Conversation:
        assert self._book is not None and self._matcher is not None and self._questions is not None
        return Conversation(self._book, self._matcher, self._questions, locale, offer_repeat=False)

    def default_locale(self) -> Locale:
        value = str(self.settings.get("locale") or "").strip().lower()
        return Locale(value) if value in {m.value for m in Locale} else Locale.UK

    # --- the conversation -----------------------------------------------------------------------

    def handle_start(self, message: Message) -> None:
        """The intent handler: one whole conversation, in this handler's thread."""
        sid = SessionManager.get(message).session_id
        lang = message.data.get("lang") or SessionManager.get(message).lang
        live = _Live(self.new_conversation(locale_of(lang, self.default_locale())))
        with self._live_lock:
            old, self._live[sid] = self._live.get(sid), live
        if old is not None:  # a second start in the same session: the first one ends properly
            old.close(EndReason.INTERRUPTED)
        try:
            with live.lock:
                events = live.conversation.start()
            turns = 0
            while True:
                ask = self._speak(events, message)
                with live.lock:
                    if live.closing is not None or live.conversation.done or ask is None:
                        break
                text = " ".join(e.text for e in events if isinstance(e, Say | Ask))
                if turns:
                    live.cancelled.wait(TURN_SETTLE_S)
                turns += 1
                reply = self.get_response(dialog=text, data={_LITERAL: True}, validator=lambda _utterance: True,
                                          num_retries=0, message=message, wait=WAIT_FOR_SPEECH)
                if reply is None:
                    live.cancelled.wait(CANCEL_GRACE_S)  # a cancellation arriving on another thread
                with live.lock:
                    if live.closing is not None or live.conversation.done:
                        break
                    if reply is None or not str(reply).strip():
                        events = live.conversation.no_input()
                    else:
                        events = live.conversation.hear(str(reply), spoken=True)
        finally:
            self._speak(live.take_closing(), message)
            with self._live_lock:
                if self._live.get(sid) is live:
                    del self._live[sid]

    def _speak(self, events: list[Event], message: Message) -> Ask | None:
        """Speak the events that end a turn (the decision's words, the safety message); return the
        question asked, whose words (and those before it) ``get_response`` speaks instead."""
        ask = next((e for e in events if isinstance(e, Ask)), None)
        for event in events:
            if isinstance(event, Decided):
                self.bus.emit(message.forward(DECISION_MESSAGE, event_json(event)))
            elif isinstance(event, Say) and ask is None:
                self.speak(event.text)
        return ask

    # --- the assistant's own ways out -----------------------------------------------------------

    def can_stop(self, message: Message) -> bool:
        live = self._live.get(SessionManager.get(message).session_id)
        return live is not None and not live.conversation.done

    def stop_session(self, session: Any) -> bool:
        """The person said "stop" (or the assistant stopped this session): as "stop" typed."""
        live = self._live.get(session.session_id)
        return live is not None and live.close(EndReason.STOPPED)

    def stop(self) -> bool:
        """A stop of everything: every conversation ends (each thread speaks its closing words)."""
        with self._live_lock:
            lives = list(self._live.values())
        return any([live.close(EndReason.INTERRUPTED) for live in lives])

    def _handle_abort(self, message: Message) -> None:
        """``mycroft.skills.abort_question`` for this skill: the question is cancelled, so is the
        conversation (its thread speaks the closing words when ``get_response`` returns)."""
        if message.data.get("skill_id") not in (None, "", self.skill_id):
            return
        live = self._live.get(SessionManager.get(message).session_id)
        if live is not None and live.closing is None:
            live.close(EndReason.INTERRUPTED)

    def shutdown(self) -> None:
        """The skill is unloaded: every conversation ends now, its closing words spoken at once."""
        with self._live_lock:
            lives = list(self._live.values())
        for live in lives:
            live.close(EndReason.INTERRUPTED)
            self._speak(live.take_closing(), dig_for_message() or Message("voice-triage.shutdown"))

    # --- ovos-workshop hooks --------------------------------------------------------------------

    def speak_dialog(self, key: str, data: dict[str, Any] | None = None, expect_response: bool = False,
                     wait: bool | int = False, render_callback: Any = None) -> None:
        """``get_response``'s prompt is the conversation's own words, spoken as they are."""
        if data and data.get(_LITERAL):
            self.speak(key, expect_response=expect_response, wait=wait)
            return
        super().speak_dialog(key, data, expect_response, wait, render_callback)

    def voc_match(self, utt: str, voc_filename: str, lang: str | None = None, exact: bool = False,
                  ensure_ascii: bool = True) -> bool:
        """No reply is swallowed as ``get_response``'s "cancel": every reply goes to this project's
        NLU, which reads "stop", "never mind" and the rest as the text session does."""
        if voc_filename == "cancel":
            return False
        return bool(super().voc_match(utt, voc_filename, lang, exact, ensure_ascii))
