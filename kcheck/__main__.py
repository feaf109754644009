"""Allow ``python -m kcheck``."""

from kcheck.console import run

run()
