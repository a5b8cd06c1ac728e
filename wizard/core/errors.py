"""Errors an operator can act on, and the exit codes they map to."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1
    BAD_INPUT = 2
    BLOCKED = 3


class MigrateError(Exception):
    """A failure the command line reports in one line, without a traceback."""

    exit_code = ExitCode.FAILURE


class InputError(MigrateError):
    """Bad input (plan, snapshot, arguments): every problem, each naming its place."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class Blocked(MigrateError):
    """Findings of severity `blocker` stop the run until the operator resolves them."""

    exit_code = ExitCode.BLOCKED
