"""The egress guard (README "Isolation → 4. Network"): a process may open network connections only to its own
instance's hosts.

One audit hook (``sys.addaudithook``) sees every name lookup (``socket.getaddrinfo``, ``gethostbyname``) and
every connection and datagram (``socket.connect``, ``sendto``, ``sendmsg``) that Python code makes, below every
library (httpx, urllib, slack_sdk, boto3, imaplib, redis, pywa, openai): a library cannot hold an older
reference to something we did not wrap. A name outside the admitted set is refused before any DNS query goes
out (a lookup can carry data too); an address is admitted only when it is loopback, configured literally, or
came from the resolution of an admitted name.

Admitted: the hosts of each installed channel's provider settings (``ChannelDescription.egress_settings`` and
``egress_hosts``), the LLM endpoint, the database and Redis, the audit archive bucket, each installed app's
``AppConfig.egress_hosts()`` (the calendar bridge, the mailbox), ``ALFRED_EGRESS_ALLOWLIST``, and hosts a
channel admits while it runs (``admit``: Slack's Socket Mode WebSocket host). The set is computed at boot and
again after any settings change (tests).

A refusal raises ``EgressRefused`` (an ``OSError``, so every library reports a network failure), is counted
(``alfred.signals.egress_refused``), logged and audited (``egress.blocked``) at most once per host a minute.

Not covered: C code that opens its own sockets (libpq, for the configured database host) and child processes
that do not boot Alfred. Audit hooks cannot be removed; ``disabled()`` switches the checks off for a block
(tests), ``ALFRED_EGRESS_GUARD=0`` for a whole process (local work only).
"""

import errno
import ipaddress
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.signals import setting_changed

logger = logging.getLogger(__name__)

ALLOWLIST_SETTING = "ALFRED_EGRESS_ALLOWLIST"
# The default LLM endpoint when OPENAI_BASE_URL is empty (alfred/llm/backend.py).
OPENAI_DEFAULT_HOST = "api.openai.com"
# Refusals of one host are logged and audited once in this many seconds (counted every time).
REPORT_EVERY_SECONDS = 60.0
# Distinct hosts with their own metric label and report clock; past it they share one, so a loop over made-up
# names can neither grow the metric's series nor the memory without bound.
MAX_REPORTED_HOSTS = 200
OTHER_HOSTS = "(other)"
# Addresses remembered from admitted names' resolutions (oldest forgotten first).
MAX_RESOLVED = 4096
# Longest host shown in an error, a log line or an audit event.
SHOWN_HOST_CHARS = 100

LOOKUP_EVENTS = frozenset({"socket.getaddrinfo", "socket.gethostbyname"})
ADDRESS_EVENTS = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg"})
INET_FAMILIES = frozenset({socket.AF_INET, socket.AF_INET6})


class EgressRefused(PermissionError):
    """A connection or name lookup the egress guard refused. An ``OSError`` (EACCES), so libraries report it as
    the network failure it is; never a ``socket.gaierror``: this is not DNS failing. Carries the host only."""

    def __init__(self, host: str, port: object = None) -> None:
        self.host = host
        self.port = port
        where = _where(host, port)
        super().__init__(
            errno.EACCES,
            f"egress refused: {where} is not a host Alfred-{_instance()} may reach; if it should be, add "
            f"{host} to {ALLOWLIST_SETTING} (README 'Isolation', 4. Network)",
        )


def _where(host: str, port: object) -> str:
    """``host:port`` (``[v6]:port``), or the host alone when there is no port."""
    if not isinstance(port, int | str) or port in ("", 0):
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass
class _State:
    installed: bool = False
    enabled: bool = True
    # None = to be computed from the settings at the next check.
    admitted: frozenset[str] | None = None
    # Hosts a running channel admitted (``admit``): kept across recomputations.
    dynamic: set[str] = field(default_factory=set)
    # Address → the admitted name it was resolved from.
    resolved: dict[str, str] = field(default_factory=dict)
    # Host → when it was last logged and audited.
    reported: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_state = _State()
# Set while this thread records a refusal: a refusal inside that work (the audit's own connection) only raises.
_reporting = threading.local()
_original_getaddrinfo: Callable[..., Any] = socket.getaddrinfo
_original_gethostbyname: Callable[..., Any] = socket.gethostbyname
_original_gethostbyname_ex: Callable[..., Any] = socket.gethostbyname_ex


# --- what is admitted -----------------------------------------------------------------------------------


def normalise(host: object) -> str:
    """A host as compared: text, lower case, no trailing dot, no IPv6 brackets or zone."""
    if isinstance(host, bytes | bytearray):
        host = bytes(host).decode("ascii", "replace")
    text = str(host or "").strip().lower().rstrip(".")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return text.split("%", 1)[0] if ":" in text else text


