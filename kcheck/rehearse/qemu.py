"""Run QEMU with a deadline and always end it: timeout, Ctrl-C or a stop request.

QEMU starts in its own session (process group), so the whole group is
killed however the rehearsal ends.  Its serial console is read line by line
from a pipe and handed to a callback, which can ask to stop early (the probe
has reported, a panic has ended).  KVM is used only once a boot sector has
proved, within a few seconds, that a KVM guest really runs here: on some
machines ``/dev/kvm`` exists and the guest hangs.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable

from kcheck.domain.errors import InputError
from kcheck.domain.records import record

#: qemu-system binary for each architecture kcheck rehearses
QEMU_FOR_ARCH = {"x86_64": "qemu-system-x86_64", "i386": "qemu-system-i386", "arm64": "qemu-system-aarch64"}
#: the Debian package holding each of them
QEMU_PACKAGE = {"x86_64": "qemu-system-x86", "i386": "qemu-system-x86", "arm64": "qemu-system-arm"}
#: real-mode code: write "KVMOK" to COM1 and halt (x86 boot sector, 0x55AA signature)
_BOOT_SECTOR_CODE = bytes.fromhex("FC31C08ED8BAF803BE177CAC84C07403EEEBF8FAF4EBFD") + b"KVMOK\r\n\0"
KVM_PROBE_SECONDS = 4.0
_kvm_verdict: dict[str, bool] = {}


@record
class QemuRun:
    """How a QEMU run ended: ``ended`` is exited, timeout, stopped or interrupted."""

    ended: str
    returncode: int | None
    seconds: float
    stderr: str


def find_qemu(arch: str, explicit: str | None, memory_mb: int = 0) -> str:
    """The QEMU binary to use: ``--qemu`` when given, else the one for ``arch`` on PATH.

    An i386 VM with more than 4G runs in qemu-system-x86_64, as a 32-bit PAE kernel runs
    on 64-bit hardware: qemu-system-i386 (TCG) cannot use RAM above 4G (Debian's 686-pae
    6.1 faults in kernel_init_pages with the default CPU, and its first process hangs
    with any other; the same kernel and programs dump in qemu-system-x86_64).
    """
    import shutil  # lazy: only when a file is spooled or written

    if explicit is not None:
        if not os.path.exists(explicit):
            raise InputError(explicit, "QEMU not found")
        if not os.path.isfile(explicit) or not os.access(explicit, os.X_OK):
            raise InputError(explicit, "QEMU is not an executable file")
        return explicit
    name = QEMU_FOR_ARCH["x86_64" if arch == "i386" and memory_mb > 4096 else arch] \
        if arch in QEMU_FOR_ARCH else None
    if name is None:
        raise InputError("--arch", f"rehearsals support {', '.join(QEMU_FOR_ARCH)}, not {arch}")
    found = shutil.which(name)
    if found is None:
        raise InputError(name, f"QEMU not found on PATH (Debian: apt-get install {QEMU_PACKAGE[arch]})")
    return found


def kvm_works(qemu: str) -> bool:
    """True when a KVM guest boots and prints within KVM_PROBE_SECONDS.

    The answer is kept in memory and in ``~/.cache/kcheck/rehearse/kvm.json``,
    keyed by the QEMU binary, the host kernel and /dev/kvm, so a machine
    where KVM hangs pays the few seconds of the probe once, not per rehearsal.
    """
    key = _kvm_key(qemu)
    if key in _kvm_verdict:
        return _kvm_verdict[key]
    cached = _kvm_cache_read().get(key)
    if isinstance(cached, bool):
        _kvm_verdict[key] = cached
        return cached
    verdict = _probe_kvm(qemu)
    _kvm_verdict[key] = verdict
    _kvm_cache_write(key, verdict)
    return verdict


def _probe_kvm(qemu: str) -> bool:
    name = os.path.basename(qemu)
    if not (os.access("/dev/kvm", os.R_OK | os.W_OK) and ("x86" in name or "i386" in name)):
        return False
    with tempfile.TemporaryDirectory(prefix="kcheck-kvm-") as scratch:
        image = os.path.join(scratch, "boot.img")
        with open(image, "wb") as handle:
            handle.write(_BOOT_SECTOR_CODE.ljust(510, b"\0") + b"\x55\xaa")
        seen: list[str] = []

        def on_line(line: str) -> bool:
            seen.append(line)
            return "KVMOK" in line

        run(qemu, ["-accel", "kvm", "-m", "16", "-drive", f"file={image},format=raw,if=floppy"],
            KVM_PROBE_SECONDS, on_line)
        return any("KVMOK" in line for line in seen)


def _kvm_key(qemu: str) -> str:
    parts = [os.path.realpath(qemu), os.uname().release]
    for path in (qemu, "/dev/kvm"):
        try:
            info = os.stat(path)
            parts.append(f"{info.st_mtime_ns}:{info.st_rdev}")
        except OSError:
            parts.append("-")
    return "|".join(parts)


def _cache_path() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "kcheck", "rehearse", "kvm.json")


def _kvm_cache_read() -> dict[str, object]:
    import json  # lazy: json: only JSON output

    try:
        with open(_cache_path(), encoding="utf-8") as handle:
            data = json.load(handle)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _kvm_cache_write(key: str, verdict: bool) -> None:
    import json  # lazy: json: only JSON output

    path = _cache_path()
    data = _kvm_cache_read()
    data[key] = verdict
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".kvm-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(temporary, path)
    except OSError:
        pass    # no cache: the probe runs again next time


#: (machine, CPU model) per architecture under TCG; x86 takes QEMU's defaults (pc, qemu64/qemu32)
MACHINE_FOR_ARCH = {"arm64": ("virt", "cortex-a57")}


def machine_args(arch: str, accel: str) -> list[str]:
    """``-M``/``-cpu`` for ``arch``: the host's CPU under KVM, else the model in MACHINE_FOR_ARCH."""
    machine, cpu = MACHINE_FOR_ARCH.get(arch, (None, None))
    args = ["-M", machine] if machine else []
    if accel == "kvm":
        return args + ["-cpu", "host"]
    return args + (["-cpu", cpu] if cpu else [])


