"""Fixtures for the LLM tests: the loopback OpenAI-compatible stand-in and a test skill with real tools."""

from collections.abc import Iterator
from types import ModuleType

import pytest

from alfred.registry import get_registry
from tests.core import llm_skills as llm_skills_module
from tests.standins.openai_api import openai_api  # noqa: F401  (a fixture, registered by the import)


@pytest.fixture
def llm_skills(settings) -> Iterator[ModuleType]:
    """The test skill enabled in this instance's registry, its effects reset."""
    settings.ALFRED_SKILLS = [*settings.ALFRED_SKILLS, "tests.core.llm_skills.llm_test_skill"]
    get_registry.cache_clear()
    for effects in (llm_skills_module.SHOPPING, llm_skills_module.FORWARDED, llm_skills_module.CALLS):
        effects.clear()
    yield llm_skills_module
    get_registry.cache_clear()
