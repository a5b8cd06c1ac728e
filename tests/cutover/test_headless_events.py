"""The headless report shows the cutover: gate, endpoints, drain countdown, waves, failed steps."""

import io

from rich.console import Console

from wizard.core import events as ev
from wizard.headless import RichReport


def test_cutover_events_read_at_a_glance():
    buffer = io.StringIO()
    with RichReport(Console(file=buffer, width=140, force_terminal=False)) as report:
        report(ev.GateChanged(state="holding", detail="writes hold; replaying to 42", lag=3))
        report(ev.EndpointChanged(endpoint_id="e1", interface="public", region="RegionOne",
                                  old_url="http://neutron:9696", new_url="http://alcor:9009"))
        report(ev.DrainTick(elapsed=1, min_left=29, max_left=599, waiting_for=("2 ports in BUILD",)))
        report(ev.DrainTick(elapsed=2, min_left=28, max_left=598, waiting_for=("2 ports in BUILD",)))
        report(ev.WaveStarted(wave=1, label="canary", nodes=1, waves=3))
        report(ev.NodeStep(node="compute-1", step="start_aca", status="failed", seconds=1.5, detail="exit 5"))
        report(ev.WaveFinished(wave=1, label="canary", done=0, rolled_back=1, seconds=3.0))
    out = buffer.getvalue()
    assert "gate holding: writes hold; replaying to 42 (lag 3)" in out
    assert "endpoint RegionOne public: http://neutron:9696 -> http://alcor:9009" in out
    assert out.count("drain ") == 1 and "min in 29s, max in 599s; 2 ports in BUILD" in out  # unchanged: once
    assert "compute-1: start_aca failed after 1.5s: exit 5" in out
    assert "wave 1 canary: 0 nodes moved, 1 rolled back in 3.0s" in out
