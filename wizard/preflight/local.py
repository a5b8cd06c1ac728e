"""Checks of this machine: the state directory."""

from __future__ import annotations

import os
import shutil
import stat

from wizard.preflight.model import CheckInputs, CheckResult, size
from wizard.translate.model import Severity

MIN_FREE_BYTES = 1 << 30  # the write log grows with every user write while the migration runs


def state_directory(given: CheckInputs, min_free: int = MIN_FREE_BYTES) -> CheckResult:
    """The state directory takes writes (fsynced), is private to its owner, and has disk to spare."""
    result, path = CheckResult(), given.state.dir
    about = ("state_dir", str(path))
    probe = path / ".preflight-probe"
    try:
        with open(probe, "wb") as fh:
            fh.write(b"probe")
            fh.flush()
            os.fsync(fh.fileno())
        probe.unlink()
    except OSError as exc:
        result.find(Severity.BLOCKER, "state-dir-not-writable", about, f"cannot write into {path}: {exc}",
                    f"give the user running alcor-migrate write access to {path}, or choose another state_dir")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        result.find(Severity.BLOCKER, "state-dir-not-private", about,
                    f"{path} has mode {mode:o}: other users can read the run's state and write log",
                    f"chmod 700 {path}")
    free = shutil.disk_usage(path).free
    if free < min_free:
        result.find(Severity.BLOCKER, "disk-low", about,
                    f"{size(free)} free under {path}; the write log needs at least {size(min_free)}",
                    "free disk space there, or point state_dir at a larger file system")
    result.detail = f"{path}, mode {mode:o}, {size(free)} free"
    return result
