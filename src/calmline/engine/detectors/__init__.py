"""Built-in detectors; importing this package registers them."""

from calmline.engine.detectors import (  # noqa: F401 - imported to register
    abuse,
    agent_commitments,
    agent_listening,
    agent_tone,
    crisis,
    customer_cues,
    emergency,
    emotion,
    encoded,
    grievance,
    manager,
    repetition,
    shouting,
    trained,
)
