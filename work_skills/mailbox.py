"""The owner's mailbox over IMAP (``IMAP_*`` settings), with imap-tools.

Reading never changes a flag: every fetch is ``BODY.PEEK``, so what the owner has not opened stays unread.
Only ``mailbox_mark_seen`` (the digest's "Done" button) sets ``\\Seen``. Each message is fetched at most
``MAX_FETCH_BYTES`` long, so a 20 MB email costs the same as a short one before any parsing starts.

imap-tools is imported inside the functions: only the worker process that reads the mailbox pays for it.
"""

import imaplib
import logging
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings

from work_skills.mail import Email, email_parse

if TYPE_CHECKING:
    from imap_tools import BaseMailBox

logger = logging.getLogger(__name__)

# The newest messages read per summary or digest: a morning digest is a glance, not an archive.
MAX_EMAILS = 30
# Bytes fetched per message; the rest stays on the server (the summary needs the start of the text).
MAX_FETCH_BYTES = 256 * 1024


class MailboxError(Exception):
    """The mailbox cannot be read now (unreachable, refused login, folder missing). The message never
    carries the password."""


@dataclass(frozen=True)
class Batch:
    """What one read found: the messages (oldest first) and how far the folder was read."""

    uidvalidity: int
    last_uid: int
    emails: list[Email] = field(default_factory=list)


def mailbox_configured() -> bool:
    return bool(settings.IMAP_HOST)


@contextmanager
def _connected() -> Iterator["BaseMailBox"]:
    from imap_tools import MailBox, MailBoxUnencrypted
    from imap_tools.errors import ImapToolsError

    errors = (OSError, imaplib.IMAP4.error, ImapToolsError)
    box: BaseMailBox
    try:
        if settings.IMAP_SSL:
            # imaplib's own default context does not check the certificate; the default context does.
            box = MailBox(
                settings.IMAP_HOST,
                settings.IMAP_PORT,
                timeout=settings.IMAP_TIMEOUT,
                ssl_context=ssl.create_default_context(),
            )
        else:
            box = MailBoxUnencrypted(settings.IMAP_HOST, settings.IMAP_PORT, timeout=settings.IMAP_TIMEOUT)
        box.login(settings.IMAP_USER, settings.IMAP_PASSWORD, initial_folder=settings.IMAP_FOLDER)
    except errors as problem:
        # The class name only, and no chained exception: a server's answer to LOGIN may echo what was sent.
        raise MailboxError(
            f"cannot open {settings.IMAP_FOLDER} on {settings.IMAP_HOST}: {type(problem).__name__}"
        ) from None
    try:
        yield box
    except errors as problem:
        raise MailboxError(f"reading {settings.IMAP_FOLDER} failed: {type(problem).__name__}") from None
    finally:
        try:
            box.logout()
        except errors:
            logger.info("imap logout failed; the connection is dropped anyway")


def _fetch_one(box: "BaseMailBox", uid: str) -> Email | None:
    """One message, at most ``MAX_FETCH_BYTES`` of it, without touching its flags."""
    from imap_tools import MailMessage

    typ, data = box.client.uid("FETCH", uid, f"(UID FLAGS RFC822.SIZE BODY.PEEK[]<0.{MAX_FETCH_BYTES}>)")
    if typ != "OK" or not data or not isinstance(data[0], tuple):
        return None  # expunged in between
    message = MailMessage([item for item in data if item is not None])
    raw = data[0][1] if isinstance(data[0][1], bytes) else b""
    return email_parse(
        raw,
        uid=int(uid),
        flags=message.flags,
        truncated=message.size_rfc822 > MAX_FETCH_BYTES,
    )


def mailbox_fetch(*, after_uid: int | None, uidvalidity: int | None, since: date) -> Batch:
    """The newest messages after ``after_uid`` (when the folder's UIDVALIDITY is still ``uidvalidity``),
    else those received since ``since``; at most ``MAX_EMAILS``, oldest first."""
    from imap_tools import AND, U

    with _connected() as box:
        status = box.folder.status(settings.IMAP_FOLDER, ["UIDVALIDITY"])
        validity = int(status.get("UIDVALIDITY", 0))
        same_folder = after_uid is not None and uidvalidity == validity
        if same_folder and after_uid is not None:
            # "n:*" always answers the last message, even below n: filter on our side.
            found = [int(u) for u in box.uids(AND(uid=U(str(after_uid + 1), "*"))) if int(u) > after_uid]
        else:
            found = [int(u) for u in box.uids(AND(date_gte=since))]
        found.sort()
        emails = [one for uid in found[-MAX_EMAILS:] if (one := _fetch_one(box, str(uid))) is not None]
        last = found[-1] if found else (after_uid or 0) if same_folder else 0
        return Batch(uidvalidity=validity, last_uid=last, emails=emails)


def mailbox_mark_seen(*, uid: int) -> bool:
    """Set ``\\Seen`` on one message; False when the folder has no message with that UID."""
    from imap_tools import AND, MailMessageFlags

    with _connected() as box:
        if str(uid) not in box.uids(AND(uid=str(uid))):
            return False
        box.flag([str(uid)], MailMessageFlags.SEEN, True)
        return True
