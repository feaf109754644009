"""kcheck: will this kdump set-up capture a crash dump?"""

__version__ = "0.2.0"
