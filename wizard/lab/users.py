"""The lab's users: a small stream of writes through the capture proxy while convert runs.

So that capture and replay have real work, `UserWrites` starts a thread when the convert
phase starts and sends `count` writes to Neutron through the proxy, cycling through

    create a network, a subnet on it, a port on it; rename a sample VM port;
    add a rule to a sample security group; delete the port it created

(cycle c names what it creates `user-*-c`; another `who`, such as the users who write to
neutron-server directly in the HAProxy lab, names them `WHO-*-c`). With `login` (a Keystone lab: cloud name -> its token
and the network endpoint of its catalog, taken when convert starts, so the capture's once the
catalog points at it), each write carries a real token to that endpoint: `lab-demo` creates in its
own project (network, subnet, port, and deletes the port), `lab-admin` renames and adds rules in the
sample's projects; after the last write one more, with a token Keystone never issued, must be
refused (401). It finishes before the engine goes on from convert (the bus handler waits for it),
so the writes are in the log before replay's last loop. If convert fails or the run is stopped, the
users stop after the write in flight, before the capture stops (so that write gets its answer). The
number done is kept in the state store (meta `lab.user_writes`, `lab.bad_token_write`): a resumed
run sends only the rest. A write Neutron refuses is reported (Message) and not retried.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from wizard.core.errors import MigrateError
from wizard.core.events import Event, Message, PhaseFailed, PhaseFinished, PhaseStarted
from wizard.core.state import StateStore
from wizard.lab.keystone_lab import ADMIN_CLOUD, DEMO_CLOUD

DONE_KEY = "lab.user_writes"
BAD_TOKEN_KEY = "lab.bad_token_write"  # meta: the write with a bad token was sent
PHASE = "convert"
PAUSE = 0.05  # seconds between two writes: a stream, not a burst
FINISH_TIMEOUT = 120.0
STOP_TIMEOUT = 10.0  # seconds the write in flight gets when the users are stopped
STEPS = 6
BAD_TOKEN = "not-a-token-keystone-issued"


class UserWrites:
    def __init__(self, neutron_url: str, count: int, state: StateStore, emit: Callable[[Event], None],
                 login: Callable[[str], tuple[str, str]] | None = None, who: str = "user",
                 first_rule_port: int = 20000, on_write: Callable[[int], None] = lambda done: None):
        self.count = count
        self.who = who
        self.done_key = f"lab.{who}_writes"  # DONE_KEY for the lab's users
        self.first_rule_port = first_rule_port  # cycle c adds a rule for this port + c
        self.on_write = on_write  # called with the number of writes done after each
        self.login = login
        self.tokens: dict[str, str] = {}  # cloud -> token, with login
        self.bad_token_status: int | None = None
        self._who = ADMIN_CLOUD
        self.state = state
        self.emit = emit
        self.client = httpx.Client(base_url=neutron_url.rstrip("/") + "/v2.0", timeout=60)
        self.sent = 0
        self.refused: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def on_event(self, event: Event) -> None:
        """Bus listener: start with convert, and hold the engine at convert's end until done; if convert
        fails or the run is stopped, end with the write in flight, before the capture is stopped."""
        if getattr(event, "phase", None) != PHASE:
            return
        if isinstance(event, PhaseStarted) and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="lab-users", daemon=True)
            self._thread.start()
        elif isinstance(event, PhaseFinished):
            self.finish()
        elif isinstance(event, PhaseFailed):
            self._stop.set()
            self.finish(timeout=STOP_TIMEOUT)

    def finish(self, timeout: float = FINISH_TIMEOUT) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def stop(self) -> None:
        self._stop.set()
        self.finish(timeout=STOP_TIMEOUT)
        self.client.close()

    def _run(self) -> None:
        done = self.state.get_meta(self.done_key, 0)
        try:
            if self.login:
                for cloud in (ADMIN_CLOUD, DEMO_CLOUD):
                    self.tokens[cloud], url = self.login(cloud)
                self.client.base_url = url.rstrip("/") + "/v2.0"
            for index in range(done, self.count):
                if self._stop.is_set():
                    return
                self._write(index)
                self.state.set_meta(self.done_key, index + 1)
                self.on_write(index + 1)
                time.sleep(PAUSE)
            if self.tokens and not self._stop.is_set() and not self.state.get_meta(BAD_TOKEN_KEY):
                self._bad_token_write()
                self.state.set_meta(BAD_TOKEN_KEY, True)
        except (httpx.HTTPError, MigrateError) as exc:
            self.emit(Message(level="warning", phase=PHASE, text=f"lab: the {self.who} writes stopped: {exc}"))
        finally:
            if self.sent or self.refused:
                refused = f"; Neutron refused {len(self.refused)}: {self.refused[0]}" if self.refused else ""
                tokens = f" with their own tokens to {self.client.base_url}" if self.tokens else \
                    f" to {self.client.base_url}"
                bad = f"; a bad token: HTTP {self.bad_token_status}" if self.bad_token_status else ""
                self.emit(Message(level="info", phase=PHASE,
                                  text=f"lab: {self.sent} {self.who} writes sent{tokens}{refused}{bad}"))

    # -- the writes ----------------------------------------------------------------------
    def _write(self, index: int) -> None:
        cycle, step = divmod(index, STEPS)
        self._who = ADMIN_CLOUD if step in (3, 4) else DEMO_CLOUD  # rename and rule: the sample's projects
        method, path, body = (self._net, self._subnet, self._port, self._rename, self._rule, self._delete)[step](cycle)
        answer = self.client.request(method, path, json=body, headers=self._headers())
        self.sent += 1
        if answer.status_code >= 400:
            self.refused.append(f"{method} {path}: HTTP {answer.status_code} {answer.text[:200]}")

    def _bad_token_write(self) -> None:
        answer = self.client.post("/networks", json={"network": {"name": "intruder-net"}},
                                  headers={"X-Auth-Token": BAD_TOKEN})
        self.bad_token_status = answer.status_code
        if answer.status_code != 401:
            self.refused.append(f"a write with a bad token: HTTP {answer.status_code}, not 401")

    def _headers(self) -> dict[str, str]:
        return {"X-Auth-Token": self.tokens[self._who]} if self.tokens else {}

    def _net(self, cycle: int) -> tuple[str, str, Any]:
        owner = {} if self.tokens else {"project_id": self._project()}  # a token: the user's own project
        return "POST", "/networks", {"network": {"name": f"{self.who}-net-{cycle}", **owner}}

    def _subnet(self, cycle: int) -> tuple[str, str, Any]:
        network = self._find("networks", f"{self.who}-net-{cycle}")
        return "POST", "/subnets", {"subnet": {
            "name": f"{self.who}-subnet-{cycle}", "network_id": network["id"], "project_id": network["project_id"],
            "ip_version": 4, "cidr": f"10.{200 + cycle // 250}.{cycle % 250}.0/24"}}

    def _port(self, cycle: int) -> tuple[str, str, Any]:
        network = self._find("networks", f"{self.who}-net-{cycle}")
        return "POST", "/ports", {"port": {"name": f"{self.who}-port-{cycle}", "network_id": network["id"],
                                           "project_id": network["project_id"]}}

    def _rename(self, cycle: int) -> tuple[str, str, Any]:
        ports = self._list("ports", device_owner="compute:nova")
        port = ports[cycle % len(ports)]
        return "PUT", f"/ports/{port['id']}", {"port": {"name": f"{self.who}-renamed-{cycle}"}}

    def _rule(self, cycle: int) -> tuple[str, str, Any]:
        groups = [g for g in self._list("security-groups") if g["name"] != "default"]
        group = groups[cycle % len(groups)]
        return "POST", "/security-group-rules", {"security_group_rule": {
            "security_group_id": group["id"], "project_id": group["project_id"], "direction": "ingress",
            "ethertype": "IPv4", "protocol": "tcp", "port_range_min": self.first_rule_port + cycle,
            "port_range_max": self.first_rule_port + cycle}}

    def _delete(self, cycle: int) -> tuple[str, str, Any]:
        return "DELETE", f"/ports/{self._find('ports', f'{self.who}-port-{cycle}')['id']}", None

    def _project(self) -> str:
        return self._list("ports", device_owner="compute:nova")[0]["project_id"]

    def _list(self, collection: str, **query: str) -> list[dict[str, Any]]:
        answer = self.client.get(f"/{collection}", params=query, headers=self._headers())
        answer.raise_for_status()
        items = answer.json()[collection.replace("-", "_")]
        if not items:
            raise httpx.HTTPError(f"no {collection} {query or ''} in the lab's Neutron")
        return sorted(items, key=lambda item: item["id"])

    def _find(self, collection: str, name: str) -> dict[str, Any]:
        return self._list(collection, name=name)[0]
