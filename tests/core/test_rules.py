"""The rules toolkit (alfred.rules) on its own: no skill, no database."""

import json
import re
from datetime import date

import pytest

from alfred.registry import Intent
from alfred.rules.corpus import Case, evaluate, evaluate_cases, format_report, load_corpus, same_text
from alfred.rules.days import day_date, day_of
from alfred.rules.numbers import format_quantity, number_value, plain_number
from alfred.rules.phrasebook import FirstMatch, Phrase, RegexPhrasebook
from alfred.rules.slots import slot_is_clean
from alfred.rules.text import fold, name_key, simplify
from alfred.rules.utterance import Utterance


def test_folding_keeps_every_position_so_words_are_cut_from_the_original():
    text = "Añade CAFÉ 😀 y “pan”"

    assert len(fold(text)) == len(text)
    assert fold(text).startswith("anade cafe")
    assert simplify("¡Café, por favor!") == "cafe por favor"


def test_the_normalised_name_ignores_case_accents_articles_and_plurals():
    assert name_key("The Bananas") == name_key("banana")
    assert name_key("huevos") == name_key("Huevo")
    assert name_key("limones") == name_key("limón")
    assert name_key("strawberries") == name_key("strawberry")
    assert name_key("cheese") == name_key("cheeses")
    assert name_key("pears") != name_key("peas")


@pytest.mark.parametrize(
    ("message", "request_part"),
    [
        ("hey alfred, can you add Café please!!", "add Café"),
        ("Oye porfa añade leche 😀😀 gracias", "añade leche"),
        ("add milk too lol", "add milk"),
    ],
)
def test_an_utterance_is_the_request_without_greetings_politeness_or_thanks(message, request_part):
    utterance = Utterance.of(message)

    assert utterance.original == request_part
    assert utterance.folded == fold(request_part)


def test_an_utterance_cuts_a_named_group_from_the_original_text():
    utterance = Utterance.of("Añade Café, gracias")
    found = re.fullmatch(r"anade (?P<name>.+)", utterance.folded)

    assert found is not None
    assert utterance.group(found, "name").original == "Café"


def test_numbers_in_words_or_digits_in_either_language():
    assert number_value("dos") == 2
    assert number_value("0,5") == 0.5
    assert number_value("lots") is None
    assert plain_number(2.0) == 2
    assert format_quantity(0.5, "es") == "0,5"


def test_day_words_name_a_day_and_a_weekday_is_the_next_one():
    wednesday = date(2025, 1, 1)

    assert day_of("el viernes") == "friday"
    assert day_of("esta manana") == "today"
    assert day_of("this week") is None
    assert day_date("friday", today=wednesday) == date(2025, 1, 3)
    assert day_date("wednesday", today=wednesday) == wednesday
    assert day_date("tomorrow", today=wednesday) == date(2025, 1, 2)


def test_a_regex_phrasebook_matches_whole_messages_after_filler():
    book = RegexPhrasebook([Phrase(r"ping", "ping")])

    assert book.match("hey alfred ping please", "en") == [Intent("ping", {})]
    assert book.match("ping me later", "en") is None


def write_corpus(directory, language, rows):
    (directory / f"{language}.jsonl").write_text("\n".join(json.dumps(row) for row in rows) + "\n\n")


def test_the_corpus_scorer_reads_the_path_it_is_given_and_uses_the_skills_comparisons(tmp_path):
    write_corpus(
        tmp_path,
        "en",
        [
            {"text": "call Zoë", "tool": "contact_call", "args": {"who": "Zoe"}},
            {"text": "call the office", "tool": "contact_call", "args": {"who": "office"}},
            {"text": "what a day", "tool": None},
        ],
    )

    def match(text, language):
        if text.startswith("call "):
            return [Intent("contact_call", {"who": text.removeprefix("call ")})]
        return None

    strict = evaluate(match, tmp_path)[0]
    lenient = evaluate(match, tmp_path, matchers={"who": same_text})[0]
    one_file = evaluate(match, tmp_path / "en.jsonl", matchers={"who": same_text})

    assert (strict.language, strict.coverage, strict.precision) == ("en", 1.0, 0.0)
    assert lenient.precision == 0.5
    assert [r.case.text for r in lenient.misfires] == ["call the office"]
    assert one_file[0].precision == 0.5
    assert "NOT met" in format_report([lenient])


