"""The endpoint switch: the cloud's `network` endpoints move from Neutron to Alcor's API gateway.

Method `keystone` edits the catalog through openstacksdk's identity API: every
endpoint of the service type (each interface, each region, unless the plan
narrows them) is recorded in the state store before the first change, then
pointed at Alcor; `restore` puts the recorded URLs back. Method `none` leaves
the catalog to the operator and waits for their confirmation.

The capture's `keystone` insertion (wizard/capture/insertion.py) moves the same endpoints
to the capture first, with the same record: the switch then moves them on from the capture
to Alcor, and a restore (abort, rollback) puts Neutron's own URLs back, never the capture's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from wizard.core.errors import InputError, MigrateError
from wizard.core.events import EndpointChanged, Event
from wizard.core.state import StateStore
from wizard.plan import Plan

METHODS = ("keystone", "none")
STATE_KEY = "switch.endpoints"  # the endpoints as they were before the switch
SWITCHED = "switch.done"  # meta: the switch happened (the catalog is Alcor's)


@dataclass(frozen=True)
class CatalogEndpoint:
    id: str
    interface: str
    region: str
    url: str


class Catalog(Protocol):
    def endpoints(self) -> list[CatalogEndpoint]:
        """The endpoints the switch moves."""

    def set_url(self, endpoint_id: str, url: str) -> None: ...


class KeystoneCatalog:
    """The service's endpoints in Keystone's v3 catalog, through an openstacksdk connection."""

    def __init__(self, conn, service_type: str = "network", regions=(), interfaces=()):
        self.conn, self.service_type = conn, service_type
        self.regions, self.interfaces = set(regions), set(interfaces)

    def endpoints(self) -> list[CatalogEndpoint]:
        found = []
        for service in self.conn.identity.services(type=self.service_type):
            for endpoint in self.conn.identity.endpoints(service_id=service.id):
                if self.regions and endpoint.region_id not in self.regions:
                    continue
                if self.interfaces and endpoint.interface not in self.interfaces:
                    continue
                found.append(CatalogEndpoint(id=endpoint.id, interface=endpoint.interface,
                                             region=endpoint.region_id or "", url=endpoint.url))
        return sorted(found, key=lambda e: (e.region, e.interface, e.id))

    def set_url(self, endpoint_id: str, url: str) -> None:
        self.conn.identity.update_endpoint(endpoint_id, url=url)


class KeystoneSwitch:
    """Points the recorded endpoints at Alcor, and back."""

    def __init__(self, catalog: Catalog, state: StateStore, emit: Callable[[Event], None] = lambda e: None):
        self.catalog, self.state, self.emit = catalog, state, emit

    def recorded(self) -> list[CatalogEndpoint]:
        return [CatalogEndpoint(**e) for e in self.state.get_meta(STATE_KEY) or []]

    def switch(self, url: str) -> list[CatalogEndpoint]:
        """Record the endpoints (once: a resumed switch keeps the first record), then move them to `url`."""
        current = {e.id: e.url for e in self.catalog.endpoints()}
        before = self.recorded()
        if not before:
            before = self.catalog.endpoints()
            if not before:
                raise MigrateError("switch: the catalog has no endpoint to switch (check cutover.endpoint: "
                                   "service_type, regions, interfaces)")
            self.state.set_meta(STATE_KEY, [asdict(e) for e in before])
        moved = []
        try:
            for endpoint in before:
                self._move(endpoint, current.get(endpoint.id, endpoint.url), url)
                moved.append(endpoint)
        except Exception:
            for endpoint in moved:  # back where they were (the capture, after its insertion)
                self._move(endpoint, url, current.get(endpoint.id, endpoint.url))
            raise
        return before

    def restore(self) -> list[CatalogEndpoint]:
        """Put every recorded URL back, then forget the record."""
        recorded = self.recorded()
        current = {e.id: e.url for e in self.catalog.endpoints()}
        for endpoint in recorded:
            self._move(endpoint, current.get(endpoint.id, ""), endpoint.url)
        self.state.set_meta(STATE_KEY, [])
        return recorded

    def _move(self, endpoint: CatalogEndpoint, old: str, new: str) -> None:
        if old == new:
            return
        self.catalog.set_url(endpoint.id, new)
        self.emit(EndpointChanged(endpoint_id=endpoint.id, interface=endpoint.interface, region=endpoint.region,
                                  old_url=old, new_url=new))


class ManualSwitch:
    """Method `none`: the operator moves the endpoints; the wizard waits for their word."""

    def __init__(self, ask: Callable[[str, str], None], service_type: str = "network"):
        self.ask, self.service_type = ask, service_type

    def switch(self, url: str) -> list[CatalogEndpoint]:
        self.ask("switch", f"Point every '{self.service_type}' endpoint in the catalog at {url} "
                           f"(openstack endpoint set --url {url} ID), then confirm")
        return []

    def restore(self) -> list[CatalogEndpoint]:
        self.ask("switch", f"Point the '{self.service_type}' endpoints back at Neutron, then confirm")
        return []


def target_url(plan: Plan) -> str:
    url = plan.cutover.endpoint.alcor_url or plan.alcor.gateway_url
    if not url:
        raise InputError("cutover.endpoint.alcor_url: no URL to switch to (nor alcor.gateway_url)")
    return url


def keystone_connection(plan: Plan) -> Any:
    """An openstacksdk connection with Keystone admin rights: cutover.endpoint.cloud, else neutron.cloud."""
    import openstack

    cloud = plan.cutover.endpoint.cloud or plan.neutron.cloud
    if not cloud:
        raise InputError("cutover.endpoint.cloud: method keystone needs a clouds.yaml cloud with admin rights "
                         "on Keystone (or neutron.cloud)")
    return openstack.connect(cloud=cloud)


def endpoint_switch(plan: Plan, state: StateStore, ask: Callable[[str, str], None],
                    emit: Callable[[Event], None] = lambda e: None, conn: Any = None):
    """The switch the plan asks for."""
    config = plan.cutover.endpoint
    if config.method == "none":
        return ManualSwitch(ask, config.service_type)
    if config.method != "keystone":
        raise InputError(f"cutover.endpoint.method: {config.method!r} is not one of {', '.join(METHODS)}")
    return keystone_switch(plan, state, emit, conn)


def keystone_switch(plan: Plan, state: StateStore, emit: Callable[[Event], None] = lambda e: None,
                    conn: Any = None) -> KeystoneSwitch:
    """The catalog's endpoints that cutover.endpoint names (service type, regions, interfaces), moved
    through Keystone with the originals recorded."""
    config = plan.cutover.endpoint
    catalog = KeystoneCatalog(conn or keystone_connection(plan), config.service_type, config.regions,
                              config.interfaces)
    return KeystoneSwitch(catalog, state, emit)
