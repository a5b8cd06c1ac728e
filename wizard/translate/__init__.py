"""Neutron -> Alcor translation: pure functions from a snapshot to ordered Alcor requests."""
