"""Dependency-aware Kconfig resolution for ``kcheck fix --kernel-src`` (kconfiglib based).

Modules: :mod:`compat` (kconfiglib 14.1.0 on Linux >= 5.13), :mod:`tree`
(load + cache a tree's Kconfig), :mod:`resolve` (find the assignments that
make requested values stick, explain them), :mod:`kbuild` (the kernel's own
``make olddefconfig`` as ground truth).  Nothing here imports kconfiglib at
module import time.
"""
