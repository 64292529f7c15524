"""What the LLM costs on the messages the rules miss: completions and tokens per message, and how many
reach the expected tool.

    python bench/llm_misses.py [--limit N]

With ``OPENAI_API_KEY`` set (and optionally ``OPENAI_BASE_URL``, ``OPENAI_MODEL``) every miss goes to that
endpoint through Alfred's real LLM path. Without it, the loopback stand-in plays a *scripted* model (it
calls the expected tool when the instance offers it, then writes one short reply): the figures are then
real measurements of Alfred's own overhead — the prompt, memory and tool schemas it sends, the rounds it
makes — with tokens as the stand-in counts them (about four characters a token), not of a model's skill.

``bench/brain_eval.py`` imports ``llm_report`` and calls it with its misses when an endpoint is set.
Every message runs inside a transaction that is rolled back: nothing is left in the database.
"""

import argparse
import io
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "home_skills" / "corpus"


class _Rollback(Exception):
    pass


def _run_one(miss: dict[str, Any]) -> dict[str, Any]:
    from django.conf import settings
    from django.db import transaction
    from django.utils import translation

    from alfred.language import language_detect
    from alfred.llm import llm_answer
    from alfred.models import Conversation, Direction, LLMCompletion, Member, Message, Status, ToolCall
    from alfred.registry import ToolContext

    outcome: dict[str, Any] = {}
    try:
        with transaction.atomic():
            tag = uuid.uuid4().hex[:12]
            language = language_detect(miss["text"], default=miss.get("lang", "en"))
            member = Member.objects.create(name=f"bench-{tag}", language=language)
            conversation = Conversation.objects.create(channel="console", external_id=f"bench:{tag}", member=member)
            message = Message.objects.create(
                direction=Direction.INBOUND,
                channel="console",
                conversation=conversation,
                sender=member,
                text=miss["text"],
                status=Status.HANDLING,
                language=language,
            )
            ctx = ToolContext(member=member, conversation=conversation, message=message, language=language)
            started = time.perf_counter()
            with translation.override(language):
                answer = llm_answer(message, ctx)
            outcome["seconds"] = time.perf_counter() - started
            completions = list(LLMCompletion.objects.filter(message=message))
            calls = list(ToolCall.objects.filter(message=message, ok=True))
            outcome.update(
                completions=len(completions),
                prompt_tokens=sum(c.prompt_tokens for c in completions),
                completion_tokens=sum(c.completion_tokens for c in completions),
                cost=float(sum(c.cost for c in completions)),
                tool_free=not calls,
                reached=any(c.tool == miss["tool"] for c in calls),
                exact=any(c.tool == miss["tool"] and c.args == miss.get("args", {}) for c in calls),
                offered=miss["tool"] in _offered_tools(),
                fell_back=answer is None or not answer.text or answer.path != "llm",
                error=(answer.error if answer is not None else "not configured"),
                model=completions[-1].model if completions else settings.OPENAI_MODEL,
            )
            raise _Rollback
    except _Rollback:
        pass
    return outcome


def _offered_tools() -> set[str]:
    from alfred.registry import get_registry

    return set(get_registry().tools)


