"""The embedded lab: a real neutron-server, the Alcor emulator and simulated compute nodes."""
