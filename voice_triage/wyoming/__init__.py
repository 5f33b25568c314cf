"""A Wyoming service (Home Assistant's voice protocol): ``voice-triage serve --uri tcp://HOST:PORT``.

One server offers three programs, each an ordinary Wyoming service:

- ``handle`` (a conversation agent): a ``transcript`` in, a ``handled`` with what to say next out,
  one triage conversation per ``context.conversation_id`` (``conversations.py``);
- ``tts``: ``synthesize`` → ``audio-start`` / ``audio-chunk`` / ``audio-stop`` (espeak-ng through pyttsx3);
- ``asr``: ``transcribe`` + audio → ``transcript``, with this project's recognizer chain, held to
  the current question's phrases when the context names a live conversation.

``protocol.py`` reads events without trusting them (a malformed or unknown event gets a Wyoming
``error`` and the connection stays open); ``handler.py`` answers them; ``server.py`` listens.

The core stages know nothing of Wyoming: this package only drives ``dialogue.Conversation``,
``audio.speaker`` and ``session.turn`` like any other front end.

Import ``voice_triage.wyoming.server`` for ``serve``; this ``__init__`` imports nothing, so that
the command line can read ``options`` without loading the ``wyoming`` library or numpy.
"""
