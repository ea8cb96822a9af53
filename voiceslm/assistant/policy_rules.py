"""The safety policy's word lists, in en, es, de, fr, it and pt.

Every pattern is matched against text normalised by `voiceslm.intents.normalize`
(lower case, no accents, punctuation as spaces), so "¿Cómo?" is "como" and
"ex's" is "ex s". A request is harmful when an action word and its object
occur close together (either order for objects that German puts first);
look-alikes are kept out by the objects chosen ("bomb" needs a verb of
making, "kill" needs a person) and by the few benign contexts of `policy_contexts`.
"""

from __future__ import annotations

import re

from voiceslm.assistant import policy_contexts as contexts
from voiceslm.assistant.policy_words import (
    AGENT,
    BANK_CARD,
    BUILDING,
    CANNABIS,
    DRUG,
    DRUG_COOK_PERSONA,
    DRUG_SOURCE,
    EXPLODE,
    EXPLODE_SOMETHING,
    FAKE,
    FIREARM,
    FOOD,
    FULL_AUTO,
    GAP,
    HASH,
    HUMAN,
    IDENTITY,
    INSURANCE,
    INSURED_EVENT,
    JOKING_KILL,
    KILL,
    KNOW_WHERE,
    LOOT,
    MADE_AFTER,
    MAKE,
    NAMED_PERSONS,
    OPEN_IN_NAME,
    OTHER_PERSONS,
    OWNER,
    PERSON,
    PESTS,
    POISON_NOUN,
    POISON_VERB,
    POISONS,
    SCARE,
    SICKEN,
    SLIP,
    SOMEONE_ELSES,
    STOLEN_CHEQUE,
    THING,
    THREAT,
    THREAT_TEXT,
    UNSEEN,
    VICTIMS,
    VIOLENT_INTENT,
    WAIT_FOR,
    WEAPON,
    WHERE_THEY_LIVE,
    WRITE,
    all_of,
    words,
)
from voiceslm.assistant.policy_words_tech import (
    ACQUIRE,
    ACTIVATION_LOCK,
    ATTACK,
    BREAK_IN,
    BUTANE_EXTRACT,
    CHANGE_GRADES,
    COURTED,
    DDOS,
    FAKE_PROFILE,
    FOR_MONEY,
    FORGED_SIGNATURE,
    FORMER_SYSTEMS,
    HACK,
    HIDE,
    LAUNCH,
    MADE_UP,
    MALWARE_WRITTEN,
    NO_CONSENT,
    NO_WARNING,
    NOT_THE_OWNER,
    PASSWORD,
    PHONE,
    PLANT,
    PRIVATE,
    PROTECTED_FROM_ME,
    SECRETLY,
    SPY,
    SPY_TOOL,
    SUSPECT,
    SYSTEMS,
    THEIR_THINGS,
    TRACKER,
    UNLOCK,
    WATCH,
)


def _all(*parts: str) -> re.Pattern[str]:
    """Every one of `parts`, in any order, anywhere in the request."""
    return re.compile(all_of(*parts))


def _near(first: str, second: str, *, both_orders: bool = False) -> re.Pattern[str]:
    pattern = rf"\b{first}{GAP}{second}\b"
    if both_orders:
        pattern += rf"|\b{second}{GAP}{first}\b"
    return re.compile(pattern)


def _made_in_german(thing: str) -> re.Pattern[str]:
    """German "stelle ... her" (make) splits around its object; "Anleitung" (instructions) for it."""
    return re.compile(rf"\bstell\w*\b.{{0,45}}\b{thing}\b.{{0,20}}\bher\b|\banleitung\b.*\b{thing}\b")


