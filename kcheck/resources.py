"""Where the bundled rules and schemas are.

An installed kcheck carries them in ``kcheck/_data`` (copied there by the
wheel build); a source checkout keeps them at the top of the tree.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_path(name: str) -> Path:
    """The directory of bundled ``rules`` or ``schemas``."""
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name
