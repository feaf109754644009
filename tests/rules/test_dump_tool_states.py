"""The dump-tool rules stay silent or undecided where they cannot tell (no false alarms)."""

from __future__ import annotations

from pathlib import Path

from kcheck.domain.findings import Status
from tests.rules.harness import evaluate_case

STATUS = (Path(__file__).resolve().parents[2] / "fixtures" / "hosts" / "debian-healthy" / "var" / "lib" / "dpkg"
          / "status").read_text()


def _packages(makedumpfile: str = "1:1.7.2-1", crash: str | None = None) -> str:
    text = STATUS.replace("Version: 1:1.7.2-1", f"Version: {makedumpfile}")
    if crash:
        text += f"\nPackage: crash\nStatus: install ok installed\nVersion: {crash}\n"
    return text


def _case(tmp: Path, rule: str, **case: object) -> tuple[Status, str | None, str | None]:
    result = evaluate_case(rule, {"base": "host:debian-healthy", **case}, tmp)
    return result.status, result.reason, result.finding.message if result.finding else None


def test_a_makedumpfile_newer_than_the_table_is_not_judged(tmp_path: Path) -> None:
    status, reason, _ = _case(tmp_path, "KH015", files={"var/lib/dpkg/status": _packages("1:1.8.0-1")})
    assert status is Status.SKIP and "newer than kcheck's table (up to 1.7.9)" in (reason or "")


def test_no_package_database_means_not_applicable(tmp_path: Path) -> None:
    for rule in ("KH015", "KH016", "KH017"):
        result = evaluate_case(rule, {"base": "host:fedora-healthy"}, tmp_path / rule)
        assert result.status is Status.SKIP and result.finding is None


def test_crash_without_compressed_debug_info_is_not_judged_for_it(tmp_path: Path) -> None:
    status, _, _ = _case(tmp_path, "KH017", files={"var/lib/dpkg/status": _packages(crash="8.0.2-1")})
    assert status is Status.SKIP


def test_the_6_2_zstd_choice_with_crash_8(tmp_path: Path) -> None:
    status, _, message = _case(tmp_path, "KH017", files={"var/lib/dpkg/status": _packages(crash="8.0.6-1")},
                               host_config={"DEBUG_INFO_COMPRESSED": "absent", "DEBUG_INFO_COMPRESSED_NONE": "n",
                                            "DEBUG_INFO_COMPRESSED_ZSTD": "y"})
    assert status is Status.FAIL and "crash 8.0.6 (gdb before 16.2)" in (message or "")


def test_makedumpfile_1_7_6_on_6_12_and_1_7_7_on_6_12() -> None:
    """The sonic-buildimage#25890 case, on the table itself (the trees run 6.1)."""
    from kcheck.domain.dump_tools import makedumpfile_knows
    from kcheck.domain.version import KernelVersion

    k612 = KernelVersion.parse("6.12.41+deb13-amd64")
    assert k612 is not None
    assert makedumpfile_knows("1.7.6", k612) is False and makedumpfile_knows("1.7.7", k612) is True
    assert makedumpfile_knows("1.7.7", KernelVersion.parse("6.14.11") or k612) is True  # a later stable release


def test_the_tables_are_in_release_order() -> None:
    from kcheck.domain.dump_tools import CRASH_NAMED, MAKEDUMPFILE_LATEST
    from kcheck.domain.version import KernelVersion

    for table in (MAKEDUMPFILE_LATEST, CRASH_NAMED):
        releases = [KernelVersion.parse(r) for r, _, _ in table]
        kernels = [KernelVersion.parse(k) for _, k, _ in table]
        assert releases == sorted(releases) and kernels == sorted(kernels)  # type: ignore[type-var]
