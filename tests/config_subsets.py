"""Small committed subsets of Debian's real kernel configs, so the rule cases run without the corpus.

A Debian config is ~10,000 lines; kcheck's rules and facts read a few hundred
symbols of it.  ``fixtures/debian/<release>/<name>.config`` keeps, from the
real file, its header and every line whose symbol is named anywhere in
``rules/``, ``tests/rules/`` or kcheck's source (so a symbol a reader looks
up by name, such as ``X86_PAE``, is kept too).  Lines are copied, never
written: the values are Debian's.  ``fixtures/debian/README.md`` says where
each file comes from, with the SHA-256 of the original.

tests/rules/test_config_subsets.py proves, where the corpus is fetched, that every
rule case gives the same result on the subset as on the full config, and that
the subsets are up to date (regenerate with ``python -m tests.config_subsets``
after a rule names a new symbol).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUBSETS = ROOT / "fixtures" / "debian"
_NAME = re.compile(r"\b[A-Z][A-Z0-9_]{1,}\b")
_LINE = re.compile(r"^(?:CONFIG_([A-Za-z0-9_]+)=|# CONFIG_([A-Za-z0-9_]+) is not set$)")


def subset_path(release: str, name: str) -> Path | None:
    """The committed subset of Debian's ``name`` config (e.g. ``amd64_none_amd64``) of ``release``."""
    path = SUBSETS / release / f"{name}.config"
    return path if path.is_file() else None


def named_symbols() -> set[str]:
    """Every upper-case name in the rules, the rule cases and kcheck's source (a superset of the
    config symbols anything reads; only those the real config has are kept)."""
    names: set[str] = set()
    sources = [*(ROOT / "rules").glob("*.toml"), *(ROOT / "tests" / "rules").glob("*.toml"),
               *(ROOT / "kcheck").rglob("*.py")]
    for path in sources:
        names.update(name.removeprefix("CONFIG_") for name in _NAME.findall(path.read_text()))
    return names


def make_subset(full_text: str, provenance: str, names: set[str] | None = None) -> str:
    """The header and the lines of ``names`` of a real config, in its order, under a provenance line."""
    names = named_symbols() if names is None else names
    lines = full_text.splitlines()
    header: list[str] = []
    for line in lines:
        if not line.startswith("#") or _LINE.match(line):
            break
        header.append(line)
    kept = []
    for line in lines[len(header):]:
        match = _LINE.match(line)
        if match and (match.group(1) or match.group(2)) in names:
            kept.append(line)
    note = [f"# kcheck: subset of {provenance}: the lines of the symbols kcheck's rules and facts",
            "# kcheck: name (tests/config_subsets.py); every value is Debian's own"]
    return "\n".join(header[:1] + note + header[1:] + kept) + "\n"


def main(argv: list[str]) -> int:
    """``python -m tests.config_subsets RELEASE FULL_CONFIG PROVENANCE``: (re)write one subset;
    with no arguments, rewrite every 6.1 subset from the corpus."""
    if argv:
        release, full, provenance = argv
        name = Path(full).name.removesuffix(".config").removeprefix("config.")
        out = SUBSETS / release / f"{name}.config"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(make_subset(Path(full).read_text(), provenance))
        print(out)
        return 0
    from tests.corpus import corpus_configs

    configs = corpus_configs()
    for path in sorted((SUBSETS / "6.1").glob("*.config")):
        full = configs.get(path.stem)
        if full is None:
            print(f"skip {path}: not in the corpus (run .ci/fetch-corpus)", file=sys.stderr)
            continue
        path.write_text(make_subset(full.read_text(), provenance_of(path)))
        print(path)
    return 0


def provenance_of(path: Path) -> str:
    """The provenance written in a subset's second line."""
    line = path.read_text().splitlines()[1]
    return line.removeprefix("# kcheck: subset of ").rsplit(": the lines", 1)[0]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
