"""Cutover: endpoint switch, drain, and node-by-node handover from Neutron agents to ACA."""