def _prompt_makeup() -> str:
    """Where the prompt tokens go: the fixed part of every first completion, whatever the message."""
    from alfred.llm.backend import estimate_tokens
    from alfred.llm.prompts import system_prompt, tool_specs
    from alfred.models import Member
    from alfred.registry import get_registry

    tools = tool_specs(get_registry())
    system = estimate_tokens(system_prompt(member=Member(name="Ana"), language="en"))
    schemas = estimate_tokens(json.dumps(tools))
    each = schemas // max(1, len(tools))
    return f"system prompt {system}, tool schemas {schemas} for {len(tools)} tools (≈ {each} each)"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def llm_report(misses: list[dict[str, Any]]) -> None:
    """Run each rules miss ({"text", "tool", "args"}) through the LLM path and print the figures."""
    from django.conf import settings
    from django.test import override_settings

    if not misses:
        print("LLM on rule misses: no misses to run.")
        return
    # Measure, do not ration: the budget and the member rate are lifted for the run.
    with override_settings(ALFRED_LLM_DAILY_TOKEN_BUDGET=0, ALFRED_LLM_MEMBER_COMPLETIONS_PER_HOUR=0):
        # The first turn of a process also imports openai and builds the client: shown apart, not averaged in.
        cold = _run_one(misses[0])["seconds"]
        results = [_run_one(miss) for miss in misses]
    n = len(results)
    totals = [r["prompt_tokens"] + r["completion_tokens"] for r in results]
    completions = [r["completions"] for r in results]
    endpoint = settings.OPENAI_BASE_URL or "https://api.openai.com/v1"
    print(f"LLM on rule misses — endpoint {endpoint}, model {results[-1]['model']}, {n} messages")
    print(f"  completions per message: {statistics.mean(completions):.2f} (max {max(completions)})")
    print(
        f"  tokens per message:      {statistics.mean(totals):.0f} "
        f"(prompt {statistics.mean(r['prompt_tokens'] for r in results):.0f} + "
        f"completion {statistics.mean(r['completion_tokens'] for r in results):.0f}); "
        f"p50 {_percentile(totals, 0.5):.0f}, p95 {_percentile(totals, 0.95):.0f}"
    )
    # Must-not-act lines (tool null) that the rules rightly left alone: success is making no tool call.
    to_act = [(m, r) for m, r in zip(misses, results, strict=True) if m.get("tool")]
    quiet = [r for m, r in zip(misses, results, strict=True) if not m.get("tool")]
    if to_act:
        k = len(to_act)
        reached = sum(r["reached"] for _, r in to_act)
        exact = sum(r["exact"] for _, r in to_act)
        offered = sum(r["offered"] for _, r in to_act)
        print(f"  reached the expected tool: {reached}/{k} ({100 * reached / k:.1f} %); exact arguments: {exact}/{k}")
        if offered < k:
            print(f"  expected tool not offered by this instance's registry: {k - offered}/{k}")
    if quiet:
        print(f"  must-not-act lines answered without a tool call: {sum(r['tool_free'] for r in quiet)}/{len(quiet)}")
    failed = [r["error"] for r in results if r["fell_back"]]
    print(f"  fell back (no LLM answer): {len(failed)}/{n}" + (f", e.g. {failed[0]}" if failed else ""))
    p50, p95 = (1000 * _percentile([r["seconds"] for r in results], share) for share in (0.5, 0.95))
    print(f"  time per message: p50 {p50:.0f} ms, p95 {p95:.0f} ms (first turn of the process: {1000 * cold:.0f} ms)")
    print(f"  prompt make-up (≈ 4 characters a token): {_prompt_makeup()}")
    cost = statistics.mean(r["cost"] for r in results)
    print(
        f"  estimated cost: {cost:.6f} per message, {1000 * cost:.3f} per 1,000 messages "
        f"(at {settings.ALFRED_LLM_COST_PER_1K_INPUT} / {settings.ALFRED_LLM_COST_PER_1K_OUTPUT} per 1k tokens)"
    )


def _scripted_model(expected: dict[str, dict[str, Any]]) -> Any:
    """A model that knows each corpus answer: it calls the expected tool if it is offered, then replies."""
    from tests.standins.openai_api import Calls, Reply, call

    def decide(body: dict[str, Any]) -> Any:
        messages = body["messages"]
        last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
        if any(m["role"] == "tool" for m in messages[last_user:]):
            return Reply("Done.")
        miss = expected.get(messages[last_user]["content"])
        offered = {spec["function"]["name"] for spec in body.get("tools", [])}
        if miss is None or miss["tool"] not in offered or body.get("tool_choice") == "none":
            return Reply("Sorry, I cannot do that here.")
        return Calls(call(miss["tool"], miss.get("args", {})))

    return decide


def rules_misses(*, everything: bool = False) -> list[dict[str, Any]]:
    """The corpus lines this instance's rules do not get exactly right (every line with ``everything``)."""
    from alfred.brain import rules_match
    from alfred.rules.corpus import load_corpus

    misses = []
    for language, cases in load_corpus(CORPUS).items():
        for case in cases:
            intents = None if everything else rules_match(case.text, language)
            if not intents or (intents[0].tool, intents[0].args) != (case.tool, case.args):
                misses.append({"text": case.text, "tool": case.tool, "args": case.args, "lang": language})
    return misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=0, help="Run only the first N misses.")
    parser.add_argument(
        "--all", action="store_true", help="Send every corpus line to the LLM, as if there were no rules."
    )
    options = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.home")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import override_settings

    if settings.EMBEDDED:
        (ROOT / "var").mkdir(exist_ok=True)
        call_command("migrate", verbosity=0)
        call_command("seed_demo", stdout=io.StringIO())
    misses = rules_misses(everything=options.all)
    if options.limit:
        misses = misses[: options.limit]
    what = "corpus lines (--all: rules bypassed)" if options.all else "rules misses"
    print(f"{what} in {CORPUS.relative_to(ROOT)}: {len(misses)}")
    if settings.OPENAI_API_KEY:
        llm_report(misses)
        return
    from tests.standins.openai_api import Model, OpenAIStandIn

    print(
        "No OPENAI_API_KEY: using the loopback stand-in with a scripted model. These figures measure Alfred's\n"
        "own overhead (prompt + tool schemas + rounds, tokens counted by the stand-in at ~4 characters a token),\n"
        "not a real model's accuracy."
    )
    with OpenAIStandIn() as api:
        api.default = Model(_scripted_model({miss["text"]: miss for miss in misses}))
        endpoint = {"OPENAI_API_KEY": "stand-in", "OPENAI_BASE_URL": api.base_url, "OPENAI_MODEL": "stand-in-scripted"}
        with override_settings(**endpoint):
            llm_report(misses)


if __name__ == "__main__":
    main()
