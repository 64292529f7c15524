"""Prometheus metrics, served at ``/metrics`` (README "Watching it").

One machine runs several processes (gunicorn's master and worker, the Celery worker), and a counter
lives in the process that counts it. With ``PROMETHEUS_MULTIPROC_DIR`` set before the first import of
``prometheus_client`` (``fly/start.sh`` sets it and empties the directory at start) every process writes its
values to files there, and the scrape, in whichever process serves it, adds them up. Without it (tests,
``make chat``) the values stay in the process and ``/metrics`` shows that process's.

What is only known at scrape time (queue depth, credential expiry) is read then, from Redis and the
database, rather than kept up to date by some process.

Every series carries ``instance`` (home or biz), so one Prometheus and one Grafana can watch both apps. The
core counts what it sees; channels and skills may call the functions here too (never the reverse).
"""

import hmac
import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

MESSAGES = Counter(
    "alfred_messages",
    "Messages by channel, direction and status: inbound received and then handled/refused/ignored/failed, "
    "outbound sent or failed for good.",
    ["instance", "channel", "direction", "status"],
)
REPLY_LATENCY = Histogram(
    "alfred_reply_latency_seconds",
    "From an inbound message (the provider's timestamp, at most its arrival) to its reply accepted by the "
    "provider, by the path that answered.",
    ["instance", "channel", "path"],
    buckets=LATENCY_BUCKETS,
)
TOOL_CALLS = Counter(
    "alfred_tool_calls",
    "Tool calls by tool and outcome (ok, error, invalid_args, unknown_tool).",
    ["instance", "tool", "outcome"],
)
LLM_TOKENS = Counter(
    "alfred_llm_tokens", "LLM tokens spent, by model and kind (prompt, completion).", ["instance", "model", "kind"]
)
LLM_COST = Counter(
    "alfred_llm_cost", "Estimated LLM cost, in the price unit of ALFRED_LLM_COST_PER_1K_*.", ["instance", "model"]
)
LLM_COMPLETIONS = Counter(
    "alfred_llm_completions",
    "LLM requests by model, kind (chat, summary, transcription) and outcome.",
    ["instance", "model", "kind", "outcome"],
)
OUTBOUND_FAILURES = Counter(
    "alfred_outbound_failures",
    "Failed provider calls by channel and provider error code; final=false when the row is retried.",
    ["instance", "channel", "code", "final"],
)
CREDENTIAL_REJECTED = Counter(
    "alfred_credential_rejected",
    "Sends refused because the provider rejected the credential (WhatsApp 190, Slack invalid_auth…).",
    ["instance", "channel", "code"],
)
EGRESS_REFUSED = Counter(
    "alfred_egress_refused", "Outbound connections the egress guard refused, by host.", ["instance", "host"]
)
BRIDGE_AGE = Gauge(
    "alfred_calendar_bridge_age_seconds",
    "Age of the calendar bridge's newest data when it was last checked.",
    ["instance"],
    multiprocess_mode="mostrecent",
)
REQUESTS = Counter(
    "alfred_http_requests", "HTTP requests by method, route and status code.", ["instance", "method", "route", "status"]
)
REQUEST_LATENCY = Histogram(
    "alfred_http_request_duration_seconds",
    "Time to answer an HTTP request, by route.",
    ["instance", "route"],
    buckets=REQUEST_BUCKETS,
)

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _instance() -> str:
    return str(settings.INSTANCE)


def _never_raises(count: Callable[..., None]) -> Callable[..., None]:
    """A metric must never break the work it counts."""

    def guarded(*args: Any, **kwargs: Any) -> None:
        try:
            count(*args, **kwargs)
        except Exception as exc:
            logger.warning("metric %s not counted (%s)", count.__name__, type(exc).__name__)

    guarded.__name__ = count.__name__
    guarded.__doc__ = count.__doc__
    return guarded


@_never_raises
def message_counted(*, channel: str, direction: str, status: str) -> None:
    MESSAGES.labels(_instance(), channel, direction, status).inc()


