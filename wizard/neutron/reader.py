"""Read every Neutron collection through openstacksdk, page by page, exactly as the API returns it.

Resources are raw JSON from GET requests sent through the SDK's network
adapter (so clouds.yaml, OS_* variables, Keystone and TLS settings all apply),
never SDK resource objects, which rename fields.

    with NeutronReader(plan.neutron, progress=print) as reader:
        counts = reader.write("cloud.json")      # streamed: one page in memory at a time
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import keystoneauth1.exceptions
import keystoneauth1.identity
import openstack
import openstack.exceptions

from wizard.core.errors import InputError, MigrateError
from wizard.neutron import snapshot
from wizard.plan import NeutronSource

API_PREFIX = "/v2.0"

# collection, resources read so far, finished (a skipped collection finishes at 0)
CollectionProgress = Callable[[str, int, bool], None]


class NeutronRefused(MigrateError):
    """Neutron answered a request with an error status (`status`: 401, 403, 404...)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def _quiet(_name: str, _count: int, _done: bool) -> None:
    pass


def connect(source: NeutronSource) -> openstack.connection.Connection:
    """An SDK connection. With a cloud (auth keystone) it logs in there, and `url`, if given,
    replaces the catalog's network endpoint (the token still comes from the cloud); a URL
    without a cloud is reached with auth none."""
    settings: dict[str, Any] = {}  # the SDK's config options (its **kwargs)
    if not source.verify_tls:
        settings["verify"] = False
    if source.url:
        # The SDK discovers the API version from the root URL; "/v2.0" makes discovery fail.
        settings["network_endpoint_override"] = source.url.rstrip("/").removesuffix(API_PREFIX)
    if source.url and not (source.cloud and source.auth == "keystone"):
        return openstack.connect(auth_type="none", load_yaml_config=False, load_envvars=False, **settings)
    return openstack.connect(cloud=source.cloud, network_interface=source.interface, **settings)


