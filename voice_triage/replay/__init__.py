"""Recorded sessions for testers: manifests, the replay of one session through the real pipeline,
batches, metrics, JSON and HTML reports, and persona suites (docs/replay.md)."""

from .manifest import Expected, Manifest, load_manifest
from .run import ReplayResult, replay_file, run_session

__all__ = ["Expected", "Manifest", "ReplayResult", "load_manifest", "replay_file", "run_session"]
