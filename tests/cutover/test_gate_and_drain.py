"""The cut-over gate (lag, hold, drain to position, retry, postpone) and the timed drain."""

import threading
import time

import pytest

from wizard.core.errors import MigrateError
from wizard.core.events import DrainTick, GateChanged
from wizard.cutover.drain import Drain, PortActivity
from wizard.cutover.gate import CutoverGate, Postponement
from wizard.plan import DrainConfig, GateConfig


class Log:
    """A write log whose replay applies `rate` entries per call; users append while writes are not held."""

    def __init__(self, logged=0, rate=1000, arriving=0):
        self.logged, self.applied, self.rate, self.arriving = logged, 0, rate, arriving
        self.held = False
        self.calls = []

    def head(self):
        return self.logged

    def lag(self):
        return self.logged - self.applied

    def replay(self, until, deadline):
        if not self.held:
            self.logged += self.arriving  # users keep writing while replay catches up
        self.applied = min(until, self.applied + self.rate)
        self.calls.append(("replay", until))
        return self.applied

    def unreadable(self):
        return ()

    def hold_writes(self, mode, retry_after):
        self.held = True
        self.calls.append(("hold", mode))

    def release_writes(self):
        self.held = False
        self.calls.append(("release",))


def gate(tmp_path, log, events=None, **config):
    settings = dict(retries=3, retry_delay=0.01, hold_timeout=1.0, max_lag=5)
    settings.update(config)
    return CutoverGate(GateConfig(**settings), Postponement(tmp_path / "postpone"), log, log,
                       emit=(events.append if events is not None else lambda e: None), poll=0.01)


def test_switch_happens_with_writes_held_and_log_drained(tmp_path):
    log, switched = Log(logged=50, arriving=3), []
    outcome = gate(tmp_path, log).pass_through(lambda: switched.append((log.held, log.lag())))
    assert switched == [(True, 0)]  # writes held and nothing left to replay at the moment of the switch
    assert log.calls[-1] == ("release",) and not log.held
    assert outcome.attempts == 1 and outcome.position == log.head()


def test_slow_drain_releases_writes_and_retries_then_gives_up(tmp_path):
    log, events = Log(logged=10_000, rate=1), []
    switched = []
    with pytest.raises(MigrateError, match="gave up after 2 attempts: replay is"):
        gate(tmp_path, log, events, retries=2).pass_through(lambda: switched.append(1))
    assert not switched and not log.held
    assert any(e.state == "retrying" for e in events if isinstance(e, GateChanged))


def test_hold_timeout_releases_writes(tmp_path):
    log, events = Log(logged=100, rate=1), []
    log.applied = 95  # within max_lag, but one entry per replay call cannot drain 5 in one call

    with pytest.raises(MigrateError, match="did not drain within"):
        gate(tmp_path, log, events, retries=2, max_lag=10).pass_through(lambda: None)
    assert log.calls.count(("release",)) == 2 and not log.held


def test_a_failed_switch_releases_writes(tmp_path):
    log = Log(logged=3)

    def broken():
        raise RuntimeError("keystone down")

    with pytest.raises(RuntimeError):
        gate(tmp_path, log).pass_through(broken)
    assert not log.held


def test_postponed_until_the_flag_file_goes(tmp_path):
    log, events = Log(logged=5, arriving=1), []
    g = gate(tmp_path, log, events)
    g.postponement.postpone()
    threading.Timer(0.3, g.postponement.confirm).start()
    started = time.monotonic()
    g.pass_through(lambda: None)
    assert time.monotonic() - started >= 0.3
    assert any(e.state == "postponed" and "postpone" in e.detail for e in events if isinstance(e, GateChanged))
    assert log.applied > 5  # replay kept up while postponed


def test_without_capture_the_switch_is_unguarded(tmp_path):
    events, switched = [], []
    CutoverGate(GateConfig(), Postponement(tmp_path / "p"), None, None, emit=events.append).pass_through(
        lambda: switched.append(1))
    assert switched == [1] and events[-1].state == "unguarded"


class Neutron:
    def __init__(self, ports):
        self.ports = ports

    def __call__(self):
        return self.ports


def test_port_activity_counts_build_and_pending_bindings():
    ports = [{"status": "BUILD"}, {"status": "ACTIVE", "binding:host_id": "c1", "binding:vif_type": "unbound"},
             {"status": "DOWN", "binding:host_id": "c1", "binding:vif_type": "binding_failed"},
             {"status": "DOWN", "binding:host_id": "", "binding:vif_type": "unbound"}]
    assert PortActivity(Neutron(ports)).pending() == {"ports in BUILD": 1, "port bindings pending": 1}


def test_drain_waits_at_least_the_minimum():
    events = []
    result = Drain(DrainConfig(min=0.3, max=5, poll=0.05), PortActivity(Neutron([])), Log(), events.append).run()
    assert result.quiet and 0.3 <= result.seconds < 2
    ticks = [e for e in events if isinstance(e, DrainTick)]
    assert ticks[0].min_left > 0 and ticks[-1].min_left == 0 and ticks[-1].waiting_for == ()


def test_drain_waits_for_build_ports_and_replay():
    neutron = Neutron([{"status": "BUILD"}, {"status": "BUILD"}])
    threading.Timer(0.4, lambda: setattr(neutron, "ports", [])).start()
    log, events = Log(logged=40, rate=10), []
    result = Drain(DrainConfig(min=0.05, max=5, poll=0.05), PortActivity(neutron), log, events.append).run()
    assert result.quiet and result.seconds >= 0.4 and log.lag() == 0
    waits = [e.waiting_for for e in events if isinstance(e, DrainTick)]
    assert ("2 ports in BUILD", "30 captured writes to replay") in waits


def test_drain_stops_at_the_maximum_and_says_what_was_pending():
    result = Drain(DrainConfig(min=0.05, max=0.3, poll=0.05), PortActivity(Neutron([{"status": "BUILD"}])),
                   None).run()
    assert not result.quiet and result.waiting_for == ("1 ports in BUILD",) and result.seconds < 2


def test_unreachable_neutron_is_waited_for():
    def down():
        raise ConnectionError("connection refused")

    result = Drain(DrainConfig(min=0, max=0.1, poll=0.05), PortActivity(down), None).run()
    assert result.waiting_for == ("Neutron unreachable (ConnectionError: connection refused)",)
