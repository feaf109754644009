"""Load rule files (TOML) into :class:`Rule` values.

Bundled rules are validated against ``schemas/rule.schema.json`` by the test
suite, so loading them at run time only compiles them (jsonschema costs more
start-up time than the whole check).  Rule files a user adds with ``--rules``
are validated here, because nobody else has checked them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kcheck.domain import arch as arches
from kcheck.engine.evaluate import check_fact_paths
from kcheck.engine.fixes import compile_fixes
from kcheck.engine.predicates import compile_predicate
from kcheck.engine.rule import RULE_FORMAT, Rule
from kcheck.engine.rule_cache import cached, code_stamp
from kcheck.engine.template import check_fact_paths as check_template_paths
from kcheck.domain.errors import InputError, RuleError
from kcheck.domain.findings import KERNELS, ROLES, Severity
from kcheck.domain.resources import data_path
from kcheck.domain.version import VersionRange
from kcheck.inputs.files import read_bounded

RULE_FILE_LIMIT = 4 * 1024 * 1024


def bundled_rule_files() -> list[Path]:
    return [Path(path) for path in _bundled_paths()]


def _bundled_paths() -> list[str]:
    """The bundled rule files, sorted.

    Hidden files are not rules (an editor's ``.#capture.toml`` lock is a
    dangling symlink).
    """
    directory = data_path("rules")
    try:
        with os.scandir(directory) as entries:
            return sorted(entry.path for entry in entries
                          if entry.name.endswith(".toml") and not entry.name.startswith("."))
    except OSError as exc:
        raise InputError(str(directory), f"cannot list the bundled rules ({exc.strerror}); "
                                         "the kcheck installation is incomplete") from None


def _stamp(path: str) -> str:
    """Inode, size, mtime and ctime, as a cache key.  ctime changes with every write, copy or
    rename and cannot be set back (``touch -r``, ``cp -p`` and ``tar x`` restore mtime only).
    A file stat cannot read gets an empty stamp: reading it then gives the usual one-line error."""
    try:
        st = os.stat(path)
    except OSError:
        return ""
    return f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


def load_rules(extra: Iterable[str] = (), *, bundled: bool = True) -> list[Rule]:
    """The bundled rules plus user rule files/directories, ids unique.

    Compiled rules are cached (see rule_cache): a check then costs one
    unpickle instead of parsing TOML, which matters for a tool started on
    every kernel build.  The key holds every user rule file's bytes, read and
    checked as any input, and each bundled file's path with its stat stamp
    (:func:`_stamp`): reading ~80 files on every start cost more than the
    rest of loading the rules.
    """
    bundled_files = _bundled_paths() if bundled else []
    user_files: list[Path] = []
    for name in extra:
        path = Path(name)
        found = sorted(path.glob("*.toml")) if path.is_dir() else [path]
        user_files.extend(found)
    user = [(path, read_bounded(str(path), RULE_FILE_LIMIT, what="rule file"), True) for path in user_files]
    key = [code_stamp(), *(f"{path}\0{_stamp(path)}\0".encode() for path in bundled_files)]
    key += [part for path, data, _ in user for part in (f"\0{path}\0".encode(), data)]
    key.append(f"rule-format {RULE_FORMAT}".encode())  # a changed Rule record is never read from an old pickle

    def build() -> list[Rule]:
        contents = [(Path(path), read_bounded(path, RULE_FILE_LIMIT, what="rule file"), False)
                    for path in bundled_files]
        return _compile_files(contents + user)

    return cached(key, build)


#: Bounds on what ``--rules`` may ask of every check.  The bundled rules are
#: 84, the largest with 11 tables in its check and when; 2,000 generated rules
#: still load (issue 7's table).  A rule file under the size cap with 10,000
#: rules cost 12 s, one ``any`` of 80,000 tests 72 s; both bounds are checked
#: before the schema, which is the slow part.
MAX_USER_RULES = 2000
MAX_PREDICATE_TABLES = 256


def _compile_files(contents: list[tuple[Path, bytes, bool]]) -> list[Rule]:
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    user_rules = 0
    documents = []
    from kcheck.engine.legacy import modernise  # lazy: only rules being compiled need it

    for path, data, from_user in contents:
        document = modernise(parse_rule_text(data, str(path)))
        if from_user:
            user_rules += _check_bounds(document, str(path), user_rules)
            validate_rule_document(document, str(path))
        documents.append((path, document))
    sets = collect_sets(documents)
    for path, document in documents:
        for rule in compile_rule_document(document, str(path), sets):
            check_fact_paths(rule, str(path))
            if rule.id in seen:
                raise RuleError(str(path), f"rule id {rule.id} is already defined in {seen[rule.id]}")
            seen[rule.id] = str(path)
            rules.append(rule)
    return rules


def _check_bounds(document: dict[str, Any], source: str, before: int) -> int:
    """The number of rules in a user's rule document; RuleError past the bounds above."""
    from kcheck.inputs.validate import too_deep  # lazy: the TOML/schema reader: only when a file is validated

    if too_deep(document):
        return 0  # validate_rule_document says "nested more than 64 levels deep"
    tables = document.get("rule")
    if not isinstance(tables, list):
        return 0
    if before + len(tables) > MAX_USER_RULES:
        raise RuleError(source, f"{before + len(tables)} rules in --rules files; at most {MAX_USER_RULES}")
    for index, table in enumerate(tables):
        if not isinstance(table, dict):
            continue
        size = _tables(table.get("check")) + _tables(table.get("when"))
        if size > MAX_PREDICATE_TABLES:
            name = table.get("id") if isinstance(table.get("id"), str) else f"rule[{index}]"
            raise RuleError(source, f"rule {name}: check and when have {size} tests; "
                                    f"at most {MAX_PREDICATE_TABLES} (split it into rules)")
    return len(tables)