@_never_raises
def reply_sent(*, channel: str, path: str, received_at: datetime, sent_at: datetime) -> None:
    REPLY_LATENCY.labels(_instance(), channel, path or "none").observe(
        max((sent_at - received_at).total_seconds(), 0.0)
    )


@_never_raises
def tool_called(*, tool: str, outcome: str) -> None:
    TOOL_CALLS.labels(_instance(), tool, outcome).inc()


@_never_raises
def llm_used(
    *, model: str, kind: str, ok: bool, prompt_tokens: int, completion_tokens: int, cost: Decimal | float
) -> None:
    instance = _instance()
    LLM_COMPLETIONS.labels(instance, model, kind, "ok" if ok else "error").inc()
    LLM_TOKENS.labels(instance, model, "prompt").inc(prompt_tokens)
    LLM_TOKENS.labels(instance, model, "completion").inc(completion_tokens)
    LLM_COST.labels(instance, model).inc(float(cost))


@_never_raises
def outbound_failed(*, channel: str, code: str, final: bool) -> None:
    OUTBOUND_FAILURES.labels(_instance(), channel, code or "none", "true" if final else "false").inc()


@_never_raises
def credential_rejected(*, channel: str, code: str) -> None:
    CREDENTIAL_REJECTED.labels(_instance(), channel, code).inc()


@_never_raises
def set_bridge_age(seconds: float) -> None:
    """How old the calendar bridge's newest data is, in seconds; the alert "bridge stale" watches it."""
    BRIDGE_AGE.labels(_instance()).set(seconds)


def egress_refused_counted(sender: object, *, host: str, **_: Any) -> None:
    """Receiver of ``alfred.signals.egress_refused``."""
    _count_egress(host=host)


@_never_raises
def _count_egress(*, host: str) -> None:
    EGRESS_REFUSED.labels(_instance(), host).inc()


def llm_completion_saved(
    sender: object, *, instance: Any, created: bool, update_fields: frozenset[str] | None = None, **_: Any
) -> None:
    """Receiver of ``post_save`` for ``LLMCompletion``: every completion and transcription is journaled as a
    row, whichever code path made it, so counting rows counts them all. Counted even if the surrounding
    transaction is rolled back later: the tokens were spent. A turn's first row is written as a placeholder
    before the model is asked (alfred/llm/budget.py) and counted when it is filled in with the answer."""
    from alfred.models import LLM_RESERVED

    placeholder = created and instance.error == LLM_RESERVED
    filled_in = not created and update_fields is not None and "completion_tokens" in update_fields
    if (created and not placeholder) or filled_in:
        llm_used(
            model=instance.model,
            kind=instance.kind,
            ok=instance.ok,
            prompt_tokens=instance.prompt_tokens,
            completion_tokens=instance.completion_tokens,
            cost=instance.cost,
        )


def connect_signals() -> None:
    from django.db.models.signals import post_save

    from alfred.models import LLMCompletion
    from alfred.signals import egress_refused

    post_save.connect(llm_completion_saved, sender=LLMCompletion, dispatch_uid="alfred.metrics.llm")
    egress_refused.connect(egress_refused_counted, dispatch_uid="alfred.metrics.egress")


# --- read at scrape time --------------------------------------------------------------------------------


class ScrapeTimeCollector(Collector):
    """Queue depth and credential expiry, read from Redis and the database when Prometheus asks."""

    def collect(self) -> Iterable[Metric]:
        instance = _instance()
        depth = GaugeMetricFamily(
            "alfred_queue_depth",
            "Work waiting: Celery messages in the broker queue (broker), inbound rows not yet handled (inbox), "
            "outbound rows not yet sent (outbox).",
            labels=["instance", "queue"],
        )
        for queue, value in _queue_depths().items():
            depth.add_metric([instance, queue], value)
        yield depth
        expiry = GaugeMetricFamily(
            "alfred_credential_expiry_timestamp_seconds",
            "When each stored provider token expires (Unix time); tokens without an expiry are not listed.",
            labels=["instance", "provider"],
        )
        for provider, expires_at in _credential_expiries():
            expiry.add_metric([instance, provider], expires_at.timestamp())
        yield expiry


