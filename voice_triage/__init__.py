"""voice_triage: an offline, hands-free assistant that helps a person with back pain decide how
urgently they need care.

Pipeline (one module per stage): audio in → speech recognition → intent (words to answers and
findings) → dialogue → rules → speech out, with a report of why.
"""

__version__ = "0.1.0"
