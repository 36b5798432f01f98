"""The playbook: the practice catalogue, thresholds, procedures and rules, validated."""

from calmline.playbook.loader import load_default, load_playbook, load_playbook_text
from calmline.playbook.schema import Playbook, Rule

__all__ = ["Playbook", "Rule", "load_default", "load_playbook", "load_playbook_text"]
