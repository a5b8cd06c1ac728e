"""Neutron's endpoint, found once per run and kept: every later read of Neutron goes there.

With a cloud, the endpoint is the catalog's network endpoint of `neutron.interface`;
`neutron.url` overrides it (the token still comes from the cloud). The first phase that
needs it (preflight) records it in the state store, before anything changes; the capture,
the snapshot, replay, verify, the drain and a resumed run then use the record, never the
catalog's current entry, which points at the capture or at Alcor later in the run.
"""

from __future__ import annotations

import dataclasses

from wizard.core.errors import InputError
from wizard.core.state import StateStore
from wizard.neutron.reader import API_PREFIX, NeutronReader, public_url
from wizard.plan import NeutronSource

STATE_KEY = "neutron.endpoint"  # meta: Neutron's root URL (no /v2.0, nothing secret)


def is_live(source: NeutronSource) -> bool:
    """The plan reaches a live Neutron (a URL or a cloud), not only a snapshot file."""
    return bool(source.url or source.cloud)


def root(url: str) -> str:
    """A Neutron URL as clients and the SDK want it: no trailing slash, no /v2.0."""
    return url.rstrip("/").removesuffix(API_PREFIX)


def find(source: NeutronSource) -> str:
    """Neutron's root URL: `neutron.url`, else the catalog's entry (a login to the cloud)."""
    if source.url:
        return root(source.url)
    with NeutronReader(source) as reader:
        return root(reader.catalog_endpoint())


def pinned_url(source: NeutronSource, state: StateStore) -> str:
    """The URL of a live Neutron every read in this run uses (`pinned`); InputError for a snapshot file."""
    url = pinned(source, state).url
    if url is None:
        raise InputError("no live Neutron (neutron.url or neutron.cloud): the plan reads only a snapshot file")
    return url


def pinned(source: NeutronSource, state: StateStore) -> NeutronSource:
    """The source every read of Neutron in this run uses: at the recorded endpoint (found and
    recorded first if need be), logging in as the plan says. A snapshot-only source is kept."""
    if not is_live(source):
        return source
    recorded = state.get_meta(STATE_KEY)
    if source.url or not recorded:
        endpoint = find(source)
        if public_url(endpoint) != recorded:
            state.set_meta(STATE_KEY, public_url(endpoint))
        return dataclasses.replace(source, url=endpoint)
    return dataclasses.replace(source, url=recorded)
