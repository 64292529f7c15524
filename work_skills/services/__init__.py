"""Writes for the CRM (``crm``). Keyword-only, typed, named ``<entity>_<action>``; tools, the API, the admin
and the demo all come through here."""

from typing import Any


class Rejected(Exception):
    """Input the member should rephrase; ``code`` tells the caller which clear answer to give."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
