"""CRM phrasings, English and Spanish: deal status, deals closing in a period, contacts, notes, pipeline.

Companies are data, so the rules capture the words where a company is named ("the ACME deal", "lo de
Acme") and resolve them with ``selectors.company_match``: a known company (typos and aliases included) is
passed on by its stored name, two candidates by the words as said (the tool asks which one). Unknown words
go through only where the sentence is clearly about a deal ("status of the Zorg deal"), so the tool can
say it does not know that company and name the closest; elsewhere the rules leave the message alone.

Notes are the one write, so they are strict: the request must open the message ("note for Acme: …"),
and a question mark, a leading quote or an empty or pronoun-only note leaves the message to the LLM.
Negations ("don't note that") and hypotheticals ("if Acme calls, note …") never open the message, so no
rule matches them.
"""

import re
from dataclasses import dataclass

from alfred.registry import Intent
from alfred.rules.utterance import Utterance
from work_skills import selectors
from work_skills.selectors import Period

# A message longer than this is not a CRM command the rules should guess at.
MAX_RULE_CHARS = 1000
# Company names are short; a longer capture is a sentence, not a name.
MAX_COMPANY_WORDS = 5
# The company part of a sentence (lazy, so the words after it stay with the template).
C = r"(?P<company>[a-z0-9&][a-z0-9&'.\- ]*?)"
# Words that make a sentence clearly about a deal, whatever the company is called.
DEAL_WORDS = re.compile(r"(?<![a-z])(?:deal|deals|account|opportunity|opp|trato|acuerdo|oportunidad|cuenta)(?![a-z])")
# Words a company capture never contains: conditions, pronouns, the speaker.
NOT_COMPANY = re.compile(
    r"(?<![a-z])(?:if|when|whether|unless|si|cuando|it|this|that|them|me|myself|self|you|eso|esto|ello|mi|yo|"
    r"ti|everyone|everybody|todos|team|equipo|pipeline|embudo)(?![a-z'])"
)
PRONOUN_NOTES = frozenset("that this it eso esto lo".split())

PERIODS: list[tuple[str, Period]] = [
    (r"this\s+week|esta\s+semana", "this_week"),
    (r"next\s+week|(?:la\s+)?semana\s+que\s+viene|(?:la\s+)?proxima\s+semana|(?:la\s+)?semana\s+proxima", "next_week"),
    (
        r"(?:this|the)\s+month|by\s+the\s+end\s+of\s+(?:the|this)\s+month|by\s+month\s+end|before\s+month\s+end|"
        r"este\s+mes|(?:antes\s+de|a)\s+(?:final|fin|finales)\s+de(?:\s+este)?\s+mes|en\s+lo\s+que\s+queda\s+de\s+mes",
        "this_month",
    ),
    (
        r"next\s+month|(?:el\s+)?mes\s+que\s+viene|(?:el\s+)?proximo\s+mes|(?:el\s+)?mes\s+proximo|"
        r"(?:el\s+)?mes\s+siguiente",
        "next_month",
    ),
    (r"this\s+quarter|este\s+trimestre", "this_quarter"),
    (
        r"next\s+quarter|(?:el\s+)?proximo\s+trimestre|(?:el\s+)?trimestre\s+que\s+viene|(?:el\s+)?trimestre\s+siguiente",
        "next_quarter",
    ),
    (r"this\s+year|este\s+ano", "this_year"),
]
P = r"(?:(?:in|during|within|for|para|en|durante|de|del)\s+)?(?P<period>" + "|".join(p for p, _ in PERIODS) + ")"


@dataclass(frozen=True)
class Rule:
    """A whole-sentence template on the cleaned, folded message. ``strong``: the template alone says the
    message is about a company, so a company Alfred does not know is still passed to the tool (which names
    the closest); None: only when the message says "deal" (or "trato"…); False: never."""

    pattern: re.Pattern[str]
    strong: bool | None = None


def rules(*patterns: str, strong: bool | None = None) -> list[Rule]:
    return [Rule(re.compile(rf"^(?:{pattern})$"), strong) for pattern in patterns]


