"""kcheck rehearse: boot the set-up in QEMU, panic it, and see whether the capture kernel saves a dump."""
