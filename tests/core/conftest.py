"""Fixtures for the LLM tests: the loopback OpenAI-compatible stand-in and a test skill with real tools."""

from collections.abc import Iterator
from types import ModuleType

import pytest

from alfred.llm.backend import _backend_for
from alfred.registry import get_registry
from tests.core import llm_skills as llm_skills_module
from tests.standins.openai_api import OpenAIStandIn, llm_settings


@pytest.fixture
def openai_api(settings) -> Iterator[OpenAIStandIn]:
    """A running stand-in, with Alfred's LLM settings pointing at it."""
    with OpenAIStandIn() as api:
        for name, value in llm_settings(api).items():
            setattr(settings, name, value)
        yield api
    _backend_for.cache_clear()


@pytest.fixture
def llm_skills(settings) -> Iterator[ModuleType]:
    """The test skill enabled in this instance's registry, its effects reset."""
    settings.ALFRED_SKILLS = [*settings.ALFRED_SKILLS, "tests.core.llm_skills.llm_test_skill"]
    get_registry.cache_clear()
    for effects in (llm_skills_module.SHOPPING, llm_skills_module.FORWARDED, llm_skills_module.CALLS):
        effects.clear()
    yield llm_skills_module
    get_registry.cache_clear()