STATUS = [
    *rules(
        rf"(?:what'?s|whats|what\s+is)\s+(?:the\s+)?(?:latest\s+|current\s+)?(?:status|state|stage|situation|update|latest|news)"
        rf"\s+(?:of|on|with|for)\s+{C}",
        rf"(?:status|update|latest|news)\s+(?:of|on|for|with)\s+{C}",
        rf"(?:deal\s+)?status\s*:?\s+{C}",
        rf"{C}\s+(?:deal\s+)?(?:status|update)",
        rf"(?:how'?s|hows|how\s+is|how\s+are|how\s+are\s+things\s+with|how\s+are\s+we\s+doing\s+(?:with|on)|"
        rf"how\s+are\s+we\s+getting\s+on\s+with)\s+{C}(?:\s+(?:going|looking|doing|coming\s+along|progressing))?",
        rf"where\s+(?:are\s+we|do\s+we\s+stand|are\s+things|am\s+i|is\s+it)\s+(?:with|on|at)\s+{C}",
        rf"where\s+(?:is|does)\s+{C}\s+(?:at|stand)",
        rf"(?:any\s+)?(?:news|updates?|progress)\s+(?:on|from|about|with)\s+{C}",
        rf"(?:tell\s+me\s+about|show\s+me|show|give\s+me|brief\s+me\s+on|catch\s+me\s+up\s+on|remind\s+me\s+about)\s+{C}",
        rf"(?:what|which)\s+stage\s+(?:is|are)\s+{C}\s+(?:in|at)",
        rf"(?:what|which)\s+stage\s+are\s+we\s+(?:at|in)\s+with\s+{C}",
        rf"(?:has|did)\s+{C}\s+(?:signed|sign|closed|close)(?:\s+yet)?",
        rf"(?:como|que\s+tal)\s+(?:va|van|vamos|esta|estan|estamos|anda|andamos|sigue)\s+(?:con\s+)?{C}",
        rf"(?:cual\s+es\s+|como\s+esta\s+|dime\s+|dame\s+)?(?:el\s+)?(?:estado|situacion|status)\s+(?:de|del|con)\s+{C}",
        rf"en\s+que\s+(?:punto|fase|etapa)\s+(?:esta|estamos\s+con|va|anda|se\s+encuentra)\s+{C}",
        rf"(?:hay\s+)?(?:novedades|noticias|algo\s+nuevo)\s+(?:de|del|sobre|con)\s+{C}",
        rf"(?:que\s+)?(?:sabemos|hay)\s+de\s+(?:lo\s+de\s+)?{C}",
        rf"(?:dime|cuentame|ensename|muestrame|ponme\s+al\s+dia\s+(?:de|con|sobre))\s+(?:como\s+va\s+|algo\s+de\s+)?{C}",
        rf"(?:ha\s+)?(?:firmado|cerrado)\s+(?:ya\s+)?{C}(?:\s+ya)?",
    ),
    # "ACME's deal", "the Globex account", "el trato de Acme": only a company Alfred knows.
    *rules(
        rf"(?:the\s+)?{C}(?:'s)?\s+(?:deal|account|opportunity)",
        rf"(?:el\s+|la\s+)?(?:trato|acuerdo|oportunidad|cuenta)\s+(?:de|con)\s+{C}",
        strong=False,
    ),
]
CONTACT = [
    *rules(
        rf"(?:who'?s|whos|who\s+is|who\s+are)\s+(?:our|my|the)\s+(?:main\s+)?(?:contacts?|person|people|"
        rf"point\s+of\s+contact|poc)\s+(?:at|in|for|with|from)\s+{C}",
        rf"(?:the\s+)?(?:contacts?|contact\s+(?:person|details|info)|point\s+of\s+contact)\s+(?:at|for|in|of|from)\s+{C}",
        rf"{C}\s+(?:contacts?|contact\s+(?:person|details|info))",
        rf"who\s+(?:do|should|can)\s+(?:i|we)\s+(?:talk|speak)\s+to\s+(?:at|in|from)\s+{C}",
        rf"who\s+do\s+(?:i|we)\s+(?:know|deal\s+with|call|email|work\s+with)\s+at\s+{C}",
        rf"(?:give|get|send)\s+me\s+(?:the\s+)?(?:contacts?|contact\s+(?:details|info))\s+(?:at|for|of)\s+{C}",
        rf"how\s+(?:do|can)\s+(?:i|we)\s+(?:reach|contact|get\s+hold\s+of|get\s+in\s+touch\s+with)\s+{C}",
        rf"(?:quien|quienes)\s+(?:es|son)\s+(?:el\s+|la\s+|los\s+|nuestro\s+|nuestra\s+|nuestros\s+|mi\s+)?"
        rf"(?:contactos?|interlocutor)\s+(?:en|de|del)\s+{C}",
        rf"(?:el\s+|los\s+)?(?:contactos?|datos\s+de\s+contacto)\s+(?:en|de|del)\s+{C}",
        rf"con\s+quien\s+(?:hablo|hablamos|trato|tratamos|me\s+pongo\s+en\s+contacto)\s+(?:en|de)\s+{C}",
        rf"(?:dame|pasame)\s+(?:el\s+|los\s+)?(?:contactos?|datos\s+de\s+contacto)\s+(?:de|en)\s+{C}",
        rf"a\s+quien\s+(?:llamo|escribo|llamamos|escribimos)\s+(?:en|de)\s+{C}",
        strong=True,
    ),
    *rules(
        rf"(?:what'?s|whats|what\s+is)\s+(?:the\s+)?(?:phone|phone\s+number|number|email|e-mail|email\s+address)\s+"
        rf"(?:for|of|at)\s+{C}",
        rf"(?:phone|phone\s+number|email|e-mail)\s+(?:for|of|at)\s+{C}",
        rf"(?:cual\s+es\s+)?(?:el\s+)?(?:telefono|email|correo|mail|numero)\s+(?:de|del)\s+(?:contacto\s+(?:de|en)\s+)?{C}",
        rf"(?:dame|pasame)\s+(?:el\s+)?(?:telefono|email|correo|mail|numero)\s+(?:de|en)\s+{C}",
        strong=False,
    ),
]
CLOSING = rules(
    rf"(?:which|what)\s+deals\s+(?:are\s+|do\s+we\s+have\s+)?(?:closing|close|will\s+close|due\s+to\s+close|"
    rf"expected\s+to\s+close|should\s+close|could\s+close|set\s+to\s+close|due)\s+{P}",
    rf"(?:deals|what'?s|whats|what\s+is|anything|is\s+anything|any\s+deals)\s+(?:closing|expected\s+to\s+close|"
    rf"due\s+to\s+close|set\s+to\s+close|going\s+to\s+close|due)\s+{P}",
    rf"(?:show\s+me\s+|list\s+|give\s+me\s+)?(?:the\s+|my\s+|our\s+)?deals\s+(?:closing|that\s+close|"
    rf"that\s+should\s+close|expected\s+to\s+close|due\s+to\s+close|due)\s+{P}",
    rf"{P}'?s\s+(?:closing\s+deals|closings|expected\s+closes|closes)",
    rf"(?:what|which\s+deals)\s+(?:do\s+we\s+|can\s+we\s+)?(?:expect\s+to\s+)?close\s+{P}",
    rf"(?:what|who)\s+(?:is|are)\s+(?:closing|about\s+to\s+close)\s+{P}",
    rf"(?:que|cuales)\s+(?:tratos|acuerdos|oportunidades|deals|negocios)\s+(?:se\s+)?(?:cierran|cerramos|cerraran|"
    rf"van\s+a\s+cerrar|vamos\s+a\s+cerrar|deberian\s+cerrar|esperamos\s+cerrar|se\s+cerraran|vencen)\s+{P}",
    rf"(?:los\s+)?(?:tratos|acuerdos|oportunidades|deals|cierres|negocios)\s+(?:que\s+(?:se\s+)?(?:cierran|cerramos|"
    rf"cerraran|vencen)\s+|previstos\s+(?:para\s+)?|(?:que\s+)?esperamos\s+cerrar\s+)?{P}",
    rf"(?:que|cuales)\s+(?:se\s+)?(?:cierra|cierran|cerramos|vamos\s+a\s+cerrar|esperamos\s+cerrar)\s+{P}",
    rf"(?:hay\s+)?(?:algun\s+trato|algo|algun\s+acuerdo)\s+(?:que\s+)?(?:cierre|se\s+cierre|para\s+cerrar)\s+{P}",
    rf"(?:que|cuales)\s+(?:tratos|acuerdos|oportunidades|deals|negocios)\s+(?:tenemos|hay)\s+(?:para\s+cerrar\s+|"
    rf"que\s+cerrar\s+)?{P}",
)
PIPELINE = rules(
    r"(?:show\s+(?:me\s+)?|give\s+me\s+|what'?s\s+in\s+|whats\s+in\s+|what\s+is\s+in\s+|how'?s\s+|hows\s+|how\s+is\s+|"
    r"what'?s\s+|whats\s+|summari[sz]e\s+|check\s+)?(?:the\s+|my\s+|our\s+)?(?:sales\s+|deal\s+)?(?:pipeline|funnel)"
    r"(?:\s+(?:looking(?:\s+like)?|look|totals?|summary|overview|by\s+stage|status|report|now|today|doing|"
    r"at\s+the\s+moment|right\s+now|numbers))?",
    r"(?:pipeline|deal)\s+totals?(?:\s+by\s+stage)?",
    r"(?:totals?|deals|amounts?)\s+(?:by|per)\s+stage",
    r"how\s+much\s+(?:is|have\s+we\s+got|do\s+we\s+have|'?s)\s+in\s+(?:the\s+|our\s+)?pipeline",
    r"(?:como\s+(?:va|esta|anda)\s+|muestrame\s+|ensename\s+|dame\s+|resumen\s+del?\s+|que\s+hay\s+en\s+|"
    r"resume\s+|revisa\s+)?(?:el\s+|mi\s+|nuestro\s+)?(?:pipeline|embudo|funnel)(?:\s+de\s+ventas)?"
    r"(?:\s+(?:por\s+(?:etapa|etapas|fase|fases)|ahora|hoy|ahora\s+mismo))?",
    r"(?:los\s+)?(?:totales?|tratos|importes)\s+por\s+(?:etapa|etapas|fase|fases)",
    r"cuanto\s+(?:hay|tenemos|llevamos)\s+en\s+(?:el\s+)?(?:pipeline|embudo)",
)

