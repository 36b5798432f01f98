"""The vocabulary of signal kinds: stable names that rules, the coach, storage and users rely on."""

from __future__ import annotations

# Customer turns.
CUSTOMER_SIGNALS: dict[str, str] = {
    "anger": "anger, annoyance, disgust or disapproval",
    "distress": "sadness, fear, nervousness, disappointment or grief",
    "negative": "any negative emotion",
    "upset": "the customer is upset, in feelings or in the facts they give (the encoder's whole-turn reading, P02)",
    "positive": "thanks, relief, satisfaction",
    "shouting": "capitals or runs of exclamation marks",
    "offensive": "profane, insulting or hateful words",
    "venting": "strong or profane words aimed at a thing or situation, not at the agent",
    "abuse_at_agent": "an insult or harassment aimed at the person addressed",
    "violence_threat": "a threat to harm someone",
    "self_harm": "intent, plan or thoughts of harming or killing oneself",
    "manager_request": "asks for a supervisor or manager, or to complain higher",
    "emergency": "an urgent situation: medical, no heat or cooling, flooding, gas, fire",
    "callback_number": "a phone number was given (redacted)",
    "location": "an address or place was given",
    "company_fault": "the company made a mistake (billing error, missed delivery, outage …)",
    "customer_error": "the customer says the problem is of their own making (P14: help, no need to apologise)",
    "options_asked": "the customer asks what can be done or what their options are (P16)",
    "request": "the customer says what they want or asks about their matter: the problem is stated (P03)",
    "repetition": "the customer repeats a complaint: they do not feel heard",
    "customer_name": "the customer's name (data: {'name'})",
    "grievance": "a distinct complaint (data: {'topic'})",
    "confusion": "the customer does not understand or the problem is still unclear",
    "wants_to_end": "the customer signals the conversation is over",
    "churn_threat": "the customer says they will cancel, close the account or switch provider",
    "sarcasm": "a sarcastic remark: praise or thanks that means the opposite",
}

# Agent turns (and agent drafts through the coach).
AGENT_SIGNALS: dict[str, str] = {
    "acknowledgement": "the agent acknowledges the customer's feeling (P02)",
    "clarifying_question": "the agent asks a question about the problem (P03)",
    "restatement": "the agent restates what they heard (P03)",
    "interruption": "the agent talks over the customer or fires turns in a row (P04)",
    "hostile_tone": "sarcasm, anger, defensiveness or 'calm down' (P01)",
    "minimising": "makes the customer's problem sound small: 'it's only a short delay' (P02)",
    "shouting": "capitals or runs of exclamation marks (P01)",
    "lecture": "lecturing or blaming the customer (P05)",
    "canned_repeat": "the same line said again in this conversation (P06)",
    "negative_phrasing": "what cannot be done instead of what can (P07)",
    "transfer": "the customer is being transferred (P08)",
    "promise": "a commitment (data: {'beyond_authority'}) (P09, P18)",
    "overpromise": "a guarantee or deadline beyond the agent's authority (P09)",
    "apology": "the agent apologises (P14)",
    "boundary_statement": "the agent sets a boundary about abusive language (P11)",
    "name_used": "the agent uses the customer's name (P15)",
    "options_offered": "the agent offers options (P16 purpose)",
    "action_taken": "the agent acts or confirms an action (P16 react)",
    "hedging": "vague, unsure wording (P17)",
    "contradiction": "contradicts what the agent said earlier (P17)",
    "closing": "the agent is ending the conversation (P20)",
    "further_help_offer": "the agent offers further help (P20)",
    "supervisor_involved": "the agent brings in a supervisor (P10)",
    "impolite": "curt or rude wording, from the trained politeness model (P01)",
}

ENCODER_HEADS: tuple[str, ...] = (
    "anger",
    "distress",
    "negative",
    "offensive",
    "abuse_at_agent",
    "violence_threat",
    "self_harm",
    "manager_request",
    "emergency",
    "churn_threat",
    "sarcasm",
    "impolite",
)
"""The signals the shipped encoder has a head for, in the order of its output (impolite reads agent text)."""

ALERT_HEADS: tuple[str, ...] = ("abuse_at_agent", "violence_threat", "self_harm", "manager_request", "emergency")
"""The encoder heads whose signal raises an alert in the default playbook (abuse, crisis, manager request,
emergency): calm text must leave them quiet, and no cue list may raise them alone."""

EMERGENCY_KINDS: tuple[str, ...] = (
    "medical",
    "no_heat",
    "no_cooling",
    "flooding",
    "gas",
    "fire",
    "power",
    "lockout",
    "security",
)
"""What an emergency is about, as the emergency head's second output names it (``data["kind"]``)."""
