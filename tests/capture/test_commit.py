"""Group commit: each waiter returns once its own entry is on disk; fsyncs are shared."""

from __future__ import annotations

import asyncio

import pytest

from wizard.capture.commit import GroupCommit
from wizard.capture.writelog import LOG_FILE, LogUnavailable, WriteLog


async def _write_and_wait(log: WriteLog, commit: GroupCommit, n: int) -> int:
    await asyncio.sleep(0)
    seq, ticket = log.begin("POST", "/v2.0/networks", "", b'{"network": {"name": "n%d"}}' % n, [])
    await commit.durable(ticket)
    assert log.synced >= ticket
    return seq


def test_concurrent_writers_share_fsyncs(tmp_path):
    log = WriteLog(tmp_path)
    commit = GroupCommit(log)

    async def main():
        return await asyncio.gather(*(_write_and_wait(log, commit, n) for n in range(200)))

    seqs = asyncio.run(main())
    commit.close()
    assert sorted(seqs) == list(range(1, 201))
    assert 1 <= commit.fsyncs < 200
    assert log.synced == (tmp_path / LOG_FILE).stat().st_size


def test_a_failed_fsync_fails_every_waiter(tmp_path):
    (tmp_path / LOG_FILE).symlink_to("/dev/null")  # the kernel refuses fsync on it
    log = WriteLog(tmp_path)
    commit = GroupCommit(log)

    async def main():
        return await asyncio.gather(*(_write_and_wait(log, commit, n) for n in range(5)), return_exceptions=True)

    results = asyncio.run(main())
    commit.close()
    assert all(isinstance(result, LogUnavailable) for result in results)
    with pytest.raises(LogUnavailable, match="earlier fsync failed"):
        log.begin("POST", "/v2.0/networks", "", b"{}", [])
    log.close()  # releases its lock on /dev/null