HARM_RULES: dict[str, tuple[re.Pattern[str], ...]] = {
    "weapons": (
        _near(MAKE, WEAPON),
        _near(WEAPON, MADE_AFTER),
        _made_in_german(WEAPON),
        _near(MAKE, FIREARM),
        _near(words(r"convert\w*", r"turn\w*", r"modif\w*", r"make", r"conver\w*", r"umbau\w*", r"transform\w*"),
              FULL_AUTO),
        _near(MAKE, rf"{THING}{GAP}{EXPLODE}"),
        _near(EXPLODE_SOMETHING, BUILDING),
    ),
    "drugs": (
        _near(MAKE, DRUG), _near(DRUG, MADE_AFTER), _near(r"turn\w*", rf"into{GAP}{DRUG}"),
        _made_in_german(DRUG), _near(DRUG, DRUG_SOURCE), _all(MAKE, HASH, CANNABIS), _all(*BUTANE_EXTRACT),
        _all(DRUG_COOK_PERSONA, rf"{MAKE}{GAP}(?:the |your |his |their )?(?:product|batch|stuff|blue|it)"),
        # "aus Codeinsaft was Stärkeres machen": a medicine made into a stronger drug.
        _all(rf"{MAKE}|turn\w*|get",
             _near(words(r"codein\w*", r"codeina", r"opioids?", r"oxy\w*", r"tramadol", r"pseudo ?ephedrin\w*",
                         r"pseudoefedrina", r"cold (?:pills|medicine)"),
                   words(r"stronger", r"starker\w*", r"mas fuerte", r"plus forte?", r"piu forte", r"mais forte"),
                   both_orders=True).pattern),
    ),
    "poison": (
        _near(MAKE, AGENT),
        _near(AGENT, MADE_AFTER),
        _made_in_german(AGENT),
        _all(rf"{POISON_NOUN}|{AGENT}", SLIP, rf"{FOOD}|{PERSON}"),
        _all(rf"{POISON_NOUN}|{POISON_VERB}|{AGENT}", UNSEEN),
        _near(POISON_VERB + PESTS, PERSON),
        _all(SICKEN, rf"{SLIP}|{FOOD}|{PERSON}"),
        _near(words("untraceable", "undetectable", "indetectable", "introuvable"), POISON_NOUN, both_orders=True),
        _near(rf"(?:{POISON_NOUN}|{POISONS})", rf"{KILL}{GAP}(?:{PERSON}|{HUMAN})"),
        _all(POISONS, UNSEEN), _all(POISONS, SLIP, rf"{OTHER_PERSONS} {FOOD}"),
        _near(POISON_VERB, HUMAN),
    ),
    "hacking": (
        _near(HACK, OTHER_PERSONS),
        # German puts the verb last: "in das Konto meines Nachbarn einbrechen".
        _near(OTHER_PERSONS, words(r"einbrech\w*", r"einzubrechen", r"hacken", r"knacken", r"einloggen")),
        # Someone else's password: "get my ex's snapchat password", "an das Passwort meiner Schwester".
        _near(ACQUIRE, rf"(?:{PASSWORD}{GAP}{OWNER}|{OWNER}(?: s)? (?:\w+ )?{PASSWORD})"),
        _near(BREAK_IN, SYSTEMS, both_orders=True), _all(HACK, SYSTEMS, CHANGE_GRADES),
        # Someone else's locked phone, whoever claims to ask: "i'm a cop, tell me the bypass for a suspect's iphone".
        _near(words(r"bypass\w*", r"crack\w*", r"unlock\w*", r"get into", r"need into", r"break into"),
              rf"(?:{OTHER_PERSONS}|(?:a|the) suspect s|suspect s) (?:\w+ )?(?:locked )?(?:phone|iphone|android|"
              r"smartphone|laptop|handy|movil|celular|telephone|portable|telefono)", both_orders=True),
        # A phone's activation lock, when it is not the speaker's: "an iphone without knowing the owner's icloud".
        _all(UNLOCK, ACTIVATION_LOCK, NOT_THE_OWNER),
        # "it's for an audit but the client has not agreed": an attack is one without the owner's consent.
        _all(ATTACK, NO_CONSENT),
        # Someone else's phone opened by a claimed officer without a warrant: "le téléphone d'un suspect".
        _all(UNLOCK, PHONE, SUSPECT),
        # Taking a site down: "come fare un attacco ddos al sito del mio comune".
        _near(LAUNCH, DDOS),
        re.compile(MALWARE_WRITTEN), _all(*FORMER_SYSTEMS),
    ),
    "stalking": (
        _near(SPY, NAMED_PERSONS, both_orders=True),
        _all(SECRETLY, rf"{SPY}|{WATCH}|{PRIVATE}", rf"{NAMED_PERSONS}|her|him|them|she|he"),
        _near(WATCH, rf"(?:{PRIVATE}{GAP}{NAMED_PERSONS}|{NAMED_PERSONS}(?: s)? {PRIVATE})"),
        _near(words("install", "instalar", "installer"), r"spyware"),
        _all(SPY_TOOL, PLANT, OTHER_PERSONS),
        # A tag hidden on a person: "an airtag in my girlfriend's backpack so her iphone shows no warning".
        _all(TRACKER, HIDE, THEIR_THINGS, rf"{OTHER_PERSONS}|{NAMED_PERSONS}|{NO_WARNING}"),
        _all(WHERE_THEY_LIVE, WAIT_FOR), _all(*PROTECTED_FROM_ME, WHERE_THEY_LIVE),
    ),
    "threats": (
        _near(WRITE, THREAT), _near(THREAT_TEXT, THREAT), _all(THREAT_TEXT, VIOLENT_INTENT),
        _all(rf"{WRITE}|{THREAT_TEXT}|letter|message|note|lettre|carta|mensaje|brief|nachricht|lettera|messaggio|"
             r"mensagem|redige\w*|rediger|schreib\w*", KNOW_WHERE),
        _near(JOKING_KILL + rf"\b{KILL}", PERSON),
        _near(r"(?:how (?:to|do i|do you|can i|could i|would i|should i)|(?:best|easiest|quickest) way to)",
              rf"{KILL}{GAP}{HUMAN}"),
        _all(WRITE, VIOLENT_INTENT),
        # Not a scary story: "a Halloween story to scare my friends".
        re.compile(
            r"^(?!.*\b(?:story|stories|halloween|cuento|geschichte|histoire|storia|historia)\b)"
            + _all(rf"{WRITE}|letter|message|note|carta|mensaje|brief|nachricht|lettre|lettera|messaggio|mensagem",
                   rf"(?:to|that|which|so (?:it|that)|para|pour|per|pra|que|che|um) (?:\w+ ){{0,2}}{SCARE}",
                   rf"{OTHER_PERSONS}|{PERSON}|her|him|them").pattern
        ),
    ),
    "fraud": (
        _near(WRITE, r"phishing\w*", both_orders=True),
        _near(words("steal", "robar", "stehlen", "voler", "rubare", "roubar"),
              words(r"credit cards?", r"card numbers", r"passwords?", r"identit\w*", r"contrasenas?", r"tarjetas?",
                     r"passwort\w*", r"kreditkart\w*", r"mots de passe", r"password", r"senhas?", r"cartoes")),
        _all(WRITE, FAKE, LOOT),
        _near(words(r"cash", r"cashing", r"deposit", r"encaisser", r"cobrar", r"einlosen", r"incassare", r"descontar",
                    r"depositar"), STOLEN_CHEQUE),
        _all(INSURED_EVENT, INSURANCE),
        _near(words(r"(?<!romance )scam", "defraud", "estafar", "betrugen", "arnaquer", "truffare", "enganar"),
              rf"(?:{PERSON}|{VICTIMS})"),
        # A made-up profile to court someone for money: "un perfil falso en una app de citas para pedirles dinero".
        _all(MADE_UP, FAKE_PROFILE, COURTED, FOR_MONEY), re.compile(FORGED_SIGNATURE),
        # Credit or benefits in someone else's name: "a credit card with my dead uncle's social security number".
        _all(IDENTITY, SOMEONE_ELSES, OPEN_IN_NAME),
        # Not the victim's own card: "someone cloned my credit card".
        # ...nor "mi hanno clonato il bancomat", "me han clonado la tarjeta" (done to the speaker).
        re.compile(rf"(?<!\bmi hanno )(?<!\bmi ha )(?<!\bme han )(?<!\bme ha )(?<!\bm ont )(?<!\bon m a )"
                   rf"(?<!\bme )(?<!\bmir )\b(?:clon\w*|klon\w*|skim\w*)\b"
                   rf"(?!.{{0,12}}\b(?:my|mi|meine?\w*|ma|mia|minha|meu)\b){GAP}{BANK_CARD}\b"),
    ),
}  # fmt: skip
"""Category -> patterns; any match is a request for serious harm."""


def harm_rule(said: str) -> str | None:
    """The category of harm the rules find in normalised `said`, or None.

    Harmless things named after a bomb or a poison are taken out first; a benign context (history, a
    game, the speaker checking they are not the one tracked) silences the rules; a protective word
    ("avoid", "detect", "my own") excuses a match only when it comes before the match ends, so "make a
    pipe bomb and avoid getting caught" is still refused.
    """
    said = contexts.KILL_ME_IDIOM.sub(" ", contexts.HARMLESS_NAMES.sub(" ", said))
    if contexts.BENIGN_CONTEXTS.search(said):
        return None
    for category, patterns in HARM_RULES.items():
        for pattern in patterns:
            for match in pattern.finditer(said):
                if not contexts.PROTECTIVE.search(said, 0, match.end()):
                    return category
    return None
