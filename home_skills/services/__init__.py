"""Writes for lists, chores and morning reminders, one module per concern (``lists``, ``chores``,
``reminders``). Keyword-only, typed, named ``<entity>_<action>``; tools, the API and the admin all come
through here.
"""

from typing import Any


class Rejected(Exception):
    """Input the family should rephrase; ``code`` tells the caller which clear answer to give."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