def _tables(value: Any) -> int:
    """How many tables a predicate has (nesting is capped at 64 levels when TOML is read)."""
    if isinstance(value, dict):
        return 1 + sum(_tables(item) for item in value.values())
    if isinstance(value, list):
        return sum(_tables(item) for item in value)
    return 0


def read_rule_file(path: Path) -> dict[str, Any]:
    return parse_rule_text(read_bounded(str(path), RULE_FILE_LIMIT, what="rule file"), str(path))


def parse_rule_text(data: bytes, source: str) -> dict[str, Any]:
    from kcheck.inputs.validate import parse_toml  # lazy: tomllib, only when the cache misses

    return parse_toml(data, source, "rule file", error=RuleError)


def validate_rule_document(document: dict[str, Any], source: str) -> None:
    """Check a rule document against the rule schema; name the field that is wrong.

    A document in the old spelling (``kernel =``, ``of =``) is checked as its
    modernised form, which is what runs.
    """
    from kcheck.engine.legacy import modernise  # lazy: only rules being compiled need it
    from kcheck.inputs.validate import validate  # lazy: jsonschema, only for user rule files

    validate(modernise(document), "rule.schema.json", source, error=RuleError)


def collect_sets(documents: list[tuple[Path, dict[str, Any]]]) -> dict[str, tuple[str, list[str]]]:
    """Every named set of config symbols (``[sets]``) of the rule files loaded together:
    name -> (file, symbols).  A name is defined once, so each list lives in one place."""
    sets: dict[str, tuple[str, list[str]]] = {}
    for path, document in documents:
        table = document.get("sets", {})
        if not isinstance(table, dict):
            raise RuleError(str(path), "sets: expected a table of named lists of config symbols")
        for name, symbols in table.items():
            if name in sets:
                raise RuleError(str(path), f"sets.{name} is already defined in {sets[name][0]}")
            if not isinstance(symbols, list) or not symbols or not all(isinstance(x, str) for x in symbols):
                raise RuleError(str(path), f"sets.{name}: expected a non-empty list of config symbols")
            sets[name] = (str(path), symbols)
    return sets


def compile_rule_document(document: dict[str, Any], source: str,
                          sets: dict[str, tuple[str, list[str]]] | None = None) -> list[Rule]:
    """The rules of one document; ``sets`` are the named sets of every file loaded with it
    (by default the document's own)."""
    tables = document.get("rule")
    if tables is None and "sets" in document:
        return []        # a file of named sets only
    if not isinstance(tables, list) or not tables:
        raise RuleError(source, "rule: expected one or more [[rule]] tables")
    from kcheck.engine.legacy import modernise  # lazy: only rules being compiled need it

    document = modernise(document)
    if sets is None:
        sets = collect_sets([(Path(source), document)])
    return [_compile(table, source, index, sets) for index, table in enumerate(document["rule"])]


