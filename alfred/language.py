"""Per-message language detection for the two languages Alfred speaks.

Cheap on purpose: a handful of marker words and Spanish-only characters decide; when a message gives no
clue (``"ping"``, an emoji) the member's own language stands.
"""

import re

SPANISH_CHARS = re.compile(r"[ñáéíóúü¿¡]")
WORD = re.compile(r"[a-záéíóúüñ]+")

SPANISH_WORDS = frozenset(
    """
    que qué el la los las de del un una unos unas y o en por para con sin al lo le les mi mis tu su
    ya no hay hoy mañana quién quien cuál cual cómo como dónde donde cuándo cuando toca tareas tarea lista
    compra añade añadir agrega agregar pon apunta quita quitar borra borrar compré comprado tengo falta
    faltan queda quedan acabó acabado se nos necesitamos hace hecho he ayuda porfa favor gracias hola
    oye sí también tenemos comprar saqué fregado fregué platos basura aspirar colada ropa lavadora
    deshacer deshaz eso esto uy buenos días familia cena está están quita borra apúntalo lista tengo ya
    necesito necesitamos falta pon apunta agrega mete tacha hecha hecho listo pospón aplaza semana cada
    todos días nueva asigna toca cosa partir ahora dame pásame enséñame alguien visto llaves
    trato tratos estado contacto contactos etapa etapas nota notas cierran cierra cierre ventas correo correos
    bandeja entrada resumen resúmeme importantes empresa empresas urgente urgentes trimestre mes
    """.split()
)
ENGLISH_WORDS = frozenset(
    """
    the a an and or of to in on for with without my your our is are was we i you it this that what who
    whos who's when where how do does did done please pls can could would add put need needs out got
    bought buy remove take off list lists today tomorrow chores chore dishes trash vacuum laundry help
    thanks hi hello some more any have has there on's what's whats mine
    undo wait last thing good morning everyone dinner ready left no more out run ran running low just
    took turn whose every week day month new assign skip snooze push from now off bins got picked grabbed
    anything anyone seen keys love sour believe price now
    deal deals status pipeline contact contacts stage stages totals note notes closing close closes about
    looking tell details sales hows doing email emails inbox summarise summarize summary important company
    companies week's month's quarter anything urgent mail
    """.split()
)


def language_detect(text: str, *, default: str) -> str:
    lowered = text.lower()
    words = WORD.findall(lowered)
    spanish = sum(word in SPANISH_WORDS for word in words) + 2 * len(SPANISH_CHARS.findall(lowered))
    english = sum(word in ENGLISH_WORDS for word in words)
    if spanish > english:
        return "es"
    if english > spanish:
        return "en"
    return default
