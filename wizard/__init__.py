"""alcor-migrate: move a live OpenStack cloud's networking from Neutron to Alcor."""

__version__ = "0.1.0"
