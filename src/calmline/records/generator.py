"""The optional generator: any OpenAI-compatible chat-completions endpoint may reword the hand-off note.

Off unless configured with a URL and a model name. The record never depends on it: the note sent
is the deterministic one (already free of the personal data redaction removes), and on any failure
— unreachable, slow, an error status, an odd answer, a rewrite that drops a name or a time — the
deterministic note stands and one line says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
from pydantic import BaseModel, ConfigDict, Field

TIMEOUT_SECONDS = 5.0
MAX_REWRITE_CHARS = 2000
INSTRUCTIONS = (
    "You reword hand-off notes for contact-center supervisors. Keep every fact, name, time, turn number and "
    "promise exactly; add nothing; no greeting. Answer with the note only, at most six short lines, plain text."
)
KEPT_FACTS = re.compile(r"\b\d{1,2}:\d{2}\b")


class GeneratorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="Base URL (…/v1) or the full …/chat/completions address.")
    model: str
    timeout: float = Field(TIMEOUT_SECONDS, gt=0, le=60)
    api_key: str | None = Field(None, repr=False)


@dataclass(frozen=True)
class Rewrite:
    text: str
    warning: str | None = None
    generated: bool = False


def endpoint(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/chat/completions") else url + "/chat/completions"


def rewrite_note(note: str, config: GeneratorConfig | None, must_keep: tuple[str, ...] = ()) -> Rewrite:
    """The note reworded by the configured endpoint, or the note itself with a one-line warning.

    ``must_keep``: words the rewrite has to contain (names of the customer and of commitment owners);
    clock times in the note are always kept.
    """
    if config is None:
        return Rewrite(note)
    try:
        text = _ask(note, config)
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
        return Rewrite(note, _warning(_reason(exc)))
    dropped = [fact for fact in (*must_keep, *KEPT_FACTS.findall(note)) if fact and fact not in text]
    if dropped:
        return Rewrite(note, _warning(f"the rewrite dropped {', '.join(sorted(set(dropped)))}"))
    return Rewrite(text, generated=True)


def _ask(note: str, config: GeneratorConfig) -> str:
    headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
    payload = {
        "model": config.model,
        "temperature": 0,
        "messages": [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": note}],
    }
    with httpx.Client(timeout=config.timeout, trust_env=False) as client:
        response = client.post(endpoint(config.url), json=payload, headers=headers)
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
    if not isinstance(content, str) or not content.strip():
        raise ValueError("the answer had no text")
    if len(content) > MAX_REWRITE_CHARS:
        raise ValueError(f"the answer was longer than {MAX_REWRITE_CHARS} characters")
    return content.strip()


def _reason(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    if isinstance(exc, httpx.HTTPStatusError):
        return f"the endpoint answered {exc.response.status_code}"
    if isinstance(exc, httpx.HTTPError):
        return f"cannot reach the endpoint ({type(exc).__name__})"
    if isinstance(exc, ValueError) and str(exc):
        return str(exc).splitlines()[0]
    return "the answer was not a chat completion"


def _warning(reason: str) -> str:
    return f"generator: {reason}; the deterministic hand-off note stands"
