"""Role-play training: personas, the simulated customer whose mood the engine moves, and the debrief."""

from calmline.roleplay.catalogue import find_persona, load_personas, shipped_personas
from calmline.roleplay.persona import Band, Persona, PersonaError, Procedure
from calmline.roleplay.result import Moment, Outcome, RoleplayResult, RoleplayTurn
from calmline.roleplay.script import read_script
from calmline.roleplay.simulator import CustomerReply, Simulation, play

__all__ = [
    "Band",
    "CustomerReply",
    "Moment",
    "Outcome",
    "Persona",
    "PersonaError",
    "Procedure",
    "RoleplayResult",
    "RoleplayTurn",
    "Simulation",
    "find_persona",
    "load_personas",
    "play",
    "read_script",
    "shipped_personas",
]
