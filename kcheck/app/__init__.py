"""Wiring: reads the inputs, builds the facts, runs the engine, applies waivers.

:mod:`pipeline` (one check), :mod:`batch` (``--manifest``, ``lint-configs``),
:mod:`preflight` (a host), :mod:`fix` (``kcheck fix``), :mod:`waivers` and
:mod:`output` (atomic writes).  The CLI calls these; nothing below imports them.
"""