def test_sets_built_in_memory_are_scored_with_junk_and_must_not_write_lines_apart():
    cases = {
        "en": [
            Case(text="add tissues", tool="grocery_add", args={"item": "tissues"}, language="en"),
            Case(text="add tissues so can you", tool="grocery_add", args={"item": "tissues"}, language="en"),
            Case(text="add the play to my calendar", tool=None, args={}, language="en"),
            Case(text="good night", tool=None, args={}, language="en"),
        ]
    }

    def match(text, language):
        return [Intent("grocery_add", {"item": text.removeprefix("add ")})] if text.startswith("add ") else None

    def junk(case, intent):
        want = case.args.get("item")
        return bool(want) and intent.args["item"] != want and want in intent.args["item"]

    report = evaluate_cases(match, cases, junk=junk)[0]

    assert (report.coverage, round(report.precision, 2), report.junk) == (1.0, 0.33, 1)
    assert (report.fired_on_negatives, report.clean) == (1, 0.5)
    assert not report.meets_targets()
    assert "junk     [en] 'add tissues so can you'" in format_report([report])


def test_a_path_without_a_corpus_is_an_error_not_an_empty_success(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_corpus(tmp_path)
    with pytest.raises(FileNotFoundError):
        load_corpus(tmp_path / "en.jsonl")


@pytest.mark.parametrize(
    "name",
    [
        "tissues so can you",
        "vet appointment from my calendar",
        "crisps added",
        "bread in the shopping",
        "milk to my list",
        "pilas de",
        "leche en la lista",
        "them",
        "2",
        "",
    ],
)
def test_a_slot_with_a_piece_of_the_sentence_in_it_is_refused(name):
    assert not slot_is_clean(name)
    if name != "bread in the shopping":  # a task may say where: "drop the parcel in the post"
        assert not slot_is_clean(name, kind="task")


def test_names_and_tasks_pass_the_slot_check_with_what_belongs_to_them():
    assert slot_is_clean("aceite de oliva") and slot_is_clean("food for the dog") and slot_is_clean("Café con leche")
    # A task keeps its verbs, prepositions and possessives; a thing does not.
    assert slot_is_clean("call the plumber", kind="task") and slot_is_clean("llamar al fontanero", kind="task")
    assert slot_is_clean("pay my taxes at the bank", kind="task")
    assert not slot_is_clean("pay my taxes at the bank")
    assert not slot_is_clean("call mom to my", kind="task")
    assert not slot_is_clean("add call mom", kind="task")


def test_a_declining_answer_leaves_a_must_not_write_line_clean_but_is_wrong_on_a_request():
    cases = {
        "en": [
            Case(text="add milk", tool="grocery_add", args={"item": "milk"}, language="en"),
            Case(text="add the play to my calendar", tool=None, args={}, language="en"),
            Case(text="add milk to my calendar", tool="grocery_add", args={"item": "milk"}, language="en"),
        ]
    }

    def match(text, language):
        if "calendar" in text:
            return [Intent("out_of_scope", {"topic": "calendar"})]
        return [Intent("grocery_add", {"item": text.removeprefix("add ")})]

    declining = evaluate_cases(match, cases, declines=frozenset({"out_of_scope"}))[0]
    plain = evaluate_cases(match, cases)[0]

    assert (declining.declined, declining.fired_on_negatives, declining.clean) == (1, 0, 1.0)
    assert declining.precision == 0.5  # the request that got "I can't" is a misfire
    assert [r.case.text for r in declining.misfires] == ["add milk to my calendar"]
    assert (plain.declined, plain.fired_on_negatives) == (0, 1)


def test_first_match_asks_each_phrasebook_in_turn():
    book = FirstMatch(RegexPhrasebook([Phrase(r"ping", "ping")]), RegexPhrasebook([Phrase(r"ping|pong", "pong")]))

    assert book.match("ping", "en") == [Intent("ping", {})]
    assert book.match("pong", "en") == [Intent("pong", {})]
    assert book.match("pang", "en") is None
