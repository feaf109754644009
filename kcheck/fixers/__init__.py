"""Fixers turn a report's findings into things a user can apply.

plan.py collects the fixes as data, commands.py rewrites the boot command line
and the kexec command, kconfig_fix.py makes config fragments survive
olddefconfig with a real Kconfig tree; kcheck.app.fix runs the fix loop and
writes the outputs.
"""
