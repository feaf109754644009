"""The small predicate language of rule files, compiled from TOML tables.

A rule's ``check`` and ``when`` are nested tables, never code::

    check = { config = "PHYSICAL_START", default = "0x100000",
              eq = { fact = "boot.crashkernel.offset" } }
    check = { all = [ { config = "SMP", is = "n" }, { config = "X86_UP_APIC", is = "y" } ] }

A *subject* (``config`` on the rule's kernel, ``role = "system"|"capture"``
to name the other one, or any ``fact`` path) is tested with *operators*;
``all``/``any``/``not`` combine tests.  A *set test* quantifies over several
symbols of one kernel, so a list is written once::

    { configs = ["EXT4_FS", "XFS_FS", "BTRFS_FS"], none_is = "y", some_is = "m" }
  When a test needs a
value the set-up does not have (a number that is not set, an input that was
not given) it raises :class:`Unknown`, and the engine reports the rule as
skipped with that reason instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from kcheck.domain.findings import ROLES
from kcheck.domain.records import record
from kcheck.domain.units import parse_number
from kcheck.facts.protocol import Unknown

if TYPE_CHECKING:
    from kcheck.facts.protocol import Facts

#: The quantifiers of a set test (``configs = [...]``) and what they require of the symbols' values.
QUANTIFIERS = ("some_is", "none_is", "every_is")
OPERATORS = ("is", "present", "eq", "ne", "lt", "le", "gt", "ge", "multiple_of",
             "power_of_two", "contains")
NUMERIC = ("eq", "ne", "lt", "le", "gt", "ge", "multiple_of")


class UnknownFact(Exception):
    """A rule names a fact path the set-up does not have (a typo in a rule file)."""


def _lookup(facts: Facts, path: str) -> Any:
    try:
        return facts.lookup(path)
    except KeyError:
        raise UnknownFact(path) from None


class Predicate(Protocol):
    def test(self, facts: Facts) -> bool: ...
    def symbols(self) -> list[str]: ...
    def paths(self) -> list[str]: ...


@record
class AllOf:
    parts: tuple[Predicate, ...]

    def test(self, facts: Facts) -> bool:
        return all(part.test(facts) for part in self.parts)

    def symbols(self) -> list[str]:
        return [s for part in self.parts for s in part.symbols()]

    def paths(self) -> list[str]:
        return [p for part in self.parts for p in part.paths()]


@record
class AnyOf(AllOf):
    def test(self, facts: Facts) -> bool:
        return any(part.test(facts) for part in self.parts)


@record
class Not:
    part: Predicate

    def test(self, facts: Facts) -> bool:
        return not self.part.test(facts)

    def symbols(self) -> list[str]:
        return self.part.symbols()

    def paths(self) -> list[str]:
        return self.part.paths()


@record
class Test:
    """``subject`` (a fact path) checked by every operator given."""

    path: str
    symbol: str | None
    default: Any
    ops: tuple[tuple[str, Any], ...]

    def test(self, facts: Facts) -> bool:
        value = _lookup(facts, self.path)
        if value is None and self.default is not None:
            value = self.default
        return all(_apply(op, value, operand, facts, self) for op, operand in self.ops)

    def symbols(self) -> list[str]:
        return [self.symbol] if self.symbol else []

    def paths(self) -> list[str]:
        return [self.path]


@record
class SetTest:
    """``configs = [...]`` of one kernel, each quantifier (some/none/every) tested on their values.

    ``some_is = "y"``: at least one symbol has one of the values; ``none_is``:
    not one has; ``every_is``: all have.  ``"n"`` also matches an unset or
    absent symbol, as ``is`` does.
    """

    role: str
    names: tuple[str, ...]
    quantifiers: tuple[tuple[str, tuple[Any, ...]], ...]

    def test(self, facts: Facts) -> bool:
        values = [_lookup(facts, f"{self.role}.config.{name}") for name in self.names]
        for quantifier, wanted in self.quantifiers:
            hits = [any(_same(value, w, config=True) for w in wanted) for value in values]
            if quantifier == "some_is" and not any(hits):
                return False
            if quantifier == "none_is" and any(hits):
                return False
            if quantifier == "every_is" and not all(hits):
                return False
        return True

    def symbols(self) -> list[str]:
        return list(self.names)

    def paths(self) -> list[str]:
        return [f"{self.role}.config.{name}" for name in self.names]


def _apply(op: str, value: Any, operand: Any, facts: Facts, test: Test) -> bool:
    if op == "is":
        wanted = operand if isinstance(operand, list) else [operand]
        if value is None and any(isinstance(w, bool) for w in wanted):
            # A yes/no fact the inputs cannot answer (no image, no RAM size ...).
            raise Unknown(f"{test.path} is not known", test.path)
        return any(_same(value, w, config=test.symbol is not None) for w in wanted)
    if op == "present":
        return _present(value, config=test.symbol is not None) == operand
    if op == "contains":
        if value is None:
            return False
        if not isinstance(value, (str, list, tuple)):
            raise Unknown(f"{test.path} is {value!r}, not text or a list", test.path)
        return operand in value
    if op == "power_of_two":
        number = _number(value, test)
        return (number > 0 and number & (number - 1) == 0) == operand
    left = _number(value, test)
    right = _operand_number(operand, facts)
    return _COMPARE[op](left, right)


_COMPARE: dict[str, Callable[[int, int], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "multiple_of": lambda a, b: b > 0 and a % b == 0,
}


def _same(value: Any, wanted: Any, *, config: bool) -> bool:
    if config and wanted == "n":
        return value in (None, "n", "")
    if isinstance(wanted, bool):
        return value is wanted
    if isinstance(wanted, int) and not isinstance(value, bool):
        try:
            return _as_int(value) == wanted
        except ValueError:
            return False
    return value == wanted


def _present(value: Any, *, config: bool) -> bool:
    if config:
        return value not in (None, "n", "")
    return value is not None and value is not False


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, int):
        return value
    return parse_number(str(value))


def _number(value: Any, test: Test) -> int:
    name = f"CONFIG_{test.symbol}" if test.symbol else test.path
    if value is None:
        raise Unknown(f"{name} is not set", test.path)
    try:
        return _as_int(value)
    except ValueError:
        raise Unknown(f"{name} is {value!r}, not a number", test.path) from None


def _operand_number(operand: Any, facts: Facts) -> int:
    if isinstance(operand, dict):
        path = operand["fact"]
        value = _lookup(facts, path)
        if value is None:
            raise Unknown(f"{path} is not known", path)
        try:
            return _as_int(value)
        except ValueError:
            raise Unknown(f"{path} is {value!r}, not a number", path) from None
    return _as_int(operand)


def compile_predicate(table: Any, kernel: str, where: str) -> Predicate:
    """Turn a TOML table into a predicate; ``where`` names it in errors.

    ``kernel`` is the rule's role: the kernel whose config a ``config``
    test reads unless it says ``role = ...``.

    Raises ValueError with a message that names the offending part; the loader
    adds the file and rule id.
    """
    if not isinstance(table, dict):
        raise ValueError(f"{where}: expected a table, got {type(table).__name__}")
    for combinator, cls in (("all", AllOf), ("any", AnyOf)):
        if combinator in table:
            parts = table[combinator]
            if set(table) != {combinator} or not isinstance(parts, list) or not parts:
                raise ValueError(f"{where}.{combinator}: expected a non-empty list and nothing beside it")
            return cls(tuple(compile_predicate(p, kernel, f"{where}.{combinator}[{i}]")
                             for i, p in enumerate(parts)))
    if "not" in table:
        if set(table) != {"not"}:
            raise ValueError(f"{where}.not: nothing may stand beside 'not'")
        return Not(compile_predicate(table["not"], kernel, f"{where}.not"))
    if "configs" in table:
        return _compile_set(table, kernel, where)
    return _compile_test(table, kernel, where)


def _role(table: dict[str, Any], kernel: str, where: str) -> str:
    role = table.get("role", kernel)
    if role not in ROLES:
        raise ValueError(f"{where}: role must be \"system\" or \"capture\", not {role!r}")
    return str(role)


def _compile_set(table: dict[str, Any], kernel: str, where: str) -> SetTest:
    names = table["configs"]
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"{where}.configs: expected a non-empty list of config symbols")
    extra = set(table) - set(QUANTIFIERS) - {"configs", "role"}
    if extra:
        raise ValueError(f"{where}: unknown key {sorted(extra)[0]!r} in a set test")
    quantifiers = tuple((q, tuple(table[q]) if isinstance(table[q], list) else (table[q],))
                        for q in QUANTIFIERS if q in table)
    if not quantifiers:
        raise ValueError(f"{where}: a set test needs one of {', '.join(QUANTIFIERS)}")
    return SetTest(_role(table, kernel, where), tuple(names), quantifiers)


def _compile_test(table: dict[str, Any], kernel: str, where: str) -> Test:
    symbol: str | None = None
    if "config" in table:
        symbol = table["config"]
        path = f"{_role(table, kernel, where)}.config.{symbol}"
    elif "fact" in table:
        path = table["fact"]
    else:
        raise ValueError(f"{where}: needs one of config, configs, fact, all, any, not")
    ops = tuple((op, table[op]) for op in OPERATORS if op in table)
    extra = set(table) - set(OPERATORS) - {"config", "fact", "role", "default"}
    if extra:
        raise ValueError(f"{where}: unknown key {sorted(extra)[0]!r}")
    if not ops:
        raise ValueError(f"{where}: needs an operator ({', '.join(OPERATORS)})")
    for op, operand in ops:
        if op in NUMERIC and not isinstance(operand, dict):
            _as_int(operand)  # validate literal numbers now, not at check time
    return Test(path, symbol, table.get("default"), ops)
