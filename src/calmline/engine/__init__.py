"""The analysis engine: redaction, registered detectors, the state tracker and playbook rules."""