def public_url(url: str) -> str:
    """URL without user info, query or fragment: nothing secret goes into a snapshot."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class NeutronReader:
    """Reads one Neutron, counting its HTTP requests in `requests`."""

    def __init__(self, source: NeutronSource, progress: CollectionProgress = _quiet):
        if source.page_size < 1:
            raise InputError(f"neutron.page_size: must be at least 1, found {source.page_size}")
        self.page_size, self.interface = source.page_size, source.interface
        self.progress = progress
        self.requests = 0
        if source.url:
            self._where = public_url(source.url)
        else:
            self._where = f"cloud {source.cloud or os.environ.get('OS_CLOUD') or '(from OS_* variables)'}"
        with self._reporting_errors():
            self._connection = connect(source)

    def __enter__(self) -> NeutronReader:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._connection.close()

    @contextlib.contextmanager
    def _reporting_errors(self) -> Iterator[None]:
        try:
            yield
        except (keystoneauth1.exceptions.ClientException, openstack.exceptions.SDKException) as exc:
            raise MigrateError(f"Neutron at {self._where}: {exc}") from None

    @cached_property
    def endpoint(self) -> str:
        """The network endpoint the SDK talks to (from the catalog, or the URL given)."""
        with self._reporting_errors():
            url = self._connection.network.get_endpoint()
        if not url:
            raise MigrateError(f"Neutron at {self._where}: the SDK found no network endpoint "
                               "(check neutron.interface and the cloud's region_name)")
        self._where = public_url(url).rstrip("/")
        return self._where

    @property
    def where(self) -> str:
        """Neutron as errors name it: its URL, or the cloud logged in to."""
        return self._where

    def roles(self) -> list[str] | None:
        """The roles of the login's token, sorted (None: no token is sent, auth none)."""
        auth = self._connection.session.auth
        if not isinstance(auth, keystoneauth1.identity.BaseIdentityPlugin):
            return None
        with self._reporting_errors():
            return sorted(auth.get_access(self._connection.session).role_names or [])  # None: the token lists none

    def catalog_endpoint(self) -> str:
        """The network endpoint the catalog gives for the plan's interface (or the URL given)."""
        with self._reporting_errors():
            url = self._connection.endpoint_for("network", interface=self.interface)
        if not url:
            raise MigrateError(f"Neutron at {self._where}: the catalog has no '{self.interface}' "
                               "network endpoint (check neutron.interface and the cloud's region_name)")
        return url

    @cached_property
    def extensions(self) -> list[str]:
        """The aliases of Neutron's API extensions, sorted."""
        return sorted(item["alias"] for item in self._get("/v2.0/extensions")["extensions"])

    def source_facts(self) -> dict[str, Any]:
        """The snapshot's `source`: endpoint, extensions and the time the read starts (UTC)."""
        extensions = self.extensions
        taken_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        return {"endpoint": self.endpoint, "taken_at": taken_at.replace("+00:00", "Z"),
                "extensions": extensions}

    def is_served(self, name: str) -> bool:
        extension = snapshot.REQUIRED_EXTENSION.get(name)
        return extension is None or extension in self.extensions

    def resources(self, name: str) -> Iterator[dict[str, Any]]:
        """Every resource of one collection, fetched `page_size` at a time (limit and marker).

        Only one page is held: each is let go before the next is fetched.
        """
        count = 0
        if self.is_served(name):
            for page in self._pages(name):
                count += len(page)
                yield from page
                del page
                self.progress(name, count, False)
        self.progress(name, count, True)

    def _pages(self, name: str) -> Iterator[list[dict[str, Any]]]:
        path = snapshot.COLLECTIONS[name]
        if "pagination" not in self.extensions:
            yield self._get(path)[name]
            return
        marker = None
        while True:
            params = {"limit": self.page_size, **({"marker": marker} if marker else {})}
            page = self._get(path, params)[name]
            full, last = len(page) >= self.page_size, page[-1]["id"] if page else None
            yield page
            del page
            if not full:
                return
            if last == marker:
                raise MigrateError(f"GET {self.endpoint}{path}: the server ignores the marker "
                                   f"{marker}; cannot page through {name}")
            marker = last

    def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        with self._reporting_errors():
            response = self._connection.network.get(path.removeprefix(API_PREFIX), params=params)
        self.requests += 1
        if response.status_code != 200:
            raise NeutronRefused(f"GET {self.endpoint}{path.removeprefix(API_PREFIX)}: "
                                 f"HTTP {response.status_code}: {_neutron_message(response)}",
                                 response.status_code)
        return response.json()

    def resource(self, name: str, resource_id: str) -> dict[str, Any] | None:
        """One resource as Neutron holds it now, or None if it has none by that id."""
        singular = snapshot.SINGULAR[name]
        try:
            return self._get(f"{snapshot.COLLECTIONS[name]}/{resource_id}")[singular]
        except NeutronRefused as exc:
            if exc.status == 404:
                return None
            raise

    def search(self, collection: str, /, **filters: Any) -> list[dict[str, Any]]:
        """The resources of a collection whose fields have these values (one request, no paging)."""
        return self._get(snapshot.COLLECTIONS[collection], filters)[collection]

    def first(self, name: str) -> list[dict[str, Any]]:
        """At most one resource of a collection, in one request: proves the account may list it."""
        return self._get(snapshot.COLLECTIONS[name], {"limit": 1})[name][:1]

    def read(self) -> snapshot.Snapshot:
        """The whole cloud in memory."""
        source = self.source_facts()
        return snapshot.Snapshot(source, {name: list(self.resources(name)) for name in snapshot.COLLECTIONS})

    def write(self, path: str | os.PathLike) -> dict[str, int]:
        """Stream the whole cloud into a snapshot file; returns the count per collection."""
        source = self.source_facts()
        return snapshot.write(Path(path), source,
                              {name: self.resources(name) for name in snapshot.COLLECTIONS})


def _neutron_message(response) -> str:
    """Neutron's error message from a failed response, else the start of its body."""
    try:
        return response.json()["NeutronError"]["message"]
    except (ValueError, KeyError, TypeError):
        return response.text[:200]
