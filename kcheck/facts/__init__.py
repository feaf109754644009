"""Facts: the only thing rules see.

:mod:`setup` holds one set-up's inputs addressed by dotted fact paths;
:mod:`image` and :mod:`memory_map` compute the facts derived from kernel
images and the physical memory layout.  Facts import inputs and domain only.
"""
