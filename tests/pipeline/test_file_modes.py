"""What `run` writes into the state directory is its owner's only, whatever the umask."""

from __future__ import annotations

import os

import pytest

from tests.pipeline.test_run_cmd import ALCOR, SMALL_CLOUD


@pytest.fixture
def open_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_the_snapshot_and_the_dry_run_are_the_owners_only(tmp_path, alcor_migrate, open_umask):
    state = tmp_path / "state"
    alcor_migrate("run", "--snapshot", SMALL_CLOUD, "--alcor-url", ALCOR, "--state-dir", state,
                  "--until", "preview", "--yes")
    written = [state / "snapshot.json", *(state / "preview").iterdir()]
    assert len(written) == 4
    assert {path.name: os.stat(path).st_mode & 0o777 for path in written} == {path.name: 0o600 for path in written}
    assert os.stat(state / "preview").st_mode & 0o777 == 0o700