# The note is everything after the separator; the company sits between the request and the separator.
SEP = r"\s*(?::|-|—|,)\s*|\s+(?:that|saying|que|diciendo)\s+"
NOTE = [
    re.compile(
        rf"^(?:add|write|put|log|leave|make|save|create|take|jot\s+down|drop)\s+(?:a\s+|this\s+)?(?:quick\s+)?note"
        rf"\s+(?:to|for|on|about|in|under|against)\s+{C}(?:{SEP})(?P<text>.+)$"
    ),
    re.compile(rf"^(?:new\s+)?note\s+(?:for|on|to|about|in|under|against)\s+{C}(?:{SEP})(?P<text>.+)$"),
    re.compile(rf"^(?:add|log)\s+to\s+{C}(?:'s)?\s+notes?\s*:\s*(?P<text>.+)$"),
    re.compile(rf"^{C}\s+note\s*:\s*(?P<text>.+)$"),
    re.compile(
        rf"^(?:anade|agrega|pon|apunta|anota|escribe|deja|guarda|mete|crea|anademe|ponme|dejame)\s+(?:una\s+)?"
        rf"(?:nota|notita)\s+(?:en|a|al|para|sobre|de|del)\s+{C}(?:{SEP})(?P<text>.+)$"
    ),
    re.compile(
        rf"^(?:nueva\s+)?(?:nota|apunta|anota|apuntame|anotame)\s+(?:en|para|a|al|sobre|de|del)\s+(?:la\s+ficha\s+de\s+)?"
        rf"{C}(?:{SEP})(?P<text>.+)$"
    ),
]
QUOTES = "\"'“”‘’«»`"


