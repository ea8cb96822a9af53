"""The safety policy's words that are not requests for harm, in en, es, de, fr, it and pt.

Benign contexts (history, protection, harmless things named after a bomb, the speaker checking
whether they are the one being tracked) and the words of a model's reply where the output check
cuts it (first-person talk of suicide or self-harm is `policy_selfharm`). Matched, like `policy_rules`, against text
normalised by `voiceslm.intents.normalize`.
"""

from __future__ import annotations

import re

_VICTIM_CHECK = (
    r"\b(?:tell|know|check|find out|see|sure|notice|saber|se|sabre|comprobar|merke\w*|erkenne\w*|feststellen|savoir|"
    r"verifier|capire|sapere|verificare|verificar)\b (?:if|whether|si|ob|se)\b (?:(?:someone|somebody|anyone|alguien|"
    r"jemand|quelqu un|qualcuno|alguem)\b (?:\w+ ){0,3}(?:(?:is|s|has been|was) (?:\w+ )?(?:tracking|spying|hacking|"
    r"reading|watching|following|monitoring|stalking|listening)|(?:me )?(?:esta|ha) (?:\w+ )?(?:rastreando|espiando|"
    r"hackeado|siguiendo|vigilando|leyendo)|(?:mich|mein\w*) (?:\w+ )?(?:ortet|ausspioniert|uberwacht|verfolgt|"
    r"gehackt|liest)|(?:me|m) (?:\w+ )?(?:traque|espionne|surveille|suit)|(?:mi )?(?:sta )?(?:spiando|tracciando|"
    r"seguendo|controllando)|(?:me )?(?:esta )?(?:rastreando|espionando|seguindo|monitorando))|(?:my|mi|mein\w*|mon|"
    r"ma|mio|mia|meu|minha) (?:\w+ )?(?:is|was|has been|esta|wird|est|e) (?:being )?(?:tracked|hacked|monitored|"
    r"rastreado|hackeado|gehackt|geortet|pirate|hackerato|spiato))"
)
"""The speaker checking whether they are the one being tracked or hacked: "how can I tell if someone is
tracking my phone", "cómo sé si alguien me está rastreando"."""

_PLANTED_ON_ME = (
    r"\b(?:someone|somebody|he|she|they|my (?:ex|husband|wife|boyfriend|girlfriend|partner)) (?:\w+ ){0,2}"
    r"(?:put|planted|hid|installed|left|stuck) (?:a |an |some )?(?:tracker|airtag|gps|spyware|stalkerware|camera|"
    r"keylogger|bug|one)\w* (?:\w+ ){0,4}(?:on|in|under) my\b|"
    r"\balguien me (?:ha |habra )?(?:metido|puesto|instalado|escondido) (?:una? )?(?:aplicacion espia|app espia|"
    r"rastreador|localizador|gps|airtag|programa espia)"
)
"""Something planted on the speaker: "someone put an airtag in my bag, how do I get it out", "alguien me ha
metido una aplicación espía"."""
_FOUND_DANGER = (
    r"\b(?:found|(?:if|when) (?:i|we|you) find|came across|dug up|encontre|encontramos|encuentro|encuentras?|gefunden|"
    r"trouves?|trouve|trovato|trovata|se trovo|se trovi|achei|encontrei|encontrar|encontro) "
    r"(?:an?|some|this|these|the|una?|eine?n?|des|une?|um|uma)? ?(?:old|rusty|unexploded|live|vieja|alte|vieille|"
    r"vecchia|velha)? ?(?:grenade|granada|granate|granata|artillery shell|landmine|ammunition|munition|municion|"
    r"munizioni|municao|unexploded \w+|ordign\w*(?: bellic\w*| della guerra)?|bomba (?:vecchia|vieja|velha)|"
    r"old bomb|war bomb|blindganger|obus|bombe (?:de la guerre|ancienne)|fliegerbombe|ordnance)\b"
)
"""A dangerous thing the speaker came across: "we found an old grenade in grandpa's shed, what do we do"."""

KILL_ME_IDIOM = re.compile(
    r"\b(?:(?:ll|hell|shell|theyll|will|would|going to|gonna) (?:literally |actually |totally |so )?(?:kill|murder) me|"
    r"me (?:va|van) a matar|me mataran?|(?:vai|vao) me matar|(?:va|vont) me tuer|me tuera|mi (?:ammazza|uccide)\w*|"
    r"bringt mich um|(?:wird|werden) mich umbringen)\b"
)
"""Someone else "will kill me" for being late: an idiom, neither a threat nor self-harm."""
HARMLESS_NAMES = re.compile(
    r"\b(?:bath bombs?|seed bombs?|bomb shelters?|refugio antiaereo|luftschutz\w*|abri anti ?atomique|"
    r"rifugio antiaereo|abrigo antiaereo|photo ?bomb\w*|bomba de bano|bombas de bano|badebomben?|bombe de bain|"
    r"bomba da bagno|bomba de banho|"
    # Harmless things named after a bomb or a poison: "chocolate bombs", "bombas de chocolate", "bomb-proof".
    r"(?:chocolate|cocoa|cream|glitter|calorie|flavou?r|water|confetti|cheese|stink|smoke|fizz\w*) bombs?|"
    r"bomb\w*(?: \w+)? (?:de |di |da |alla |alle |al |a la |au |aux )?(?:chocolate|glacee|fumee|"
    r"chocolat|cioccolato|crema|creme|nata|"
    r"sementes|semillas|semi|graines|samen|calorias|calorie|calories|sabor|flores|fleurs|fiori|humo|fumaca|agua|"
    r"acqua|eau|proof|shelter)|bombproof|poison (?:ivy|oak|control)|food poisoning|"
    r"(?:water|squirt|nerf|toy|glue|bubble|foam|cap|spud|potato|rubber band) guns?|"
    # Praise: "this hot sauce is literally the bomb".
    r"(?:is|s|are|was|were) (?:literally |totally |just |so |actually )?(?:the|da) bomb(?= what| and| so| lol|$))\b"
)
"""Harmless things named after a bomb or a poison. A request naming one is answered unless the rest of it,
with the name taken out, still asks for harm ("make a pipe bomb look like a bath bomb")."""

PROTECTIVE = re.compile(
    r"\b(?:recogni[sz]e|spot|detect|avoid|identify|protect|reconozco|reconocer|evitar|erkenne|erkennen|schutze|"
    r"reconnaitre|eviter|riconoscere|proteggo|reconhecer|remove|my own|check (?:if|whether) someone)\b"
)
"""Protection: "how do I spot a phishing mail", "how do I protect my own account". It excuses a request only
when it comes before what the rules match: "make a pipe bomb and avoid getting caught" is no protection."""

BENIGN_CONTEXTS = re.compile(
    r"\b(?:history|historically|historia|geschichte|histoire|storia|how did|"
    # A game's world: "how do I make TNT in Minecraft".
    r"(?:in|en|no|na|nel|bei|dans) (?:minecraft|roblox|fortnite|terraria|skyrim|fallout|zelda|gta(?: \w+)?))\b|"
    + _VICTIM_CHECK
    + "|"
    + _PLANTED_ON_ME
    + "|"
    + _FOUND_DANGER
)
"""A request naming one of these is about history, a game, or the speaker protecting themselves: the rules
stay silent, the learned layers still read it."""

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
    r"(?:^\s*\d+[.)]|\b(?:step|steps|you will need|you ll need|you need|gather\w*|start by|mix|combine|fill|pack|"
    r"attach|"
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
