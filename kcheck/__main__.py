"""Allow ``python -m kcheck``."""

from kcheck.cli import run

run()
