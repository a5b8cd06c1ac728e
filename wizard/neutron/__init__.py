"""Reading Neutron: the live API through openstacksdk, and snapshot files."""