class CrmPhrasebook:
    def match(self, text: str, language: str) -> list[Intent] | None:
        if len(text) > MAX_RULE_CHARS:
            return None
        u = Utterance.of(text)
        if not u.folded:
            return None
        note = self.note(text, u)
        if note is not None:
            return note
        clean = u.clean()
        for rule in CLOSING:
            found = rule.pattern.match(clean)
            if found:
                return [Intent("crm_deals_closing", {"period": period_of(found.group("period"))})]
        if any(rule.pattern.match(clean) for rule in PIPELINE):
            return [Intent("crm_pipeline", {})]
        return self.about_company(clean, CONTACT, "crm_contact") or self.about_company(clean, STATUS, "crm_deal_status")

    def about_company(self, clean: str, templates: list[Rule], tool: str) -> list[Intent] | None:
        for rule in templates:
            found = rule.pattern.match(clean)
            if not found:
                continue
            strong = bool(DEAL_WORDS.search(clean)) if rule.strong is None else rule.strong
            company = company_argument(found.group("company"), strong=strong)
            if company:
                return [Intent(tool, {"company": company})]
        return None

    def note(self, text: str, u: Utterance) -> list[Intent] | None:
        # A question ("can you note that for Acme?") or a quotation is not a request to write.
        if "?" in text or "¿" in text or text.lstrip()[:1] in QUOTES:
            return None
        for rule in NOTE:
            found = rule.match(u.folded)
            if not found:
                continue
            company = company_argument(found.group("company"), strong=False)
            body = u.group(found, "text").original.strip(" .")
            if not company or not body or body.lower() in PRONOUN_NOTES:
                return None
            return [Intent("crm_note_add", {"company": company, "text": body})]
        return None


def period_of(phrase: str) -> Period:
    for pattern, period in PERIODS:
        if re.fullmatch(pattern, phrase):
            return period
    return "this_month"


def company_argument(words: str, *, strong: bool) -> str | None:
    """The company argument for the tool: a known company's stored name; the words as said when there are
    two candidates, or when ``strong`` and nothing matches; None when the words are no company name."""
    words = words.strip(" ,.:'-")
    if not words or len(words.split()) > MAX_COMPANY_WORDS or NOT_COMPANY.search(words):
        return None
    if not selectors.name_words(words):
        return None
    found = selectors.company_match(words)
    if found.company is not None:
        return found.company.name
    if found.candidates or strong:
        return " ".join(selectors.name_words(words, legal=True))
    return None
