"""The command line: one module per command group, each with ``register(subparsers)``."""

from .app import build_parser, main

__all__ = ["build_parser", "main"]