def _queue_depths() -> dict[str, float]:
    from django.db.models import Count, Q

    from alfred.models import Direction, Message, Status

    depths: dict[str, float] = {}
    try:
        counts = Message.objects.aggregate(
            inbox=Count("id", filter=Q(direction=Direction.INBOUND, status__in=[Status.RECEIVED, Status.HANDLING])),
            outbox=Count("id", filter=Q(direction=Direction.OUTBOUND, status__in=[Status.QUEUED, Status.SENDING])),
        )
        depths.update({name: float(value) for name, value in counts.items()})
    except Exception as exc:
        logger.warning("metrics: queue depth not read from the database (%s)", type(exc).__name__)
    if settings.REDIS_URL and not settings.CELERY_TASK_ALWAYS_EAGER:
        try:
            depths["broker"] = float(_broker_queue_length())
        except Exception as exc:
            logger.warning("metrics: broker queue length not read (%s)", type(exc).__name__)
    return depths


def _broker_queue_length() -> int:
    """Kombu's Redis transport keeps a queue as lists, one per priority step (``<queue>\\x06\\x16<step>``;
    step 0 is the bare name), under the transport's ``global_keyprefix``."""
    from redis import Redis

    # Set by instance_settings() per instance, which the type checker cannot follow.
    prefix = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}).get("global_keyprefix", "")
    queue = prefix + getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")
    keys = [queue, *(f"{queue}\x06\x16{step}" for step in (3, 6, 9))]
    client = Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.llen(key)
        return sum(int(n) for n in pipe.execute())
    finally:
        client.close()


def _credential_expiries() -> list[tuple[str, datetime]]:
    from alfred.models import Credential

    try:
        rows = Credential.objects.exclude(expires_at=None).values_list("provider", "expires_at")
        return [(provider, expires_at) for provider, expires_at in rows if expires_at is not None]
    except Exception as exc:
        logger.warning("metrics: credential expiry not read (%s)", type(exc).__name__)
        return []


# --- the endpoint ---------------------------------------------------------------------------------------


def scrape_text() -> bytes:
    """Every process's values (multiprocess mode) or this process's, then what is read at scrape time."""
    directory = settings.PROMETHEUS_MULTIPROC_DIR
    if directory:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        registry = REGISTRY
    at_scrape = CollectorRegistry()
    at_scrape.register(ScrapeTimeCollector())
    return generate_latest(registry) + generate_latest(at_scrape)


def bearer_token_matches(request: HttpRequest, token: str) -> bool:
    scheme, _, supplied = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(supplied.strip().encode(), token.encode())


def metrics_view(request: HttpRequest) -> HttpResponse:
    """``/metrics``: 404 while ``ALFRED_METRICS_TOKEN`` is unset (the endpoint is off), 401 without that
    token as a bearer token; the app's port is public, so the metrics are never served to anyone else."""
    token = settings.ALFRED_METRICS_TOKEN
    if not token:
        raise Http404("metrics are off")
    if not bearer_token_matches(request, token):
        response = HttpResponse("a bearer token is required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    # The classic text format: every Prometheus version reads it (generate_latest escapes names for it).
    return HttpResponse(scrape_text(), content_type=CONTENT_TYPE_PLAIN_0_0_4)


class RequestMetricsMiddleware:
    """Counts and times every request by its URL pattern (not its path, which would make a series per id)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        self.count(request, response.status_code, time.perf_counter() - started)
        return response

    @staticmethod
    def count(request: HttpRequest, status: int, seconds: float) -> None:
        try:
            match = request.resolver_match
            route = f"/{match.route}" if match is not None and match.route else "unmatched"
            method = request.method if request.method in KNOWN_METHODS else "other"
            instance = _instance()
            REQUESTS.labels(instance, method, route, str(status)).inc()
            REQUEST_LATENCY.labels(instance, route).observe(seconds)
        except Exception as exc:
            logger.warning("metric request not counted (%s)", type(exc).__name__)
