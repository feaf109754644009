"""Find the optional corpus of real Debian kernel artefacts fetched by .ci/fetch-corpus.

Why: real distribution configs and images catch what hand-written fixtures miss,
but they are too big to commit. Tests that need them skip, with a reason that
says how to get them, when the corpus is absent.

Usage from a test module under tests/ (pytest puts tests/ on sys.path)::

    from corpus import corpus_configs, corpus_image, requires_corpus

    @requires_corpus("configs")
    def test_every_debian_config_loads() -> None:
        for name, path in corpus_configs().items(): ...

    pytestmark = requires_corpus("image")          # a whole module
    @requires_corpus("i386_none_686-pae")          # one named config

A part of the corpus counts as present only once its SHA256SUMS stamp exists:
the fetch script writes it last, so a half-finished fetch is never used.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FETCH_HINT = "run .ci/fetch-corpus"
_IMAGE_NAME = "vmlinuz-6.1-amd64"
_IMAGE_CONFIG_NAME = "config-6.1-amd64"


def _root() -> Path:
    """Where the corpus lives; the same default as .ci/fetch-corpus."""
    env = os.environ.get("KCHECK_CORPUS")
    return Path(env) if env else Path.home() / ".cache" / "kcheck" / "corpus"


def _part(name: str) -> Path | None:
    """A corpus part (configs/ or images/) whose stamp exists, else None."""
    root = corpus_dir()
    if root is None:
        return None
    part = root / name
    return part if (part / "SHA256SUMS").is_file() else None


def corpus_dir() -> Path | None:
    """The corpus directory, or None when it has not been fetched."""
    root = _root()
    return root if root.is_dir() else None


def corpus_configs() -> dict[str, Path]:
    """Debian config name (``<arch>_<featureset>_<flavour>``) -> path; empty if absent."""
    part = _part("configs")
    if part is None:
        return {}
    return {p.name.removesuffix(".config"): p for p in sorted(part.glob("*.config"))}


def corpus_image() -> Path | None:
    """The amd64 vmlinuz (bzImage with PE stub) of Debian's newest 6.1 image, or None."""
    part = _part("images")
    if part is None:
        return None
    image = part / _IMAGE_NAME
    return image if image.is_file() else None


def corpus_image_config() -> Path | None:
    """The boot/config-* shipped in the same image package as corpus_image()."""
    part = _part("images")
    if part is None:
        return None
    config = part / _IMAGE_CONFIG_NAME
    return config if config.is_file() else None


def corpus_image_manifest() -> dict[str, str]:
    """images/manifest.txt as key -> value (package, version, kernel_release, ...)."""
    part = _part("images")
    if part is None:
        return {}
    fields: dict[str, str] = {}
    for line in (part / "manifest.txt").read_text().splitlines():
        key, sep, value = line.partition("\t")
        if sep:
            fields[key] = value
    return fields


def _missing(what: str) -> str | None:
    """Why `what` is unavailable, or None when it is there."""
    where = _root()
    if what == "configs":
        return None if corpus_configs() else f"no corpus configs in {where}/configs"
    if what in ("image", "images"):
        return None if corpus_image() is not None else f"no corpus image in {where}/images"
    if what == "all":
        return _missing("configs") or _missing("image")
    if "_" in what:
        if what in corpus_configs():
            return None
        return f"corpus config {what}.config not found in {where}/configs"
    raise ValueError(
        f"requires_corpus: unknown corpus part {what!r}; "
        "use 'configs', 'image', 'all' or a config name such as 'amd64_none_amd64'"
    )


def requires_corpus(what: str = "all") -> pytest.MarkDecorator:
    """A skipif marker for tests that need part of the corpus.

    `what` is 'configs', 'image' (or 'images'), 'all', or one config name.
    """
    reason = _missing(what)
    return pytest.mark.skipif(reason is not None, reason=f"{reason}: {FETCH_HINT}")
