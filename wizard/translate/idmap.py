"""Alcor ids learned by an earlier run, restored into a fresh translation.

Translation puts a deferred id (`{alcor-id:KIND:NEUTRON_ID}`) wherever an id only Alcor
can choose belongs. Convert (and replay) keep each id Alcor answers with in the state store;
a resumed run calls `restore` on its fresh translation so that `translation.id_map` holds
every id learned so far. To fill a request's deferred ids before sending it:
`resolve_ids(request.body, state.mapped_id)`.
"""

from __future__ import annotations

from wizard.alcor.request import is_deferred, parse_deferred
from wizard.core.state import StateStore
from wizard.translate.model import Translation


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
