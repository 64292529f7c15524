"""The bare webhook: verify the signature, store the message, queue its answer."""

import hashlib
import hmac
import json
import os

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from bench.bare_project.models import Delivery
from bench.bare_project.tasks import answer

SECRET = os.environ.get("META_APP_SECRET", "").encode()


@csrf_exempt
def webhook(request: HttpRequest) -> HttpResponse:
    expected = "sha256=" + hmac.new(SECRET, request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("X-Hub-Signature-256", "")):
        return HttpResponse(status=403)
    message = json.loads(request.body)["entry"][0]["changes"][0]["value"]["messages"][0]
    with transaction.atomic():
        delivery = Delivery.objects.create(wamid=message["id"], sender=message["from"], text=message["text"]["body"])
        transaction.on_commit(lambda: answer.delay(delivery.pk))
    return HttpResponse(status=200)


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("webhooks/whatsapp/", webhook),
    path("healthz/", healthz),
]
