"""The signals that stop a command as Ctrl-C does: a service manager's SIGTERM, and the SIGHUP of a
closed terminal (else it would kill the command outright, before it stops what it started)."""

import signal

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
