"""Capture: the proxy in front of Neutron, the durable write log, and replay into Alcor."""
