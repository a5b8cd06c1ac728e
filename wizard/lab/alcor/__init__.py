"""The Alcor emulator: Alcor's REST services, traps included, on loopback (the lab's stand-in for Alcor)."""

from wizard.lab.alcor.faults import Faults
from wizard.lab.alcor.server import AlcorEmulator

__all__ = ["AlcorEmulator", "Faults"]
