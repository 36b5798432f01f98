"""Routes of webhooks: register a URL for alerts, records and overdue commitments; list them."""

from __future__ import annotations

from fastapi import APIRouter

from calmline.server.delivery import check_url, webhook_secret
from calmline.server.deps import AdminActor, ServerKeyDep, SessionDep, SettingsDep
from calmline.server.inputs import WebhookIn
from calmline.server.models import WebhookCreated, WebhookPublic
from calmline.storage.audit import audit
from calmline.storage.database import transaction
from calmline.storage.webhooks import add_webhook, tenant_webhooks

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


@router.post("", status_code=201)
def create_webhook(
    body: WebhookIn, actor: AdminActor, settings: SettingsDep, server_key: ServerKeyDep
) -> WebhookCreated:
    """Register a URL for alerts and/or closed-conversation records; returns its signing secret."""
    # Checked before the transaction opens: resolving the host may take a while, and on SQLite an open
    # transaction holds up every other writer.
    url = check_url(body.url, settings.webhook_allow_private)
    with transaction(settings.database_url) as db:
        row = add_webhook(db, actor.tenant_id, url, list(body.events))
        audit(db, actor.tenant_id, actor.key_id, "webhook.create", row.id, url=url)
        secret = webhook_secret(server_key, row.id)
        return WebhookCreated(id=row.id, url=url, events=row.events, secret=secret)


@router.get("")
def list_webhooks(actor: AdminActor, db: SessionDep) -> list[WebhookPublic]:
    return [WebhookPublic(id=w.id, url=w.url, events=w.events) for w in tenant_webhooks(db, actor.tenant_id)]
