"""The safety policy's word lists, in en, es, de, fr, it and pt.

Every pattern is matched against text normalised by `voiceslm.intents.normalize`
(lower case, no accents, punctuation as spaces), so "¿Cómo?" is "como" and
"ex's" is "ex s". A request is harmful when an action word and its object
occur close together (either order for objects that German puts first);
look-alikes are kept out by the objects chosen ("bomb" needs a verb of
making, "kill" needs a person) and by the few benign contexts listed.
"""

from __future__ import annotations

import re

_GAP = r"\b.{0,45}?\b"


def _words(*alternatives: str) -> str:
    return r"(?:" + "|".join(alternatives) + r")"


def _near(first: str, second: str, *, both_orders: bool = False) -> re.Pattern[str]:
    pattern = rf"\b{first}{_GAP}{second}\b"
    if both_orders:
        pattern += rf"|\b{second}{_GAP}{first}\b"
    return re.compile(pattern)


_MAKE = _words(
    r"make", r"making", r"build", r"building", r"assemble", r"construct", r"create", r"craft", r"manufacture",
    r"3d print", r"print", r"mix", r"cook", r"cooking", r"synthesi[sz]e", r"produce", r"brew", r"extract",
    r"hago", r"hacer", r"fabricar", r"fabrico", r"construir", r"armar", r"preparar", r"crear", r"elaborar",
    r"cocinar", r"se cocina", r"sintetizar", r"producir", r"se hace", r"se fabrica",
    r"baue", r"bauen", r"baut", r"herstellen", r"basteln", r"bastle", r"mache", r"machen",
    r"kochen", r"synthetisieren",
    r"fabriquer", r"faire", r"construire", r"preparer", r"creer", r"synthetiser", r"produire", r"cuisiner",
    r"costruire", r"costruisco", r"fabbricare", r"fare", r"faccio", r"creare", r"produrre", r"produce",
    r"sintetizzare", r"cucinare", r"si fa", r"si produce", r"si costruisce",
    r"fazer", r"faco", r"montar", r"criar", r"produzir", r"cozinhar",
)  # fmt: skip
_WEAPON = _words(
    r"pipe bombs?", r"bombs?", r"explosives?", r"explosive device", r"ied", r"napalm", r"molotov\w*", r"grenades?",
    r"detonators?", r"untraceable gun", r"ghost gun", r"silencer", r"thermite",
    r"bombas?", r"explosivos?", r"granadas?", r"detonador",
    r"\w*rohrbomben?", r"bomben?", r"\w*sprengstoff\w*", r"sprengsatz", r"molotow\w*", r"granaten?",
    r"bombes?", r"explosifs?", r"detonateur",
    r"bombe", r"esplosiv[oi]", r"granata", r"detonatore",
)  # fmt: skip
_DRUG = _words(
    r"meth", r"methamphetamine?", r"crystal meth", r"heroin", r"cocaine", r"crack", r"fentanyl", r"lsd", r"mdma",
    r"ecstasy", r"ghb",
    r"metanfetamina", r"heroina", r"cocaina", r"fentanilo?", r"extasis", r"methamphetamin", r"kokain",
    r"methamphetamine", r"heroine", r"eroina", r"fentanil",
)  # fmt: skip
_PERSON = _words(
    r"my (?:ex|wife|husband|boss|neighbou?r|girlfriend|boyfriend|partner|teacher|sister|brother|mother|father)\w*",
    r"someone\w*", r"somebody", r"a person", r"people", r"him", r"her", r"his (?:wife|girlfriend)",
    r"(?:my )?neighbou?r\w*", r"(?:old|elderly) people",
    r"a mi \w+", r"mi (?:vecino|vecina|jefe|jefa|esposa|esposo|marido|mujer|novia|novio|pareja|ex)", r"alguien",
    r"vecino", r"jefe",
    r"meinen \w+", r"meine \w+", r"meiner \w+", r"jemanden?", r"nachbarn?", r"chef",
    r"quelqu un", r"mon (?:voisin|patron|mari|ex|copain)", r"ma (?:femme|voisine|copine)", r"voisin",
    r"mio (?:marito|vicino|capo|ex)", r"mia (?:moglie|vicina|ragazza)", r"qualcuno", r"vicino",
    r"alguem", r"meu (?:vizinho|chefe|marido|namorado|ex)", r"minha (?:esposa|mulher|namorada|vizinha)", r"vizinho",
)  # fmt: skip
_OTHER_PERSONS = _words(
    r"someone\w*", r"somebody\w*", r"another person\w*", r"other people\w*", r"my (?:ex|wife|husband|girlfriend|"
    r"boyfriend|partner|boss|neighbou?r|sister|brother)\w*( s)?", r"his", r"her", r"their",
    r"de mi (?:pareja|novia|novio|ex|esposa|esposo|marido|jefe|vecino)", r"de otra persona", r"de alguien",
    r"mi (?:pareja|novia|novio|ex)",
    r"meiner \w+", r"meines \w+", r"von jemand\w*", r"ex freundin", r"ex freund", r"fremde\w*",
    r"de (?:mon|ma) \w+", r"de quelqu un", r"d une autre personne",
    r"di qualcun altro", r"di qualcuno", r"della mia \w+", r"del mio \w+",
    r"d[oa] (?:minha|meu) \w+", r"de alguem", r"da minha \w+",
)  # fmt: skip
_NAMED_PERSONS = _words(
    r"someone\w*", r"somebody\w*", r"another person\w*", r"my (?:ex|wife|husband|girlfriend|boyfriend|partner|"
    r"boss|neighbou?r|sister|brother)\w*", r"(?:her|him|them) without",
    r"(?:mi|de mi) (?:pareja|novia|novio|ex|esposa|esposo|marido)", r"alguien",
    r"meiner \w+", r"meines \w+", r"jemand\w*", r"ex freundin", r"ex freund",
    r"(?:de )?(?:mon|ma) (?:ex|femme|mari|copine|copain)", r"quelqu un",
    r"(?:della |del )?(?:mia|mio) (?:ragazza|ragazzo|moglie|marito|ex)", r"qualcuno",
    r"(?:da |do )?(?:minha|meu) (?:namorada|namorado|esposa|marido|mulher|ex)", r"alguem",
)  # fmt: skip
_HACK = _words(
    r"hack", r"hacking", r"break into", r"get into", r"crack",
    r"hackear", r"entrar en", r"acceder a", r"hacken", r"hacke", r"knacken", r"pirater", r"hackerare",
    r"violare", r"invadir", r"entrar na",
)  # fmt: skip
_SPY = _words(
    r"track", r"locate", r"spy on", r"follow", r"find out where", r"monitor", r"read (?:her|his|their) messages",
    r"spyware", r"stalkerware",
    r"espiar", r"rastrear", r"localizar", r"orten", r"ausspionieren", r"verfolgen", r"uberwachen", r"espionner",
    r"localiser", r"spiare", r"rintracciare", r"localizzare", r"espionar",
)  # fmt: skip
_KILL = _words(
    r"kill", r"murder", r"stab", r"matar", r"mato", r"toten", r"umbringen", r"ermorden", r"tuer",
    r"uccidere", r"ammazzare",
)  # fmt: skip
_THREAT = _words(
    r"threat\w*", r"amenaza\w*", r"droh\w*", r"menace\w*", r"menacant\w*", r"minacci\w*", r"ameaca\w*",
)  # fmt: skip
_WRITE = _words(
    r"write", r"draft", r"compose", r"create", r"make", r"send", r"escribe", r"redacta", r"crea", r"schreib\w*",
    r"verfasse", r"ecris", r"redige", r"scrivi", r"escreva", r"escreve", r"cria",
)  # fmt: skip
_POISON_VERB = _words(
    r"poison", r"envenenar\w*", r"vergiften", r"vergifte", r"empoisonner", r"avvelenare", r"avveleno",
)  # fmt: skip
_POISON_NOUN = _words(r"poison", r"veneno", r"gift", r"veleno")

