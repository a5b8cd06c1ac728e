"""Alcor ids learned from Alcor's answers, kept in the state store so a resumed run has them.

Translation puts a deferred id (`{alcor-id:KIND:NEUTRON_ID}`) wherever an id only Alcor
can choose belongs. Convert (and replay) call `remember` with each answer; a resumed
run calls `restore` on its fresh translation so that `translation.id_map` holds every id
learned so far. To fill a request's deferred ids before sending it:
`resolve_ids(request.body, state.mapped_id)`.
"""

from __future__ import annotations

from typing import Any

from wizard.state import StateStore
from wizard.translate.model import AlcorRequest, Translation, is_deferred, parse_deferred


def remember(state: StateStore, translation: Translation, request: AlcorRequest, response: Any) -> int:
    """Store every id `request.learns` finds in Alcor's `response`; returns how many it found."""
    found = 0
    for learn in request.learns:
        alcor_id = learn.find(response)
        if alcor_id is not None:
            state.map_id(learn.kind, learn.neutron_id, alcor_id)
            translation.id_map[(learn.kind, learn.neutron_id)] = alcor_id
            found += 1
    return found


def restore(state: StateStore, translation: Translation) -> int:
    """Replace the deferred ids of `translation.id_map` learned by an earlier run; returns how many."""
    restored = 0
    for key, value in translation.id_map.items():
        wanted = parse_deferred(value) if is_deferred(value) else None
        alcor_id = state.mapped_id(*wanted) if wanted else None
        if alcor_id is not None:
            translation.id_map[key] = alcor_id
            restored += 1
    return restored
