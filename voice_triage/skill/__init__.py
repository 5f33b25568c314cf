"""An OpenVoiceOS skill: the triage conversation on the assistant people already have.

``skill.TriageSkill`` (ovos-workshop's ``OVOSSkill``) is registered with OpenVoiceOS's plugin
manager through the ``opm.skill`` entry point (skill id ``skill-voice-triage.voice-triage``), so
``pip install voice-triage`` next to ``ovos-core`` installs it. It starts on "I have back pain",
"my back hurts", "check my back" (``vocabulary.py``: from ``grammars/``), puts each question with
``get_response``, reads each reply with this project's NLU through ``dialogue.Conversation`` and
speaks through the assistant's TTS; transcripts come from the assistant's speech recognizer.

This ``__init__`` imports nothing, so that importing the package does not load ovos-workshop.
"""

#: The skill id OpenVoiceOS knows it by (the ``opm.skill`` entry point's name).
SKILL_ID = "skill-voice-triage.voice-triage"
