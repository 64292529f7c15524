"""Should the rules engine be hassil (Home Assistant's template matcher)? Measures, for the shopping intents:

- the memory an import of hassil costs a process (the worker imports the rules), against alfred.rules;
- hassil's own recognizer, loaded with the package's list templates (the best case for it), on our corpus
  of WhatsApp-style messages: coverage and time per message, against our rules on the same lines;
- our rules' time per message (median, 95th percentile, slowest) on our corpus and the held-out sets, on the
  demo family in a throwaway SQLite database (the rules read lists and the aisle dictionary).

Offline; hassil and home-assistant-intents come from requirements/dev.txt.

    .venv/bin/python bench/rules_engine.py
"""

import gc
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

IMPORT_COST = "import resource; a = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; import {module}; " + (
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - a)"
)
TOOLS = {
    "HassShoppingListAddItem": "grocery_add",
    "HassListAddItem": "grocery_add",
    "HassShoppingListCompleteItem": "grocery_bought",
    "HassListCompleteItem": "grocery_bought",
    "HassListRemoveItem": "grocery_remove",
}


def import_kib(module: str) -> int:
    """Peak resident memory an import adds to a fresh interpreter, in KiB."""
    code = IMPORT_COST.format(module=module)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return int(out.stdout.strip())


def main() -> int:
    for module in ("alfred.rules.utterance, alfred.rules.text", "hassil.recognize", "hassil, home_assistant_intents"):
        print(f"import {module}: +{import_kib(module) / 1024:.1f} MiB peak resident")

    from hassil.intents import Intents, TextSlotList
    from hassil.recognize import recognize_best
    from home_assistant_intents import get_intents

    from alfred.rules.corpus import load_corpus

    corpus = load_corpus(ROOT / "tests" / "home_skills" / "corpus")
    for language, cases in corpus.items():
        data = get_intents(language)
        if data is None:
            continue
        data = {**data, "intents": {k: v for k, v in data["intents"].items() if k in TOOLS}}
        intents = Intents.from_dict(data)
        # The package's list templates expect a to-do entity's name; give it the names our family uses.
        names = {"name": TextSlotList.from_strings(["shopping", "groceries", "compra", "pharmacy", "farmacia"])}
        wanted = [case for case in cases if case.tool in set(TOOLS.values())]
        hits = 0
        started = time.perf_counter()
        for case in wanted:
            result = recognize_best(case.text, intents, slot_lists=names, language=language)
            hits += bool(result and TOOLS[result.intent.name] == case.tool)
        elapsed = time.perf_counter() - started
        print(
            f"hassil + HA templates on our {language} corpus: {hits}/{len(wanted)} add/check-off/remove lines "
            f"recognised, {elapsed * 1000 / max(len(wanted), 1):.1f} ms per line"
        )
    rules_timing()
    return 0


def rules_timing() -> None:
    """Our rules (every phrasebook of settings.home, as the brain runs them) on every line we score."""
    sys.path.insert(0, str(ROOT / "bench"))
    from brain_eval import setup_django

    with tempfile.TemporaryDirectory() as directory:
        setup_django(Path(directory) / "rules_engine.sqlite3")
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("seed_demo", stdout=io.StringIO())
        from alfred.brain import rules_match
        from alfred.language import language_detect
        from alfred.rules.corpus import load_corpus
        from home_skills import evaluation

        sets = {
            "our corpus": load_corpus(ROOT / "tests" / "home_skills" / "corpus"),
            "HA list templates": evaluation.held_out_templates(),
            "HA device sentences": evaluation.held_out_devices(),
            "out of scope": evaluation.out_of_scope(),
        }
        rules_match("warm up", "en")
        for name, corpus in sets.items():
            # Building the held-out sets leaves garbage behind; collect it now, not inside a timed message.
            gc.collect()
            times = []
            for cases in corpus.values():
                for case in cases:
                    language = language_detect(case.text, default="en")
                    started = time.perf_counter()
                    rules_match(case.text, language)
                    times.append((time.perf_counter() - started) * 1000)
            times.sort()
            print(
                f"our rules on {name} ({len(times)} lines): median {statistics.median(times):.1f} ms, "
                f"p95 {times[int(len(times) * 0.95)]:.1f} ms, slowest {times[-1]:.1f} ms per message"
            )


if __name__ == "__main__":
    sys.exit(main())
