"""The ``kcheck`` process: ``python -m kcheck`` and the ``kcheck`` command (:func:`main`)."""

import gc


def main() -> None:
    """Run kcheck as a process: the collector set as mypy sets it, then :func:`kcheck.console.run`.

    A check allocates its objects once (typer's command, two parsed configs,
    the rules) and frees them with the process: the cyclic collector's
    default thresholds made it walk them again and again during start-up
    (about 17M of 341M instructions of ``kcheck check``, typer's import
    included).  Raising the first threshold, as mypy does, keeps it for
    long batches and costs a short run nothing.  Only the process does this:
    importing kcheck as a library leaves the collector alone.
    """
    gc.set_threshold(200_000, 30, 30)
    from kcheck.console import run  # lazy: imported after the threshold is set, so its imports run with it

    run()


if __name__ == "__main__":
    main()
