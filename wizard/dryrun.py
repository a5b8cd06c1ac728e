"""The dry-run files: what convert would send to Alcor, and why, written to a directory.

`requests.jsonl` holds one request a line in execution order (AlcorRequest.to_json),
`findings.json` the findings and `id_map.json` the Neutron ids Alcor does not keep.
Nothing is sent anywhere.
"""

from __future__ import annotations

import json
from pathlib import Path

from wizard.translate.model import Translation

FILES = ("requests.jsonl", "findings.json", "id_map.json")


def write(translation: Translation, out_dir: str | Path) -> list[Path]:
    """Write the dry-run files for `translation` into `out_dir`; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    requests, findings, id_map = (out / name for name in FILES)
    with requests.open("w", encoding="utf-8") as lines:
        for seq, request in enumerate(translation.requests, start=1):
            lines.write(json.dumps(request.to_json(seq), sort_keys=True) + "\n")
    findings.write_text(
        json.dumps([finding.to_json() for finding in translation.findings], indent=2) + "\n",
        encoding="utf-8",
    )
    mapped = [
        {"kind": kind, "neutron_id": neutron_id, "alcor_id": alcor_id}
        for (kind, neutron_id), alcor_id in sorted(translation.id_map.items())
    ]
    id_map.write_text(json.dumps(mapped, indent=2) + "\n", encoding="utf-8")
    return [requests, findings, id_map]
