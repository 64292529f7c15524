"""Load for a running Alfred: signed WhatsApp deliveries (Alfred-Home) and Slack ``app_mention`` events
(Alfred-Biz), each user sending one request per second, so ``--users N`` is N requests/s.

    locust -f tests/load/locustfile.py --headless --users 20 --spawn-rate 20 --run-time 10s \\
        --host http://127.0.0.1:8000 WhatsAppMember

``make load`` runs it against a local Alfred-Home through ``bench/alert_error_ratio.py``. The secrets and ids
are the instance's own, from the environment (the defaults are the bench harness's):

- ``LOAD_META_APP_SECRET``, ``LOAD_PHONE_ID``, ``LOAD_WHATSAPP_SENDERS`` (senders ``3460000000``…, one per
  member the instance knows; default 20);
- ``LOAD_SLACK_SIGNING_SECRET``, ``LOAD_SLACK_TEAM_ID``, ``LOAD_SLACK_USER`` (the member's Slack user id);
- ``LOAD_RUN`` (a prefix that makes this run's message ids new: the inbox drops a repeated id).

Every message is "ping", answered by the rules: the load measures Alfred, not the LLM.
"""

import hashlib
import hmac
import itertools
import json
import os
import time
import uuid

from locust import HttpUser, constant_throughput, task

RUN = os.environ.get("LOAD_RUN") or uuid.uuid4().hex[:8]
# Slack's ts of this run's messages: the start second, then the message number (the inbox dedupes on ts).
RUN_SECOND = int(time.time())
# Message numbers, shared by every user of this process: each message id is new.
_numbers = itertools.count()


class WhatsAppMember(HttpUser):
    """A family member texting Alfred-Home "ping" once a second, through Meta's webhook."""

    wait_time = constant_throughput(1)
    app_secret = os.environ.get("LOAD_META_APP_SECRET", "bench-app-secret").encode()
    phone_id = os.environ.get("LOAD_PHONE_ID", "371846205519377")
    senders = int(os.environ.get("LOAD_WHATSAPP_SENDERS", "20"))

    @task
    def ping(self) -> None:
        number = next(_numbers)
        sender = f"3460{number % self.senders:07d}"
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "447700900001", "phone_number_id": self.phone_id},
            "contacts": [{"profile": {"name": "Load"}, "wa_id": sender}],
            "messages": [
                {
                    "from": sender,
                    "id": f"wamid.load.{RUN}.{number}",
                    "timestamp": str(int(time.time())),
                    "text": {"body": "ping"},
                    "type": "text",
                }
            ],
        }
        body = json.dumps(
            {
                "object": "whatsapp_business_account",
                "entry": [{"id": "284710395566120", "changes": [{"field": "messages", "value": value}]}],
            }
        ).encode()
        signature = "sha256=" + hmac.new(self.app_secret, body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
        self.client.post("/webhooks/whatsapp/", data=body, headers=headers, name="whatsapp delivery")


class SlackMember(HttpUser):
    """The founder mentioning Alfred-Biz ("@Alfred ping") once a second, through Slack's Events API."""

    wait_time = constant_throughput(1)
    signing_secret = os.environ.get("LOAD_SLACK_SIGNING_SECRET", "bench-slack-signing-secret").encode()
    team_id = os.environ.get("LOAD_SLACK_TEAM_ID", "T0BENCH01")
    user = os.environ.get("LOAD_SLACK_USER", "U0BENCHOWN")

    @task
    def mention(self) -> None:
        number = next(_numbers)
        ts = f"{RUN_SECOND}.{number:06d}"
        event = {
            "type": "app_mention",
            "user": self.user,
            "text": "<@U0LOADBOT> ping",
            "ts": ts,
            "channel": "C0LOAD0001",
            "event_ts": ts,
        }
        body = json.dumps(
            {
                "token": "unused",
                "team_id": self.team_id,
                "api_app_id": "A0ALFREDLD",
                "event": event,
                "type": "event_callback",
                "event_id": f"Ev{RUN}{number}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": self.team_id, "user_id": "U0LOADBOT", "is_bot": True}],
            }
        ).encode()
        timestamp = str(int(time.time()))
        digest = hmac.new(self.signing_secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
        headers = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": "v0=" + digest.hexdigest(),
        }
        self.client.post("/slack/events/", data=body, headers=headers, name="slack event")
