"""What `pes` exits with: one convention for every command (docs/operations.md)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The exit status of every `pes` command."""

    OK = 0
    CHECK_FAILED = 1
    """The command ran and found a problem: tampering, a failed reconciliation, a failed worker."""
    BAD_INPUT = 2
    """The command was not run: an argument, a file or a request it was given is wrong."""
    UNAVAILABLE = 3
    """The command could not run: the event store, the broker or a file it needs is missing."""
