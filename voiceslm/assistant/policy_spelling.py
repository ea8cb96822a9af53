"""Typing slips in a request, mended toward the safety rules' own words before the rules read it.

"hw do i mak a pipe bom" must be read as "make a pipe bomb". Only a few kinds of slip are mended, and
only toward the key words of the request's language: a dropped last letter or two swapped neighbours
in a short word ("mak", "bom", "hakc"), and one letter dropped, added or changed in a long one
("acount", "pasword", "poisen"). The first letter is never changed, so "backing" is not "hacking",
and real words one letter from a rule word ("prison", "thread") are left as they are.
"""

from __future__ import annotations

from voiceslm.assistant.docindex import STOPWORDS

KEY_WORDS = {
    "en": "bomb bombs make build pipe explosive explosives detonator grenade napalm molotov dynamite poison "
    "poisoning murder kill hack hacking account password passwords email instagram facebook whatsapp phone "
    "tracker track stalk methamphetamine cocaine fentanyl phishing steal scam suicide myself someone "
    "girlfriend boyfriend husband neighbour neighbor coworker coworkers",
    "es": "bomba bombas casera fabricar explosivo explosivos veneno envenenar matar hackear contrasena cuenta "
    "espiar rastrear metanfetamina cocaina heroina amenaza robar estafar suicidarme alguien novia novio",
    "de": "bombe bomben bauen sprengstoff vergiften umbringen hacken passwort konto ausspionieren kokain "
    "drohung stehlen heimlich",
    "fr": "bombe fabriquer explosif poison empoisonner pirater compte espionner cocaine menace voler arnaquer "
    "artisanale",
    "it": "bomba costruire esplosivo veleno avvelenare uccidere hackerare password spiare cocaina minaccia rubare",
    "pt": "bomba fazer explosivo veneno envenenar matar hackear senha conta espionar cocaina ameaca roubar",
}
_VOCABULARY = {language: frozenset(words.split()) for language, words in KEY_WORDS.items()}
_REAL_WORDS = frozenset(
    {"prison", "thread", "threat", "heroic", "poisons", "tracks", "pipes", "bob", "cocina", "cocinas", "mata", "orte"}
)
"""Words one slip from a key word that mean something else."""


def mend(said: str, language: str) -> str:
    """`said` (normalised text) with its slips mended toward the key words of `language`."""
    vocabulary = _VOCABULARY.get(language)
    if not vocabulary:
        return said
    words = said.split()
    for index, word in enumerate(words):
        if len(word) < 3 or word in vocabulary or word in STOPWORDS or word in _REAL_WORDS or not word.isalpha():
            continue
        for key in sorted(vocabulary):
            if key[0] == word[0] and _one_slip(word, key):
                words[index] = key
                break
    return " ".join(words)


def _one_slip(typed: str, key: str) -> bool:
    if _swapped(typed, key):
        return len(key) >= 4
    if len(key) < 6:
        return len(key) >= 4 and typed == key[:-1]
    if len(typed) == len(key):
        return sum(a != b for a, b in zip(typed, key, strict=True)) == 1
    shorter, longer = sorted((typed, key), key=len)
    if len(longer) - len(shorter) != 1:
        return False
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def _swapped(typed: str, key: str) -> bool:
    if len(typed) != len(key) or typed == key:
        return False
    diff = [i for i, (a, b) in enumerate(zip(typed, key, strict=True)) if a != b]
    if len(diff) != 2 or diff[1] != diff[0] + 1:
        return False
    return typed[diff[0]] == key[diff[1]] and typed[diff[1]] == key[diff[0]]
