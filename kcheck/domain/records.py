"""Immutable value records that cost nothing to define.

kcheck starts on every kernel build, and Python 3.11's ``@dataclass(frozen=True)``
compiles five or six methods with ``exec`` for every class: over the ~35
value types a check needs, that was about a third of kcheck's start-up.
``@record`` gives the same contract (keyword or positional construction,
defaults, immutability, value equality, hashing, a readable repr) with shared
methods and no code generation.  ``replace`` and ``asdict`` stand in for the
dataclasses functions.  ``@record(frozen=False)`` is the one exception, for
working state that is built up step by step (a fix plan): the same fields and
defaults, assignable, unhashable.  kcheck has no other value-type system.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")
_MISSING: Any = object()


class FrozenRecordError(AttributeError):
    """Raised when code tries to change a record."""


class _Field:
    __slots__ = ("default", "factory", "compare")

    def __init__(self, default: Any, factory: Callable[[], Any] | None, compare: bool) -> None:
        self.default, self.factory, self.compare = default, factory, compare


def field(*, default: Any = _MISSING, default_factory: Callable[[], Any] | None = None,
          compare: bool = True) -> Any:
    """A field with a factory default or left out of equality (like dataclasses.field)."""
    return _Field(default, default_factory, compare)


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(*, frozen: bool = True) -> Callable[[type[T]], type[T]]: ...


def record(cls: Any = None, /, *, frozen: bool = True) -> Any:
    """Make ``cls`` an immutable record of its annotated fields, bases' fields first.

    ``@record(frozen=False)``: fields may be assigned, and the record is not hashable.
    """
    if cls is None:
        return lambda cls: _make(cls, frozen)
    return _make(cls, frozen)


def _make(cls: type[T], frozen: bool) -> type[T]:
    names = list(getattr(cls, "__record_fields__", ()))
    defaults: dict[str, Any] = dict(getattr(cls, "__record_defaults__", {}))
    factories: dict[str, Callable[[], Any]] = dict(getattr(cls, "__record_factories__", {}))
    compared = list(getattr(cls, "__record_compare__", ()))
    for name in cls.__dict__.get("__annotations__", {}):
        if name in names:
            continue
        names.append(name)
        value = cls.__dict__.get(name, _MISSING)
        if isinstance(value, _Field):
            if value.default is not _MISSING:
                defaults[name] = value.default
            if value.factory is not None:
                factories[name] = value.factory
            if value.compare:
                compared.append(name)
            delattr(cls, name)
        else:
            if value is not _MISSING:
                defaults[name] = value
            compared.append(name)
    attributes = {
        "__record_fields__": tuple(names),
        "__record_defaults__": defaults,
        "__record_factories__": factories,
        "__record_compare__": tuple(compared),
        "__match_args__": tuple(names),
        "__init__": _init,
        "__eq__": _eq,
        "__repr__": _repr,
    }
    if frozen:
        attributes.update(__setattr__=_setattr, __delattr__=_delattr, __hash__=_hash)
    else:
        attributes["__hash__"] = None
    for key, value in attributes.items():
        setattr(cls, key, value)
    return cls


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    names = cls.__record_fields__
    if len(args) > len(names):
        raise TypeError(f"{cls.__name__}() takes {len(names)} arguments, {len(args)} given")
    values = dict(zip(names, args))
    for key, value in kwargs.items():
        if key not in names:
            raise TypeError(f"{cls.__name__}() got an unexpected argument {key!r}")
        if key in values:
            raise TypeError(f"{cls.__name__}() got multiple values for {key!r}")
        values[key] = value
    if len(values) < len(names):
        for name in names:
            if name not in values:
                if name in cls.__record_defaults__:
                    values[name] = cls.__record_defaults__[name]
                elif name in cls.__record_factories__:
                    values[name] = cls.__record_factories__[name]()
                else:
                    raise TypeError(f"{cls.__name__}() missing argument {name!r}")
    object.__setattr__(self, "__dict__", values)


def _setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenRecordError(f"cannot assign to field {name!r} of {type(self).__name__}")


def _delattr(self: Any, name: str) -> None:
    raise FrozenRecordError(f"cannot delete field {name!r} of {type(self).__name__}")


def _key(self: Any) -> tuple[Any, ...]:
    values = self.__dict__
    return tuple(values[name] for name in type(self).__record_compare__)


def _eq(self: Any, other: Any) -> Any:
    if type(other) is not type(self):
        return NotImplemented
    return _key(self) == _key(other)


def _hash(self: Any) -> int:
    return hash(_key(self))


def _repr(self: Any) -> str:
    values = self.__dict__
    inner = ", ".join(f"{name}={values[name]!r}" for name in type(self).__record_fields__)
    return f"{type(self).__name__}({inner})"


def replace(obj: T, **changes: Any) -> T:
    """A copy of record ``obj`` with some fields changed (``dataclasses.replace``)."""
    values = {name: obj.__dict__[name] for name in type(obj).__record_fields__}  # type: ignore[attr-defined]
    values.update(changes)
    return type(obj)(**values)


def asdict(obj: Any) -> dict[str, Any]:
    """The record's fields as a dict (one level, like the JSON reporters need)."""
    return {name: obj.__dict__[name] for name in type(obj).__record_fields__}


def fields(obj_or_cls: Any) -> tuple[str, ...]:
    """The field names of a record or record class, in order."""
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    return tuple(cls.__record_fields__)