HARM_RULES: dict[str, tuple[re.Pattern[str], ...]] = {
    "weapons": (
        _near(_MAKE, _WEAPON, both_orders=True),
        # German "stelle ... her" (make) splits around its object.
        re.compile(rf"\bstell\w*\b.{{0,45}}\b{_WEAPON}\b.{{0,20}}\bher\b|\banleitung\b.*\b{_WEAPON}\b"),
    ),
    "drugs": (_near(_MAKE, _DRUG, both_orders=True),),
    "poison": (
        _near(_POISON_VERB, _PERSON),
        _near(_words("untraceable", "undetectable", "indetectable", "introuvable"), _POISON_NOUN, both_orders=True),
        _near(_POISON_NOUN, rf"{_KILL}{_GAP}{_PERSON}"),
    ),
    "hacking": (_near(_HACK, _OTHER_PERSONS),),
    "stalking": (
        _near(_SPY, _NAMED_PERSONS, both_orders=True),
        _near(_words("install", "instalar", "installer"), r"spyware"),
    ),
    "threats": (_near(_WRITE, _THREAT), _near(_KILL, _PERSON)),
    "fraud": (
        _near(_WRITE, r"phishing\w*", both_orders=True),
        _near(_words("steal", "robar", "stehlen", "voler", "rubare", "roubar"),
              _words(r"credit cards?", r"card numbers", r"passwords?", r"identit\w*", r"contrasenas?", r"tarjetas?",
                     r"passwort\w*", r"kreditkart\w*", r"mots de passe", r"password", r"senhas?", r"cartoes")),
        _near(_words("scam", "defraud", "estafar", "betrugen", "arnaquer", "truffare", "enganar"), _PERSON),
    ),
}  # fmt: skip
"""Category -> patterns; any match is a request for serious harm."""

