"""Send the cloud's Neutron frontend to the captures through HAProxy, and back (capture.insertion: haproxy).

`insert()` replaces the backend `capture.haproxy.backend` of HAProxy's configuration file with
the one capture/haproxy.py writes (the captures, health-checked; Neutron's servers as backups
when failing open); `remove()` puts the original backend back. Either way the new file is
checked by `haproxy -c` before it replaces the old one (a file HAProxy refuses never goes live),
then HAProxy is reloaded with the plan's command.

Before the first change, the whole file is copied to `<state_dir>/haproxy/original.cfg` (0600):
the original backend is taken from that copy, so an insertion made twice, or resumed after a
crash between writing and reloading, still restores what was there before the migration; the copy
is deleted once the original is back and HAProxy reloaded. Both steps are idempotent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from wizard.capture.haproxy import Checks, Server, backend
from wizard.capture.haproxy_config import backend_section, replace_backend
from wizard.core.errors import InputError, MigrateError
from wizard.plan import HaproxyConfig as Settings

BACKUP = Path("haproxy") / "original.cfg"  # under the state directory
RELOAD_TIMEOUT = 60.0


def servers(named: dict[str, str]) -> list[Server]:
    return [Server(name, address) for name, address in named.items()]


def snippet(settings: Settings) -> str:
    """The backend section that sends Neutron's traffic to the captures."""
    return backend(settings.backend, servers(settings.captures), servers(settings.neutron),
                   fail_open=settings.fail_open, checks=Checks(path=settings.check_path))


class HaproxyInsertion:
    """The plan's HAProxy, its Neutron backend sent to the captures (`insert`) or back (`remove`)."""

    def __init__(self, settings: Settings, state_dir: str | os.PathLike, say: Callable[[str], None] = print):
        if not settings.config:
            raise InputError("capture.haproxy.config: missing: the HAProxy configuration file to change")
        self.settings = settings
        self.config = Path(settings.config)
        self.backup = Path(state_dir) / BACKUP
        self.say = say

    @property
    def section(self) -> str:
        return snippet(self.settings) + "\n"

    def inserted(self) -> bool:
        """The configuration file's backend is the captures' (HAProxy may not have been reloaded yet)."""
        return backend_section(self._read(self.config), self.settings.backend, str(self.config)).strip() == \
            self.section.strip()

    def candidate(self) -> str:
        """The configuration file as insert() would write it (what preflight checks with `haproxy -c`)."""
        return replace_backend(self._read(self.config), self.settings.backend, self.section, str(self.config))

    def insert(self) -> None:
        """Neutron's frontend to the captures: back up the file once, write the new backend, check, reload."""
        current = self._read(self.config)
        backend_section(current, self.settings.backend, str(self.config))  # the backend must be there
        if not self.backup.is_file():
            self.backup.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            temporary = self.backup.with_suffix(".tmp")
            temporary.write_text(current)
            temporary.chmod(0o600)
            os.replace(temporary, self.backup)
        self._apply(self.candidate(), "sent to the captures")

    def remove(self) -> bool:
        """Neutron's frontend back to its original backend (from the backup); False if nothing was inserted."""
        if not self.backup.is_file():
            return False
        original = backend_section(self._read(self.backup), self.settings.backend, str(self.backup))
        current = self._read(self.config)
        self._apply(replace_backend(current, self.settings.backend, original, str(self.config)),
                    "back to Neutron's own servers")
        self.backup.unlink()
        return True

    def check(self, text: str) -> str | None:
        """Why HAProxy refuses `text` as its configuration (None: it takes it)."""
        candidate = self.config.with_name(f".{self.config.name}.alcor-migrate")
        candidate.write_text(text)
        try:
            checked = subprocess.run([self.settings.binary, "-c", "-f", str(candidate)], capture_output=True,
                                     text=True, timeout=RELOAD_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"capture.haproxy.binary {self.settings.binary}: {exc}"
        finally:
            candidate.unlink(missing_ok=True)
        if checked.returncode != 0:
            output = (checked.stdout + checked.stderr).replace(str(candidate), "the new configuration")
            alerts = [line.split(" : ", 1)[-1] for line in output.splitlines() if "[ALERT]" in line]
            return f"`{self.settings.binary} -c` refuses it: {'; '.join(alerts) or output.strip()}"
        return None

    def _apply(self, text: str, what: str) -> None:
        """Check `text`, put it in place of the configuration file (keeping its mode), reload HAProxy."""
        if text != self._read(self.config):
            problem = self.check(text)
            if problem:
                raise MigrateError(f"{self.config}: backend {self.settings.backend} {what}: {problem}")
            temporary = self.config.with_name(f".{self.config.name}.alcor-migrate")
            temporary.write_text(text)
            shutil.copymode(self.config, temporary)
            os.replace(temporary, self.config)
        reloaded = subprocess.run(self.settings.reload, shell=True, capture_output=True, text=True,
                                  timeout=RELOAD_TIMEOUT)
        if reloaded.returncode != 0:
            raise MigrateError(f"capture.haproxy.reload `{self.settings.reload}` failed (exit {reloaded.returncode}): "
                               f"{(reloaded.stdout + reloaded.stderr).strip()}; {self.config} has backend "
                               f"{self.settings.backend} {what}, HAProxy does not yet")
        self.say(f"haproxy: backend {self.settings.backend} in {self.config} {what}; reloaded "
                 f"(`{self.settings.reload}`)")

    @staticmethod
    def _read(path: Path) -> str:
        try:
            return path.read_text()
        except OSError as exc:
            raise InputError(f"{path}: cannot read HAProxy's configuration: {exc.strerror or exc}") from None
