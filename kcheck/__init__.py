"""kcheck: will this kdump set-up capture a crash dump?"""

__version__ = "0.1.0"
