"""Amazon Connect Contact Lens analysis JSON: recognising it and turning it into a conversation document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from calmline.errors import ContactLensError

__all__ = ["is_contact_lens", "to_conversation_document"]

# Contact Lens names its parties by role; calmline's roles carry the same meaning.
_ROLES = {"AGENT": "agent", "CUSTOMER": "customer", "SYSTEM": "system", "SUPERVISOR": "supervisor"}
_CHANNELS = {"VOICE": "voice", "CHAT": "chat", "EMAIL": "email"}


def is_contact_lens(document: Any) -> bool:
    """True for a Contact Lens analysis file: a ``Transcript`` list beside ``Participants`` or ``JobStatus``."""
    return (
        isinstance(document, dict)
        and "Transcript" in document
        and ("Participants" in document or "JobStatus" in document or "CustomerMetadata" in document)
    )


def to_conversation_document(document: dict[str, Any], fallback_id: str) -> dict[str, Any]:
    """The conversation JSON (as ``parse_transcript`` reads it) of a Contact Lens analysis file.

    Voice items give ``start``/``end`` in seconds from ``BeginOffsetMillis``/``EndOffsetMillis``;
    chat items give ``timestamp`` from ``AbsoluteTime``. The contact id becomes the conversation
    id; Contact Lens's own categories and overall sentiment are kept in ``metadata``.
    """
    status = document.get("JobStatus")
    if status not in (None, "COMPLETED"):
        raise ContactLensError(f"Contact Lens job status is {status!r}, not COMPLETED")
    items = document.get("Transcript")
    if not isinstance(items, list) or not items:
        raise ContactLensError("Contact Lens 'Transcript' is empty or not a list")
    roles = _participant_roles(document.get("Participants"))
    turns = [_turn(item, n, roles) for n, item in enumerate(items, 1)]
    started_at = _started_at(items)
    metadata = _metadata(document)
    conversation: dict[str, Any] = {
        "id": _contact_id(document) or fallback_id,
        "channel": _CHANNELS.get(str(document.get("Channel", "")).upper(), "voice"),
        "metadata": metadata,
        "turns": turns,
    }
    if started_at is not None:
        conversation["started_at"] = started_at
    return conversation


def _participant_roles(participants: Any) -> dict[str, str]:
    if not isinstance(participants, list):
        return {}
    roles: dict[str, str] = {}
    for participant in participants:
        if isinstance(participant, dict) and isinstance(participant.get("ParticipantId"), str):
            roles[participant["ParticipantId"]] = str(participant.get("ParticipantRole", ""))
    return roles


def _turn(item: Any, number: int, roles: dict[str, str]) -> dict[str, Any]:
    where = f"Transcript item {number}"
    if not isinstance(item, dict):
        raise ContactLensError(f"{where} is not an object")
    content = item.get("Content")
    if not isinstance(content, str) or not content.strip():
        raise ContactLensError(f"{where} has no 'Content'")
    participant = str(item.get("ParticipantId", ""))
    # Chat items carry their role; voice items name a participant listed under Participants
    # (older files use the role itself, AGENT or CUSTOMER, as the participant id).
    role_name = str(item.get("ParticipantRole") or roles.get(participant) or participant).upper()
    role = _ROLES.get(role_name)
    if role is None:
        raise ContactLensError(f"{where}: unknown participant {participant!r} (no AGENT/CUSTOMER role)")
    turn: dict[str, Any] = {"speaker": role_name.title(), "role": role, "text": content}
    if isinstance(item.get("Id"), str) and item["Id"]:
        turn["id"] = item["Id"]
    if isinstance(item.get("AbsoluteTime"), str):
        turn["timestamp"] = item["AbsoluteTime"]
    begin, end = item.get("BeginOffsetMillis"), item.get("EndOffsetMillis")
    if isinstance(begin, int | float) and isinstance(end, int | float):
        turn["start"], turn["end"] = begin / 1000, end / 1000
    return turn


def _started_at(items: list[Any]) -> str | None:
    first = items[0] if isinstance(items[0], dict) else {}
    stamp = first.get("AbsoluteTime")
    if not isinstance(stamp, str):
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        raise ContactLensError(f"'AbsoluteTime' {stamp[:40]!r} is not ISO 8601") from None
    offset = first.get("BeginOffsetMillis")
    if isinstance(offset, int | float):
        moment -= timedelta(milliseconds=offset)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def _contact_id(document: dict[str, Any]) -> str | None:
    customer = document.get("CustomerMetadata")
    contact = customer.get("ContactId") if isinstance(customer, dict) else None
    return contact if isinstance(contact, str) and contact else None


def _metadata(document: dict[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"source_format": "contact_lens"}
    categories = document.get("Categories")
    if isinstance(categories, dict) and isinstance(categories.get("MatchedCategories"), list):
        metadata["contact_lens_categories"] = [str(c) for c in categories["MatchedCategories"]]
    characteristics = document.get("ConversationCharacteristics")
    sentiment = characteristics.get("Sentiment") if isinstance(characteristics, dict) else None
    overall = sentiment.get("OverallSentiment") if isinstance(sentiment, dict) else None
    if isinstance(overall, dict):
        metadata["contact_lens_sentiment"] = {str(k): v for k, v in overall.items()}
    for key in ("LanguageCode", "AccountId"):
        if isinstance(document.get(key), str):
            metadata[key[0].lower() + key[1:]] = document[key]
    return metadata
