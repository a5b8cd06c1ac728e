"""The systemd unit that runs a capture as a service on an API node (`capture --systemd-unit`).

`Restart=always`, its own state directory (`StateDirectory=`, mode 0700, under /var/lib unless
`--state-dir` names another), the open-file limit raised, stopped with SIGTERM (the capture lets
requests in flight finish), started after the node's neutron-server. Its ExecStart is the same
`capture` command line, with this Python and absolute paths.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence

UNIT_NAME = "alcor-migrate-capture.service"
STATE_DIRECTORY = "alcor-migrate-capture"  # /var/lib/alcor-migrate-capture
DEFAULT_STATE_DIR = f"/var/lib/{STATE_DIRECTORY}"


def systemd_unit(capture_args: Sequence[str], state_dir: str) -> str:
    """The unit running `alcor-migrate capture CAPTURE_ARGS` (which name `state_dir`)."""
    exec_start = shlex.join([sys.executable, "-m", "wizard", "capture", *capture_args])
    lines = [
        "[Unit]",
        "Description=alcor-migrate capture: logs every write to the local neutron-server during the migration",
        "After=network-online.target neutron-server.service",
        "Wants=network-online.target",
        "",
        "[Service]",
        "Type=simple",
        f"ExecStart={exec_start.replace('%', '%%')}",
        "Restart=always",
        "RestartSec=1",
        "KillSignal=SIGTERM",
        "TimeoutStopSec=20",
        "LimitNOFILE=65536",
        "UMask=0077",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "ProtectSystem=full",
    ]
    if os.path.normpath(state_dir) == DEFAULT_STATE_DIR:
        lines += [f"StateDirectory={STATE_DIRECTORY}", "StateDirectoryMode=0700"]
    if os.environ.get("PYTHONPATH"):
        lines.append(f"Environment={shlex.quote('PYTHONPATH=' + os.environ['PYTHONPATH'])}")
    lines += ["", "[Install]", "WantedBy=multi-user.target", ""]
    return "\n".join(lines)
