"""The optional generator: an OpenAI-compatible endpoint may reword the customer's line, keeping its sense.

Off unless configured (URL and model, as for records). Any failure — unreachable, slow, an error
status, an odd or overlong answer — keeps the deterministic line and gives one warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from calmline.records.generator import GeneratorConfig, endpoint

MAX_CHARS = 600
INSTRUCTIONS = (
    "You play a customer in a contact-center training role-play. Reword the customer's line so it sounds "
    "natural, in the same mood and with the same facts, numbers and names. One short message, no quotes, "
    "no stage directions."
)


@dataclass(frozen=True)
class Reworded:
    text: str
    warning: str | None = None


def reword(line: str, persona_context: str, config: GeneratorConfig | None) -> Reworded:
    """``line`` reworded by the endpoint, or ``line`` itself with a one-line warning saying why."""
    if config is None:
        return Reworded(line)
    try:
        return Reworded(_ask(line, persona_context, config))
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
        reason = "no answer in time" if isinstance(exc, httpx.TimeoutException) else type(exc).__name__
        return Reworded(line, f"generator: {reason}; the scripted customer line stands")


def _ask(line: str, persona_context: str, config: GeneratorConfig) -> str:
    headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
    payload = {
        "model": config.model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": f"{INSTRUCTIONS}\nThe customer: {persona_context}"},
            {"role": "user", "content": line},
        ],
    }
    with httpx.Client(timeout=config.timeout, trust_env=False) as client:
        response = client.post(endpoint(config.url), json=payload, headers=headers)
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
    if not isinstance(content, str) or not content.strip() or len(content) > MAX_CHARS:
        raise ValueError("the answer was empty or too long")
    return content.strip()