def url_host(value: str) -> str:
    """The host of a URL setting (``https://graph.facebook.com``), or of a bare ``host[:port]``."""
    value = value.strip()
    if not value:
        return ""
    try:
        return normalise(urlsplit(value if "://" in value else f"//{value}").hostname)
    except ValueError:
        return ""


def _database_hosts() -> list[str]:
    hosts = []
    for database in settings.DATABASES.values():
        # libpq takes several hosts, comma-separated; a path is a Unix socket, not the network.
        hosts += [host for host in str(database.get("HOST") or "").split(",") if host and not host.startswith("/")]
    return hosts


def _channel_hosts() -> list[str]:
    from alfred.channels import channel_descriptions

    hosts: list[str] = []
    for description in channel_descriptions():
        hosts += [url_host(str(getattr(settings, name, "") or "")) for name in description.egress_settings]
        hosts += description.egress_hosts
    return hosts


def _app_hosts() -> list[str]:
    """Each installed app's own hosts (``AppConfig.egress_hosts()``): the core names no skill."""
    hosts: list[str] = []
    for config in apps.get_app_configs():
        method = getattr(config, "egress_hosts", None)
        if callable(method):
            hosts += list(method())
    return hosts


def _llm_hosts() -> list[str]:
    # The LLM layer is off without a key; a base URL alone (a local server) still names the endpoint.
    if not (settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL):
        return []
    return [url_host(settings.OPENAI_BASE_URL) or OPENAI_DEFAULT_HOST]


def configured_hosts() -> frozenset[str]:
    """Every host this instance's configuration names (the dynamic ones aside)."""
    from alfred.audit_archive import archive_hosts

    sources: Iterable[str] = [
        *_channel_hosts(),
        *_llm_hosts(),
        *_database_hosts(),
        url_host(settings.REDIS_URL),
        url_host(str(getattr(settings, "CELERY_BROKER_URL", "") or "")),
        *archive_hosts(),
        *_app_hosts(),
        *getattr(settings, ALLOWLIST_SETTING, []),
    ]
    return frozenset(host for host in (normalise(source) for source in sources) if host)


def admitted_hosts() -> frozenset[str]:
    admitted = _state.admitted
    if admitted is None:
        admitted = _state.admitted = configured_hosts()
    return admitted | _state.dynamic


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _name_admitted(name: str, admitted: frozenset[str]) -> bool:
    if name in admitted or name == "localhost" or name.endswith(".localhost"):
        return True
    # "*.example.com" in the allowlist admits every name under example.com.
    return any(entry.startswith("*.") and name.endswith(entry[1:]) for entry in admitted)


def decision(host: object) -> tuple[bool, str]:
    """Whether the guard admits a host (a name or an address), and why, in words."""
    name = normalise(host)
    if not name:
        return True, "no host: a local or passive lookup"
    admitted = admitted_hosts()
    address = _ip(name)
    if address is None:
        return (True, "an admitted name") if _name_admitted(name, admitted) else (False, "not an admitted name")
    if address.is_loopback:
        return True, "loopback"
    if str(address) in admitted or name in admitted:
        return True, "an admitted address"
    source = _state.resolved.get(str(address))
    if source is not None and _name_admitted(source, admitted):
        return True, f"an address of {source}"
    return False, "an address no admitted name resolved to"


def admit(host: str) -> None:
    """Admit one more host for the rest of the process: a channel calls it for a host it has checked itself
    (Slack's Socket Mode WebSocket host, under the API host's domain)."""
    name = normalise(host)
    if name:
        with _state.lock:
            _state.dynamic.add(name)


# --- the hook -------------------------------------------------------------------------------------------


def _check(host: object, port: object) -> None:
    if not _state.enabled:
        return
    admitted, _ = decision(host)
    if not admitted:
        refused = EgressRefused(_shown(normalise(host)), port)
        _report(refused)
        raise refused


def _audit_hook(event: str, args: tuple[Any, ...]) -> None:
    # Called for every audit event of the process (imports, file opens…): the first test must stay cheap.
    if not event.startswith("socket."):
        return
    if event in LOOKUP_EVENTS:
        _check(args[0], args[1] if len(args) > 1 else None)
    elif event in ADDRESS_EVENTS:
        sock, address = args[0], args[1]
        if getattr(sock, "family", None) in INET_FAMILIES and isinstance(address, tuple) and address:
            _check(address[0], address[1] if len(address) > 1 else None)


