"""Long values in messages: the start and the end, and how much was left out.

A 16 KiB ``--append`` or a config string shown whole in every finding that
names it made megabytes of report; a person needs the ends to recognise it.
"""

from __future__ import annotations

#: Characters of one value shown in a message.
VALUE_LIMIT = 200


def abbreviate(text: str, limit: int = VALUE_LIMIT) -> str:
    """``text`` if it has at most ``limit`` characters, else its two ends and the count between."""
    if len(text) <= limit:
        return text
    keep = max(limit // 2 - 20, 8)
    return f"{text[:keep]}...[{len(text) - 2 * keep} characters]...{text[-keep:]}"
