"""The log feed's bearer token: one line in a file only its owner may read (mode 0600).

The capture reads it (or creates it with a random token if it is absent); the migration host
reads a copy of the same file. A file group or others may read or write is refused, naming the
file and the command that fixes it. The token itself is never printed or logged.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from wizard.errors import InputError

TOKEN_FILE = "feed.token"  # in the capture's state directory, unless capture.feed.token_file names another


def read_token(path: str | os.PathLike) -> str:
    """The token in `path`; InputError if the file is missing, empty, or open to group or others."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise InputError(f"{path}: no feed token file here") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the feed token file: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as file:
        mode = stat.S_IMODE(os.fstat(file.fileno()).st_mode)
        if mode & 0o077:
            raise InputError(f"{path}: the feed token file has mode {mode:04o}, open to group or others; "
                             f"run `chmod 600 {path}` (the token reads every write the capture logged)")
        token = file.read().decode("utf-8", errors="replace").strip()
    if not token:
        raise InputError(f"{path}: the feed token file is empty")
    return token


def load_or_create_token(path: str | os.PathLike) -> str:
    """The token in `path`, written there first (a random one, mode 0600) if the file does not exist."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return read_token(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot create the feed token file: {exc.strerror}") from None
    with os.fdopen(fd, "w") as file:
        os.fchmod(file.fileno(), 0o600)  # whatever the umask
        file.write(secrets.token_urlsafe(32) + "\n")
    return read_token(path)
