"""Regenerate wizard/lab/sample_configs/: build each sample cloud on a fresh real neutron-server and snapshot it.

Usage: python scripts/build_sample_clouds.py [NAME ...] [--out DIR]    (default: every sample)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from wizard.lab import samples
from wizard.lab.neutron_server import NeutronServer
from wizard.lab.topology import build
from wizard.neutron.reader import NeutronReader
from wizard.plan import NeutronSource


def export(name: str, out: Path) -> dict[str, int]:
    """Build sample NAME on its own neutron-server and write its snapshot to OUT."""
    topology = samples.SAMPLES[name]()
    with NeutronServer(service_plugins=samples.SERVICE_PLUGINS, progress=print) as server:
        started = time.monotonic()
        build(topology, server.url, server.add_agent)
        print(f"{name}: built {topology.counts()} in {time.monotonic() - started:.1f} s")
        with NeutronReader(NeutronSource(url=server.url, auth="none")) as reader:
            return reader.write(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"samples to build: {', '.join(samples.SAMPLES)}")
    parser.add_argument("--out", type=Path, default=Path("wizard/lab/sample_configs"), help="output directory")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(samples.SAMPLES))
    if unknown:
        parser.error(f"no such sample: {', '.join(unknown)}")
    for name in args.names or samples.SAMPLES:
        counts = export(name, args.out / f"{name}.json")
        print(f"{args.out / f'{name}.json'}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