def _remember(host: object, addresses: Iterable[object]) -> None:
    name = normalise(host)
    if not name or _ip(name) is not None:
        return
    with _state.lock:
        for found in addresses:
            address = normalise(found)
            if address:
                _state.resolved.pop(address, None)
                _state.resolved[address] = name
        while len(_state.resolved) > MAX_RESOLVED:
            _state.resolved.pop(next(iter(_state.resolved)))


def _getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    """``socket.getaddrinfo``, remembering the addresses of admitted names (the hook has checked the name), so
    that a connection to one of them is admitted by address."""
    results = _original_getaddrinfo(host, port, *args, **kwargs)
    _remember(host, (result[4][0] for result in results if result[4]))
    return results


def _gethostbyname(host: Any) -> str:
    address: str = _original_gethostbyname(host)
    _remember(host, [address])
    return address


def _gethostbyname_ex(host: Any) -> tuple[str, list[str], list[str]]:
    answer: tuple[str, list[str], list[str]] = _original_gethostbyname_ex(host)
    _remember(host, answer[2])
    return answer


def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    # A test changed a setting: compute the set again at the next check.
    _state.admitted = None
    if setting == "ALFRED_EGRESS_GUARD":
        _state.enabled = bool(getattr(settings, "ALFRED_EGRESS_GUARD", True))


def install() -> None:
    """Install the guard in this process (once; every entry point calls it through ``alfred.boot``). The
    admitted set is computed now, so a setting that cannot be read stops the start."""
    _state.enabled = bool(getattr(settings, "ALFRED_EGRESS_GUARD", True))
    _state.admitted = configured_hosts()
    if not _state.enabled:
        logger.warning("egress guard off (ALFRED_EGRESS_GUARD=0): this process may connect anywhere")
    if _state.installed:
        return
    setting_changed.connect(_settings_changed, dispatch_uid="alfred.egress.settings")
    socket.getaddrinfo = _getaddrinfo
    socket.gethostbyname = _gethostbyname
    socket.gethostbyname_ex = _gethostbyname_ex
    sys.addaudithook(_audit_hook)
    _state.installed = True


def installed() -> bool:
    return _state.installed


def checking() -> bool:
    """Whether the checks are on in this process (installed and not switched off)."""
    return _state.installed and _state.enabled


@contextmanager
def disabled() -> Iterator[None]:
    """Every check off for the block, in every thread (tests; an audit hook cannot be removed)."""
    before = _state.enabled
    _state.enabled = False
    try:
        yield
    finally:
        _state.enabled = before


@contextmanager
def enabled() -> Iterator[None]:
    """Every check on for the block, whatever ``ALFRED_EGRESS_GUARD`` says (tests)."""
    before = _state.enabled
    _state.enabled = True
    try:
        yield
    finally:
        _state.enabled = before


# --- reporting a refusal --------------------------------------------------------------------------------


def _instance() -> str:
    return str(getattr(settings, "INSTANCE", "") or "?")


def _secret_values() -> list[str]:
    names = [name for name in dir(settings) if name.isupper() and name.endswith(("TOKEN", "SECRET", "KEY", "PASSWORD"))]
    values = [getattr(settings, name, "") for name in names]
    return [value.lower() for value in values if isinstance(value, str) and len(value) >= 8]


def _shown(host: str) -> str:
    """The host as errors, logs and audit events show it: a made-up name can carry data (a token as a label
    of a lookup meant to leak it), so a configured secret in it is masked, and it is cut short."""
    for value in _secret_values():
        if value in host:
            host = host.replace(value, "(secret)")
    return host[:SHOWN_HOST_CHARS]


def _report(refused: EgressRefused) -> None:
    """Count every refusal; log and audit the first of each host per ``REPORT_EVERY_SECONDS``."""
    if getattr(_reporting, "active", False):
        return
    _reporting.active = True
    try:
        now = time.monotonic()
        with _state.lock:
            known = refused.host in _state.reported or len(_state.reported) < MAX_REPORTED_HOSTS
            key = refused.host if known else OTHER_HOSTS
            due = now - _state.reported.get(key, -REPORT_EVERY_SECONDS) >= REPORT_EVERY_SECONDS
            if due:
                _state.reported[key] = now
        from alfred.signals import egress_refused

        egress_refused.send(sender=EgressRefused, host=key)
        if due:
            logger.warning("%s", refused.strerror)
            from alfred.audit import EGRESS_BLOCKED, audit_record_now

            # A connection of its own: the refused work is usually rolled back, the event must stay.
            audit_record_now(EGRESS_BLOCKED, target=_where(refused.host, refused.port)[:200], host=refused.host)
    except Exception as problem:  # reporting must never hide the refusal itself (no database here, say)
        logger.warning("egress refusal of %s not fully reported (%s)", refused.host, type(problem).__name__)
    finally:
        _reporting.active = False
