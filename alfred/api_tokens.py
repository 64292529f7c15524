"""API tokens kept as hashes: a member's key for the REST API is made here, shown once, and found by its digest.

DRF's own ``authtoken`` stores the key itself (anyone who reads the table or a backup can call the API as
every member, and its admin shows the keys). Here the database holds ``sha256(key)`` only, and the key exists
in clear just once: on the page the admin action answers with. ``ApiTokenAuthentication`` takes the same
``Authorization: Token <key>`` header as DRF's, so clients do not change.
"""

import hashlib
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from alfred.models import ApiToken


def api_token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, user: Any) -> str | None:
    """A new key for ``user``, to be shown once; None when the user has one already (delete it to make another)."""
    key = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            ApiToken.objects.create(user=user, digest=api_token_digest(key))
    except IntegrityError:
        return None
    return key


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, looked up by the key's digest."""

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        try:
            token = ApiToken.objects.select_related("user").get(digest=api_token_digest(key))
        except ApiToken.DoesNotExist:
            raise AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
