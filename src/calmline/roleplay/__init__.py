"""Role-play training: personas, the simulated customer whose mood the engine moves, and the debrief."""

from calmline.errors import PersonaError
from calmline.roleplay.catalogue import find_persona, load_personas, shipped_personas
from calmline.roleplay.persona import Band, Persona, Procedure
from calmline.roleplay.result import Moment, RoleplayOutcome, RoleplayResult, RoleplayTurn
from calmline.roleplay.script import read_script
from calmline.roleplay.simulator import CustomerReply, Simulation, play

__all__ = [
    "Band",
    "CustomerReply",
    "Moment",
    "Persona",
    "PersonaError",
    "Procedure",
    "RoleplayOutcome",
    "RoleplayResult",
    "RoleplayTurn",
    "Simulation",
    "find_persona",
    "load_personas",
    "play",
    "read_script",
    "shipped_personas",
]
