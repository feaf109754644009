"""Check user-written TOML documents (waivers, manifests) against their schemas.

These files are user input that nothing else has checked, so they are
validated at run time; jsonschema is imported only here, only then.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from typing import Any

from kcheck.domain.errors import InputError, KcheckError
from kcheck.domain.resources import data_path
from kcheck.inputs.files import decode_text, read_bounded

TOML_LIMIT = 4 * 1024 * 1024
#: Deepest nesting of tables/arrays a user document may have.  Real rules nest
#: predicates a handful of levels; jsonschema and the predicate compiler
#: recurse about 10 Python frames per level, so ~150 levels was a traceback.
MAX_DEPTH = 64


def read_toml(path: str, what: str, limit: int = TOML_LIMIT) -> dict[str, Any]:
    """Read a bounded TOML file; any problem is one :class:`InputError` naming ``path``."""
    return parse_toml(read_bounded(path, limit, what=what), path, what)


def parse_toml(data: bytes, source: str, what: str, error: type[KcheckError] = InputError) -> dict[str, Any]:
    """TOML bytes as a document; undecodable, invalid or too deeply nested input is ``error``."""
    import tomllib  # lazy: tomllib: only when a TOML file is read

    text = decode_text(source, data, what=what)
    if not text.strip():
        raise error(source, f"empty file; not a {what}")
    try:
        # Dates become ISO strings here, not only for the schema: code that reads
        # the document after validation then sees the types the schema checked
        # (``reason = 2000-01-01`` passed as a string and failed as a date).
        return plain(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise error(source, f"not valid TOML: {exc}") from None
    except RecursionError:
        raise error(source, "nested too deeply") from None


def validate(document: dict[str, Any], schema_name: str, source: str,
             error: type[KcheckError] = InputError) -> None:
    """Raise :class:`InputError` naming the first field that breaks ``schemas/<schema_name>``.

    TOML dates and times become ISO strings first, so that the schema can say
    what a date must look like.
    """
    import jsonschema  # lazy: jsonschema: only files a user gives are validated at run time

    if too_deep(document):
        raise error(source, f"nested more than {MAX_DEPTH} levels deep")
    schema = json.loads(data_path("schemas").joinpath(schema_name).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(plain(document)), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = _json_path(first.absolute_path) or "(top level)"
        raise error(source, f"{where}: {first.message}")


def too_deep(document: Any, limit: int = MAX_DEPTH) -> bool:
    """True when tables and arrays nest more than ``limit`` levels (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            if depth >= limit:
                return True
            stack.extend((item, depth + 1) for item in value)
    return False


def _json_path(parts: Iterable[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def plain(value: Any) -> Any:
    """The document with TOML date/time values as ISO strings."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return value
