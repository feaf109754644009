"""Check user-written TOML documents (waivers, manifests) against their schemas.

These files are user input that nothing else has checked, so they are
validated at run time; jsonschema is imported only here, only then.
"""

from __future__ import annotations

import datetime
import json
import tomllib
from typing import Any

from kcheck.engine.loader import MAX_DEPTH, _json_path, too_deep
from kcheck.errors import InputError
from kcheck.resources import data_path

TOML_LIMIT = 4 * 1024 * 1024


def read_toml(path: str, what: str) -> dict[str, Any]:
    """Read a bounded TOML file; any problem is one :class:`InputError` naming ``path``."""
    from kcheck.inputs.files import decode_text, read_bounded

    text = decode_text(path, read_bounded(path, TOML_LIMIT, what=what), what=what)
    if not text.strip():
        raise InputError(path, f"empty file; not a {what}")
    try:
        # Dates become ISO strings here, not only for the schema: code that reads
        # the document after validation then sees the types the schema checked
        # (``reason = 2000-01-01`` passed as a string and failed as a date).
        return plain(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, f"not valid TOML: {exc}") from None
    except RecursionError:
        raise InputError(path, "nested too deeply") from None


def validate(document: dict[str, Any], schema_name: str, source: str) -> None:
    """Raise :class:`InputError` naming the first field that breaks ``schemas/<schema_name>``.

    TOML dates and times become ISO strings first, so that the schema can say
    what a date must look like.
    """
    import jsonschema

    if too_deep(document):
        raise InputError(source, f"nested more than {MAX_DEPTH} levels deep")
    schema = json.loads(data_path("schemas").joinpath(schema_name).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(plain(document)), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        where = _json_path(error.absolute_path) or "(top level)"
        raise InputError(source, f"{where}: {error.message}")


def plain(value: Any) -> Any:
    """The document with TOML date/time values as ISO strings."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return value