def _expand_sets(node: Any, sets: dict[str, tuple[str, list[str]]], where: str) -> Any:
    """A predicate with each ``configs = "name"`` replaced by the named set's symbols."""
    if isinstance(node, list):
        return [_expand_sets(item, sets, where) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _expand_sets(value, sets, where) if key in ("all", "any", "not") else value
           for key, value in node.items()}
    name = out.get("configs")
    if isinstance(name, str):
        if name not in sets:
            raise ValueError(f"{where}: configs names the set {name!r}, which no rule file defines"
                             + (f" (known: {', '.join(sorted(sets))})" if sets else ""))
        out["configs"] = list(sets[name][1])
    return out


def _expand_fix_sets(fix: Any, sets: dict[str, tuple[str, list[str]]]) -> Any:
    """A fix whose variants' ``when`` conditions have their named sets expanded."""
    if isinstance(fix, list):
        return [_expand_fix_sets(variant, sets) for variant in fix]
    if isinstance(fix, dict) and "when" in fix:
        return {**fix, "when": _expand_sets(fix["when"], sets, "fix.when")}
    return fix


def _compile(table: dict[str, Any], source: str, index: int, sets: dict[str, tuple[str, list[str]]]) -> Rule:
    where = f"rule[{index}]"
    try:
        rule_id = table["id"]
        where = f"rule {rule_id}"
        concerns = table["concerns"]
        if concerns not in KERNELS:
            raise ValueError(f"concerns: {concerns!r} is not one of {', '.join(KERNELS)}")
        applies = table.get("applies", {})
        role = applies.get("role", concerns if concerns in ROLES else "system")
        if role not in ROLES:
            raise ValueError(f"applies.role: {role!r} is not system or capture")
        arch = tuple(applies.get("arch", ()))
        for name in arch:
            if not arches.known_selector(name):
                raise ValueError(f"applies.arch: unknown architecture {name!r}")
        when = table.get("when")
        check = compile_predicate(_expand_sets(table["check"], sets, "check"), role, "check")
        when_predicate = (compile_predicate(_expand_sets(when, sets, "when"), role, "when")
                          if when is not None else None)
        fixes = compile_fixes(_expand_fix_sets(table.get("fix"), sets), role)
        check_template_paths([],  # check and when: the fact catalogue (check_fact_paths) names them
                         _templates(table["message"], role, fixes, isinstance(table.get("fix"), list)))
        return Rule(
            id=rule_id,
            name=table["name"],
            title=table["title"],
            severity=Severity.parse(table["severity"]),
            concerns=concerns,
            role=role,
            why=table["why"].strip(),
            source=table["source"],
            versions=VersionRange.parse(applies.get("versions", "")),
            arch=arch,
            check=check,
            when=when_predicate,
            message=table["message"],
            fixes=fixes,
            example=table.get("example", {}),
            file=source,
        )
    except KeyError as exc:
        raise RuleError(source, f"{where}: missing field {exc.args[0]!r}") from None
    except (ValueError, TypeError, AttributeError) as exc:
        raise RuleError(source, f"{where}: {exc}") from None


def _templates(message: object, role: str, fixes: tuple[Any, ...], listed: bool) -> list[tuple[str, str, str]]:
    """Every template of a rule: where it is, its text, and whose ``config.X`` it means."""
    found: list[tuple[str, object, str]] = [("message", message, role)]
    for index, variant in enumerate(fixes):
        where = f"fix[{index}]" if listed else "fix"
        for verb, value in variant.spec.items():
            if verb == "config" and isinstance(value, dict):
                found.extend((f"{where}.config.{symbol}", str(item), variant.role) for symbol, item in value.items())
            elif isinstance(value, list):
                found.extend((f"{where}.{verb}[{n}]", item, variant.role) for n, item in enumerate(value))
            else:
                found.append((f"{where}.{verb}", value, variant.role))
    return [(where, text, kernel) for where, text, kernel in found if isinstance(text, str)]