BENIGN_CONTEXTS = re.compile(
    r"\b(?:bath bombs?|seed bombs?|bomb shelters?|refugio antiaereo|luftschutz\w*|abri anti ?atomique|"
    r"rifugio antiaereo|abrigo antiaereo|photo ?bomb\w*|bomba de bano|bombas de bano|badebomben?|bombe de bain|"
    r"bomba da bagno|bomba de banho|history|historically|historia|geschichte|histoire|storia|how did|"
    r"recogni[sz]e|spot|detect|avoid|identify|protect|reconozco|reconocer|evitar|erkenne|erkennen|schutze|"
    r"reconnaitre|eviter|riconoscere|proteggo|reconhecer|remove|my own)\b"
)
"""A request naming one of these is about history, protection or a harmless thing of the same name."""

SELF_HARM = re.compile(
    r"\b(?:kill(?:ing)? (?:myself|yourself|oneself)|end(?:ing)? my (?:own )?life|take my (?:own )?life|"
    r"suicid(?:e|al)(?! squad)|hurt(?:ing)? myself|harm(?:ing)? myself|cut(?:ting)? myself|want to die|wanna die|"
    r"(?:don t|do not) want to (?:live|be alive)|painless way to die|"
    r"suicidarme|suicidio|quitarme la vida|matarme|quiero morir(?:me)?|no quiero vivir|hacerme dano|cortarme|"
    r"mich (?:umbringen|toten|ritzen)|selbstmord|suizid\w*|mir das leben (?:zu )?nehmen|nicht mehr leben|"
    r"will sterben|mir wehtun|"
    r"me suicider|me tuer|mettre fin a mes jours|envie de mourir|veux mourir|me faire du mal|"
    r"suicidarmi|uccidermi|ammazzarmi|togliermi la vita|voglio morire|farmi del male|"
    r"me matar|suicidar\w*|tirar a? ?minha (?:propria )?vida|quero morrer|me machucar|nao quero mais viver)\b"
)
"""First-person talk of suicide or self-harm: answered with support, never a method."""

# The model's own words: a harmful term next to an instruction is where a reply is cut.
OUTPUT_TERMS = re.compile(
    r"\b(?:pipe bombs?|explosive device|gunpowder|black powder|detonators?|shrapnel|ammonium nitrate|"
    r"potassium (?:nitrate|chlorate)|acetone peroxide|tatp|thermite|napalm|molotov\w*|end caps?|"
    r"polvora|schwarzpulver|poudre noire|polvere da sparo|"
    r"pseudoephedrine|red phosphorus|anhydrous ammonia|methylamine|lithium strips|meth lab|"
    r"lethal dose|overdose on|hang yourself|cut your wrists|slit your wrists|"
    r"cyanide|ricin|arsenic|thallium|antifreeze|rat poison|undetectable poison|"
    r"keylogger|spyware|brute.?force|phishing (?:email|page|site)|verify your account|"
    r"dosis letal|dose letale|dose letal|letale dosis|dose mortelle)\b"
)
OUTPUT_INSTRUCTIONS = re.compile(
    r"(?:^\s*\d+[.)]|\b(?:step|steps|you will need|you ll need|you need|gather|mix|combine|fill|pack|attach|"
    r"connect|insert|ignite|light the|heat|dissolve|pour|seal|drill|follow these|here s how|here is how|"
    r"first|then|next|take|install|send|add|put it|into (?:his|her|their) (?:food|drink)|"
    r"paso|pasos|necesitas|mezcla|llena|schritt|mische|etape|melange|passo|mescola|passo a passo|misture)\b)"
)

# The model's reply in the second person, read as the user's request ("your ex" -> "my ex").
FIRST_PERSON = {
    "you": "i", "your": "my", "yours": "mine", "yourself": "myself", "tu": "mi", "tus": "mis", "te": "me",
    "deine": "meine", "deinen": "meinen", "deiner": "meiner", "deines": "meines", "dein": "mein", "dich": "mich",
    "ton": "mon", "ta": "ma", "tes": "mes", "toi": "moi", "tuo": "mio", "tua": "mia", "tuoi": "miei",
    "teu": "meu", "seu": "meu", "sua": "minha", "tuas": "minhas",
}  # fmt: skip
SECOND_PERSON = re.compile(r"\b(?:" + "|".join(FIRST_PERSON) + r")\b")
SELF_HARM_METHOD = re.compile(
    r"\b(?:painless|quickest|easiest|best|fastest) (?:way|method)\b|\bis (?:through|by)\b|\bcombination of\b|"
    r"\b(?:overdose|pills|hanging|jump from|rope|razor)\b"
)
"""A reply about suicide that goes on to a method, not to help."""
