"""Command-line subcommands; each module offers ``register(subparsers)`` for ``supportdesk.cli``."""
