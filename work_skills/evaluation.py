"""How the corpus scorer (``alfred.rules.corpus``) compares the arguments of the CRM tools: company names
and note texts case-, accent- and punctuation-insensitively, periods by equality."""

from alfred.rules.corpus import ArgumentMatchers, same_text

ARGUMENT_MATCHERS: ArgumentMatchers = {
    "company": same_text,
    "text": same_text,
}
