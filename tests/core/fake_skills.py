"""Skills used only by the isolation tests."""

from alfred.registry import Skill

biz_only = Skill(name="biz_only", instances=frozenset({"biz"}), tools=[], phrasebook=None, summary=lambda: "biz")
