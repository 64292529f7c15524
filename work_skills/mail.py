"""Reading one email for the work inbox: its plain text (multipart, HTML, any charset), its attachments by
name, and the part worth quoting, with replies and signatures trimmed. Pure functions on bytes already
fetched (``work_skills/mailbox.py`` fetches them, capped), so they are tested without a server.

Everything here is text written by outsiders: it is capped, decoded with replacement characters, stripped
of control characters and never interpreted. A message that cannot be parsed still gives an ``Email`` (its
sender and subject when they can be read), so one broken message never breaks a digest.
"""

import codecs
import email
import email.message
import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

# Decoded text kept per part and per email: enough for the first sentence, bounded work for the rest.
MAX_PART_BYTES = 200_000
MAX_BODY_CHARS = 20_000
MAX_SUBJECT_CHARS = 200
MAX_NAME_CHARS = 80
MAX_SENTENCE_CHARS = 200
MAX_ATTACHMENTS_LISTED = 5

# Newsletters, lists and machines announce themselves (RFC 2369, RFC 3834, the de facto Precedence).
BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})
MACHINE_SENDER = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer-daemon|postmaster|notifications?|newsletters?|news|"
    r"marketing|info|bounces?)(?:[-_+.].*)?$",
    re.IGNORECASE,
)
# Where the quoted part of a reply or the signature starts; everything from there on is dropped.
REPLY_HEADER = re.compile(
    r"^(?:on\s.{1,200}\swrote:|el\s.{1,200}\sescribi[oó]:|-{2,}\s*original message\s*-{2,}|"
    r"-{2,}\s*mensaje original\s*-{2,}|_{10,}|(?:from|de):\s.+@.+)$",
    re.IGNORECASE,
)
SIGNATURE = re.compile(r"^(?:--|—|sent from my .+|enviado desde mi .+)\s*$", re.IGNORECASE)
GREETING = re.compile(
    r"^(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|hola|buenos d[ií]as|buenas(?: tardes| noches)?|"
    r"estimad[oa]s?|querid[oa]s?)\b[^.!?]{0,60}[,:!]?$",
    re.IGNORECASE,
)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[^\s])")
# C0/C1 controls (tabs and newlines kept) and bidi overrides, which could disguise the text in a chat.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Email:
    """One email as the inbox skill sees it. ``body`` is the trimmed plain text (capped)."""

    uid: int
    sender_name: str
    sender_address: str
    subject: str
    body: str
    attachments: tuple[str, ...] = ()
    bulk: bool = False
    seen: bool = False
    date: datetime | None = None
    # The server had more than was fetched: the text is the start of the message.
    truncated: bool = False
    # The message could not be parsed: only what the headers gave is here.
    broken: bool = False

    @property
    def sender(self) -> str:
        return self.sender_name or self.sender_address or "?"

    def sentence(self) -> str:
        """The first meaningful sentence: greetings skipped, capped."""
        return first_sentence(self.body)


def clean(text: str, limit: int) -> str:
    """Single-line, control characters removed, capped with an ellipsis."""
    text = " ".join(CONTROL.sub(" ", text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class _TextFromHTML(HTMLParser):
    """The visible text of an HTML body: scripts, styles and the head dropped; block tags end lines."""

    SKIPPED = frozenset({"script", "style", "head", "title", "noscript", "template"})
    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextFromHTML()
    parser.feed(html[: MAX_BODY_CHARS * 5])
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def part_text(part: email.message.Message) -> str:
    """A text part decoded with its declared charset; an unknown or wrong charset gives replacement
    characters, never an exception."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        codecs.lookup(charset)
    except (LookupError, ValueError):
        charset = "utf-8"
    return payload[:MAX_PART_BYTES].decode(charset, errors="replace")


def body_text(message: email.message.Message) -> tuple[str, tuple[str, ...]]:
    """The plain text of a message (its text/plain parts, or its HTML as text when it has none) and the
    names of its attachments, which are listed, never read."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[str] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if filename or part.get_content_disposition() == "attachment":
            attachments.append(clean(str(filename or part.get_content_type()), MAX_NAME_CHARS))
            continue
        kind = part.get_content_type()
        if kind == "text/plain":
            plain.append(part_text(part))
        elif kind == "text/html":
            html.append(part_text(part))
    text = "\n".join(plain)
    if not text.strip():
        text = "\n".join(html_to_text(page) for page in html)
    return text[:MAX_BODY_CHARS], tuple(attachments)


def trim_reply(text: str) -> str:
    """The new part of a message: quoted lines, the quoted message under "On … wrote:" and the signature
    dropped."""
    kept: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = CONTROL.sub(" ", raw).strip()
        if SIGNATURE.match(line) or REPLY_HEADER.match(line):
            break
        if line.startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def first_sentence(body: str) -> str:
    """The first sentence of the first line that is not a greeting, capped."""
    for line in body.split("\n"):
        line = line.strip()
        if not line or GREETING.match(line):
            continue
        return clean(SENTENCE_END.split(line, maxsplit=1)[0], MAX_SENTENCE_CHARS)
    return ""


def is_bulk(message: email.message.Message, address: str) -> bool:
    """A newsletter, a mailing list or a machine: List-Unsubscribe, Precedence: bulk, an automatic reply,
    or a no-reply address."""
    if header_text(message, "List-Unsubscribe") or header_text(message, "List-Id"):
        return True
    if header_text(message, "Precedence").strip().lower() in BULK_PRECEDENCE:
        return True
    auto = header_text(message, "Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return True
    return bool(MACHINE_SENDER.match(address.partition("@")[0]))


def header_text(message: email.message.Message, name: str) -> str:
    """A header decoded (RFC 2047), or "" when it is missing or undecodable."""
    try:
        value = message.get(name)
        return str(value) if value is not None else ""
    except Exception:  # a header that cannot be decoded is as good as missing
        return ""


def email_parse(raw: bytes, *, uid: int, flags: tuple[str, ...] = (), truncated: bool = False) -> Email:
    """The ``Email`` of the raw bytes of a message (possibly cut short: ``truncated``)."""
    seen = "\\Seen" in flags
    message = email.message_from_bytes(raw, policy=email.policy.default)
    subject = clean(header_text(message, "Subject"), MAX_SUBJECT_CHARS)
    try:
        [(name, address)] = getaddresses([header_text(message, "From")])[:1] or [("", "")]
    except ValueError:
        name, address = "", ""
    name, address = clean(name, MAX_NAME_CHARS), clean(address, MAX_NAME_CHARS).lower()
    try:
        date = parsedate_to_datetime(header_text(message, "Date"))
    except (TypeError, ValueError, IndexError):
        date = None
    try:
        text, attachments = body_text(message)
        body, broken = trim_reply(text), False
    except Exception:  # broken MIME in one message must not stop the digest
        body, attachments, broken = "", (), True
    return Email(
        uid=uid,
        sender_name=name,
        sender_address=address,
        subject=subject,
        body=body,
        attachments=attachments[:MAX_ATTACHMENTS_LISTED],
        bulk=is_bulk(message, address),
        seen=seen,
        date=date,
        truncated=truncated,
        broken=broken,
    )
