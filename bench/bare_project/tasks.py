"""The bare project's work: answer a stored delivery at the Graph API stand-in; a periodic sweep."""

import json
import urllib.request

from celery import shared_task
from django.conf import settings

from bench.bare_project.models import Delivery


@shared_task
def answer(delivery_id: int) -> None:
    delivery = Delivery.objects.get(pk=delivery_id)
    body = {
        "messaging_product": "whatsapp",
        "to": delivery.sender,
        "type": "text",
        "text": {"body": "pong"},
        "context": {"message_id": delivery.wamid},
    }
    request = urllib.request.Request(
        f"{settings.GRAPH_URL}/v23.0/bare/messages",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
    Delivery.objects.filter(pk=delivery_id).update(answered=True)


@shared_task
def sweep() -> int:
    return Delivery.objects.filter(answered=False).count()
