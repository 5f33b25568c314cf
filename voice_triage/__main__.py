"""``python -m voice_triage`` runs the command line."""

from .cli import main

raise SystemExit(main())
