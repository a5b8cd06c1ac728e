"""Fixtures shared by every test area."""

import ssl

import pytest

from wizard.lab.alcor import AlcorEmulator
from wizard.lab.keystone_server import KeystoneServer
from wizard.lab.neutron_server import NeutronServer


@pytest.fixture(scope="session")
def neutron_server():
    """One real neutron-server for the whole session (installed on first use; never skipped).

    Tests share it, so each isolates itself by its own project ids and names.
    """
    with NeutronServer() as server:
        yield server


@pytest.fixture(scope="session")
def keystone():
    """One real Keystone for the whole session (installed on first use), bootstrapped with admin/secret.

    Tests share it: each makes the users, projects and catalog entries it needs.
    """
    with KeystoneServer() as server:
        yield server


@pytest.fixture
def emulator():
    with AlcorEmulator(seed=7, delivery_timeout=1.0) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def tls() -> ssl.SSLContext:
    """One TLS context for every test client: building one per client costs more than a test."""
    return ssl.create_default_context()


def untimed(events) -> list:
    """Events as comparable values: the same facts told at another moment compare equal."""
    return [(type(event).__name__, {**vars(event), "at": None}) for event in events]


def drop_network_services(conn) -> None:
    """Remove every network service and its endpoints from the Keystone catalog `conn` sees."""
    for service in list(conn.identity.services(type="network")):
        for endpoint in list(conn.identity.endpoints(service_id=service.id)):
            conn.identity.delete_endpoint(endpoint)
        conn.identity.delete_service(service)
