"""Where the bundled rules and schemas are.

An installed kcheck carries them in ``kcheck/_data`` (copied there by the
wheel build); a source checkout keeps them at the top of the tree.
"""

from __future__ import annotations

import os
from pathlib import Path


def data_path(name: str) -> Path:
    """The directory of bundled ``rules`` or ``schemas``."""
    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))  # kcheck/
    installed = os.path.join(package, "_data", name)
    if os.path.isdir(installed):
        return Path(installed)
    return Path(os.path.dirname(package), name)