def base_args() -> list[str]:
    """No devices but one serial port on stdout; the VM exits instead of rebooting."""
    return ["-nodefaults", "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot"]


def run(qemu: str, args: list[str], timeout: float, on_line: Callable[[str], bool]) -> QemuRun:
    """Run ``qemu`` until it exits, ``on_line`` returns True, or ``timeout`` seconds pass."""
    start = time.monotonic()
    try:
        process = subprocess.Popen([qemu, *base_args(), *args], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                                   preexec_fn=_die_with_parent)
    except OSError as exc:
        raise InputError(qemu, f"cannot run QEMU: {exc.strerror or exc}") from None
    ended = "exited"
    errors: list[bytes] = []
    try:
        ended = _pump(process, start + timeout, on_line, errors)
    except KeyboardInterrupt:
        ended = "interrupted"
        raise
    finally:
        _end(process)
        if process.stderr is not None:
            errors.append(process.stderr.read(65536) if ended == "exited" else b"")
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    return QemuRun(ended, process.returncode, time.monotonic() - start,
                   b"".join(errors).decode("utf-8", "replace")[-4000:])


def _die_with_parent() -> None:
    """In the child: SIGKILL when kcheck dies, even by SIGKILL (Linux PR_SET_PDEATHSIG)."""
    try:
        import ctypes  # lazy: in the forked child only, just before exec

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)   # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass


def _pump(process: subprocess.Popen[bytes], deadline: float, on_line: Callable[[str], bool],
          errors: list[bytes]) -> str:
    assert process.stdout is not None and process.stderr is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ, "out")
    selector.register(process.stderr, selectors.EVENT_READ, "err")
    pending = b""
    open_streams = 2
    try:
        while open_streams:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            for key, _ in selector.select(min(left, 1.0)):
                chunk = os.read(key.fileobj.fileno(), 65536)  # type: ignore[union-attr]
                if not chunk:
                    selector.unregister(key.fileobj)
                    open_streams -= 1
                    continue
                if key.data == "err":
                    if sum(map(len, errors)) < 65536:
                        errors.append(chunk)
                    continue
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    if on_line(raw.decode("utf-8", "replace").rstrip("\r")):
                        return "stopped"
                if len(pending) > 65536:   # a console line without an end: hand it over in pieces
                    if on_line(pending.decode("utf-8", "replace")):
                        return "stopped"
                    pending = b""
        if pending and on_line(pending.decode("utf-8", "replace").rstrip("\r")):
            return "stopped"
        return "exited"
    finally:
        selector.close()


def _end(process: subprocess.Popen[bytes]) -> None:
    """Kill QEMU's whole process group and reap it."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process that survives SIGKILL
        pass
