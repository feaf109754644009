"""The ``kcheck`` process: one command built and run, every user-facing error as one line.

:mod:`kcheck.cli` declares the commands; this module runs the one named on
the command line, turns :class:`~kcheck.domain.errors.KcheckError` and usage
errors into ``kcheck: error: <what>`` with status 2, survives a reader that
leaves early, and ends the process without tearing the interpreter down.
"""

import os
import sys
from typing import Any

import typer
from typer.exceptions import TyperException

from kcheck.cli import CONTEXT, app
from kcheck.domain.errors import KcheckError


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn every user-facing error into one line."""
    # Paths and --cmdline text given as non-UTF-8 bytes reach Python
    # surrogate-escaped; print them back as those bytes, never a traceback.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="surrogateescape")  # type: ignore[union-attr]
    args = sys.argv[1:] if argv is None else argv
    try:
        status = _command(args).main(args=args[1:] if _single(args) else args,
                                     prog_name=f"kcheck {args[0]}" if _single(args) else "kcheck",
                                     standalone_mode=False)
    except KcheckError as exc:
        status = _error(str(exc))
    except typer.Exit as exc:
        status = exc.exit_code
    except TyperException as exc:  # usage errors: bad option, bad value
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `kcheck`: show the commands
            sys.stderr.write(exc.format_message() + "\n")
            status = 2
        else:
            status = _error(exc.format_message())
    except (typer.Abort, KeyboardInterrupt):
        status = _error("interrupted")
    except BrokenPipeError:  # the reader left (``kcheck rules | head -1``): no traceback
        status = _broken_pipe()
    sys.exit(status if isinstance(status, int) else 0)


def run() -> None:
    """The ``kcheck`` command itself: :func:`main`, then leave without tearing down the interpreter.

    Once the report is written, freeing every object of the run one by one
    (module dicts, two parsed configs, the rules) cost a check more than
    reading a config.  As mypy does, flush the streams and end the process
    directly.  ``main()`` stays an ordinary function for callers in Python.
    """
    try:
        main()
        status = 0
    except SystemExit as exc:  # Python's own rules: None is 0, other non-integers are printed, 1
        if exc.code is None or isinstance(exc.code, int):
            status = exc.code or 0
        else:
            sys.stderr.write(f"{exc.code}\n")
            status = 1
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        status = _broken_pipe()
    sys.stderr.flush()
    os._exit(status)


def _broken_pipe() -> int:
    """Status 1, as Python's documentation advises for EPIPE, and no second error when exiting."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 1


def _single(args: list[str]) -> bool:
    """A known command was named: only it needs building (typer inspects every signature)."""
    return bool(args) and args[0] in {info.name or info.callback.__name__.replace("_", "-")
                                      for info in app.registered_commands if info.callback}


def _command(args: list[str]) -> Any:
    if not _single(args):
        return typer.main.get_command(app)
    info = next(i for i in app.registered_commands
                if (i.name or i.callback.__name__.replace("_", "-")) == args[0])
    single = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False,
                         context_settings=CONTEXT)
    single.registered_commands.append(info)
    return typer.main.get_command(single)


def _error(message: str) -> int:
    sys.stdout.flush()
    from kcheck.reporters.escape import terminal  # lazy: only an error line needs it

    sys.stderr.write(f"kcheck: error: {terminal(message, line=True)}\n")
    return 2
