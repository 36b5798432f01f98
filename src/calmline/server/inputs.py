"""Request bodies the server accepts: strict shapes, sizes, and only text that can be stored as it came."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from calmline.model import Channel
from calmline.records.model import ItemStatus


def storable(value: str) -> str:
    """Refuse NUL characters and unpaired surrogates: no database stores them faithfully."""
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains invalid Unicode (an unpaired surrogate)") from None
    return value


Text = Annotated[str, AfterValidator(storable)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConversationIn(_Body):
    channel: Channel | None = None
    customer_name: Text | None = Field(None, max_length=200)
    agent_name: Text | None = Field(None, max_length=200)
    team: Text | None = Field(None, max_length=100)
    metadata: dict[Text, Text | int | float | bool | None] = Field(default_factory=dict, max_length=50)


class TurnIn(_Body):
    id: Text = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="Client turn id (idempotency key).",
    )
    speaker: Literal["customer", "agent"]
    text: Text = Field(min_length=1, max_length=20_000)


class DraftIn(_Body):
    text: Text = Field(min_length=1, max_length=20_000)


class AckIn(_Body):
    note: Text = Field("", max_length=1000)


class WebhookIn(_Body):
    url: Text = Field(min_length=8, max_length=2000)
    events: list[Literal["alert", "record", "commitment.overdue"]] = Field(min_length=1)


class SettingsIn(_Body):
    redact: list[Literal["card", "cvv", "phone", "email", "ssn", "iban", "address", "identifier"]] | None = (
        Field(
            None,
            description="Kinds of personal data to redact; card and cvv are always redacted. Order, ticket, case "
            "and other reference numbers are kept unless 'identifier' is named, which makes them [ID].",
        )
    )
    timezone: Text | None = Field(
        None, max_length=60, description="IANA zone the tenant's times are shown in."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("redact")
    @classmethod
    def _payment_data_always(cls, value: list[str] | None) -> list[str] | None:
        # Payment card data may never be stored raw (PCI DSS), whatever a tenant chooses.
        return sorted({*value, "card", "cvv"}) if value is not None else None


class OverrideIn(_Body):
    practice: str = Field(pattern=r"^P(0[1-9]|1[0-9]|2[0-4])$")
    status: ItemStatus
    reason: Text = Field(min_length=3, max_length=1000)


class DoneIn(_Body):
    note: Text = Field(min_length=1, max_length=2000, description="What was done (required).")


class StartIn(_Body):
    persona: str = Field(min_length=1, max_length=40)
    trainee: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description=(
            "Whose session it is. Honoured only for a supervisor, qa or admin key running a session for a"
            " trainee (default: that key itself); an agent key always trains under its own name (its label,"
            " else its prefix), whatever is sent here."
        ),
    )
    seed: int | None = Field(None, ge=0, le=2**31 - 1, description="Same seed, same replies -> same session.")


class ReplyIn(_Body):
    text: str = Field(min_length=1, max_length=5000)
