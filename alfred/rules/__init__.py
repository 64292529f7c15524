"""The toolkit for writing rules: what a skill needs to turn a message into tool calls without the LLM.

- ``text``: ``fold`` (lower case, no accents or emoji, same length as the input), ``simplify`` and
  ``name_key`` (the keys two names are compared or merged on).
- ``utterance``: ``Utterance``, the request part of a message (greetings, politeness and "alfred" stripped,
  ``?``/``!`` turned into clause breaks), with its original and folded text aligned character by character.
- ``numbers`` and ``days``: number words and day words (English and Spanish), their regex alternations and
  their parsers.
- ``slots``: ``slot_is_clean``, the sanity check of a slot a rule extracted before it writes (no list or
  calendar word, pronoun, leftover verb or clause in a thing's or a task's name).
- ``phrasebook``: ``RegexPhrasebook``, for skills whose phrasings are fixed sentences.
- ``corpus``: scores a phrasebook against a corpus of labelled messages (coverage and precision).

The toolkit is skill-independent: it imports no skill app and no channel app.
"""
