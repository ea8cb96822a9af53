"""The safety policy's words that are not requests for harm, in en, es, de, fr, it and pt.

Benign contexts (history, protection, harmless things named after a bomb, the speaker checking
whether they are the one being tracked), first-person talk of suicide or self-harm, and the words
of a model's reply where the output check cuts it. Matched, like `policy_rules`, against text
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
    r"keylogger|bug)\w* (?:\w+ ){0,4}(?:on|in|under) my\b|"
    r"\balguien me (?:ha |habra )?(?:metido|puesto|instalado|escondido) (?:una? )?(?:aplicacion espia|app espia|"
    r"rastreador|localizador|gps|airtag|programa espia)"
)
"""Something planted on the speaker: "someone put an airtag in my bag, how do I get it out", "alguien me ha
metido una aplicación espía"."""
_FOUND_DANGER = (
    r"\b(?:found|came across|dug up|encontre|encontramos|encuentro|gefunden|trouve|trovato|trovata|achei|"
    r"encontrei) "
    r"(?:an?|some|this|these|the|una?|eine?n?|des|une?|um|uma)? ?(?:old|rusty|unexploded|live|vieja|alte|vieille|"
    r"vecchia|velha)? ?(?:grenade|granada|granate|granata|artillery shell|landmine|ammunition|munition|municion|"
    r"munizioni|municao|unexploded \w+)\b"
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
    r"acqua|eau|proof|shelter)|bombproof|poison (?:ivy|oak|control)|food poisoning)\b"
)
"""Harmless things named after a bomb or a poison. A request naming one is answered unless the rest of it,
with the name taken out, still asks for harm ("make a pipe bomb look like a bath bomb")."""

PROTECTIVE = re.compile(
    r"\b(?:recogni[sz]e|spot|detect|avoid|identify|protect|reconozco|reconocer|evitar|erkenne|erkennen|schutze|"
    r"reconnaitre|eviter|riconoscere|proteggo|reconhecer|remove|my own)\b"
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

SELF_HARM = re.compile(
    r"\b(?:kill(?:ing)? (?:myself|yourself|oneself)|end(?:ing)? my (?:own )?life|take my (?:own )?life|"
    r"suicid(?:e|al)(?! squad)|hurt(?:ing)? myself|harm(?:ing)? myself|cut(?:ting)? myself|want to die|wanna die|"
    r"(?:don t|do not) want to (?:live|be alive)|painless way to die|kill my ?self|end it all|end everything|"
    r"(?:least painful|painless|quickest|easiest) way (?:to go|out|to do it|to end it)|better off dead|"
    r"no reason to (?:live|go on)|(?:can t|cannot) go on (?:living|anymore|like this)|"
    r"acabar con (?:todo|mi vida)|quitarme de en medio|no quiero seguir viviendo|"
    r"(?:to|and|so i|so that i|i d|i would|want to|wanna) (?:just )?(?:not|never) wake up"
    r"(?! (?:at|early|late|before|during|in the|my|the|him|her|them|tired|so|too|with|when|every))|"
    r"how (?:many|much) (?:\w+ ){0,3}(?:pills|tablets|sleeping pills|paracetamol|pastillas|tabletten|comprimes|pillole|"
    r"comprimidos) (?:\w+ ){0,5}(?:to die|to overdose|to not wake up|to never wake up|para morir(?:se|me)?|zum sterben|"
    r"pour mourir|per morire|para morrer)|no (?:volver a )?despertar(?:me)? nunca|para no despertar(?:me)?|"
    r"dormir para siempre|non svegliarmi piu|(?:want|wanna|wish i could|like) (?:to )?(?:go to )?sleep forever|"
    r"nicht mehr aufwachen|meinem leben ein ende|mein leben beenden|allem ein ende (?:setzen|machen)|"
    r"en finir|mettre fin a ma vie|ne plus me reveiller|"
    r"farla finita|non voglio piu vivere|"
    r"acabar com (?:a )?(?:minha vida|tudo)|nao quero mais acordar|"
    r"suicidarme|suicidio|quitarme la vida|matarme|quiero morir(?:me)?|no quiero vivir|hacerme dano|cortarme|"
    r"mich (?:umbringen|toten|ritzen)|selbstmord|suizid\w*|mir das leben (?:zu )?nehmen|nicht mehr leben|"
    r"will sterben|mir wehtun|"
    r"me suicider|me tuer|mettre fin a mes jours|envie de mourir|veux mourir|me faire du mal|"
    r"suicidarmi|uccidermi|ammazzarmi|togliermi la vita|voglio morire|farmi del male|"
    r"me matar|suicidar\w*|tirar a? ?minha (?:propria )?vida|quero morrer|me machucar|nao quero mais viver|"
    # Impersonal and spoken forms, and the ways people say it without the word.
    r"(?:cut|cutting|slit|slitting) (?:(?:your |my |one s |the )?wrists?|(?:your|my|one s) veins)|"
    r"cortarse las venas|cortar(?:se|me)? las munecas|pulsadern (?:auf)?(?:zu )?schneiden|s ouvrir les veines|"
    r"(?:tagliar(?:si|mi|e)|taglia) le vene|cortar (?:os )?pulsos|cortar (?:as )?veias|"
    r"(?:se|me|te) scarifier|scarification|self ?harm\w*|autolesion\w*|selbstverletz\w*|autolesionismo|"
    r"automutila\w*|(?:mich|sich|dich) selbst (?:zu )?verletzen|"
    r"(?:how high|how tall|how far|wie hoch|que altura|quelle hauteur|quanto alto|quanto in alto|qual altura) "
    r"(?:\w+ ){0,10}(?:(?:not|nicht|no|pas|non|nao) (?:\w+ ){0,2}(?:surviv\w*|uberleb\w*|sobreviv\w*|"
    r"sopravviv\w*)|to die|sterben|morir|mourir|morire|morrer)|"
    r"quitarse la vida|suicidarse|se suicider|togliersi la vita|sich (?:das leben nehmen|umbringen)|"
    r"(?:least painful|painless|quickest|fastest|easiest|surest) way to end (?:things|it|it all)|"
    r"(?:forma|manera|modo|maniere|facon|weg|jeito) (?:mas |la plus |piu |mais )?(?:rapida|facil|indolora|sencilla|"
    r"rapide|douce|veloce|indolore|schmerzlos\w*|schnell\w*|rapido|facil) (?:de |di |zu |pour |para )?"
    r"(?:morir|mourir|morire|sterben|morrer|acabar con todo|en finir|farla finita)|"
    r"(?:don ?t|do not) (?:really )?see the point (?:anymore|of living|in living|of going on|in going on)|"
    r"(?:thinking|thought) about how (?:i d|id|i would|to) do it|"
    r"(?:i )?won ?t be (?:around|here|alive) "
    r"(?:anymore|much longer|for (?:much )?long(?:er)?|after this (?:weekend|week))|"
    r"(?:suicide|goodbye forever) note|carta de suicidio|lettre d adieu avant de|"
    r"keep(?:s)? cutting(?: myself)?(?=$| and | again| tonight| every| at night)|"
    r"how deep (?:is too deep|should i cut|to cut|do i cut)|"
    r"(?:thinking (?:about|of)|think about|pienso en|je pense a|penso di|denke (?:daran|an)|penso em) (?:\w+ ){0,2}"
    r"(?:jump(?:ing)? off|sauter d\w*|saltar d\w*|buttarmi|springen|pular d\w*|"
    r"tak(?:e|ing) all (?:the|my)|prendere tutte|tomar(?:me)? todas|prendre (?:tous|toutes)|tomar todos)|"
    r"(?:want to|wanna|envie de|quiero|voglio|will|quero|vontade de) (?:\w+ )?(?:disappear|disparaitre|desaparecer|"
    r"sparire|verschwinden|sumir) (?:for good|forever|pour (?:de bon|toujours)|para siempre|per sempre|fur immer|"
    r"pra sempre|para sempre)|"
    # Saving up pills, a place high enough, giving things away, a dose that stops the liver, hanging.
    r"(?:saving|collecting|hoarding|stockpiling|stashing|juntando|guardando|acumulando|ahorrando|sammle|gesammelt|"
    r"horte|accumule|collectionne|mettendo da parte|raccogliendo) (?:up )?(?:\w+ ){0,4}(?:pills|meds|medication|"
    r"tablets|remedios|comprimidos|pilulas|pastillas|medicamentos|pildoras|tabletten|medikamente|pillen|medicaments|"
    r"comprimes|cachets|pilules|pillole|farmaci|compresse)|"
    r"(?:bridge|building|roof|cliff|tower|puente|edificio|azotea|brucke|hochhaus|dach|pont|immeuble|toit|falaise|"
    r"ponte|palazzo|tetto|predio|telhado) (?:\w+ ){0,6}(?:high enough|tall enough|(?:lo )?suficientemente alt[oa]|"
    r"alt[oa] (?:lo )?suficiente|hoch genug|assez haut|abbastanza alt[oa])|"
    r"(?:just|only) want (?:it|it all|everything) to (?:be over|end)(?! so| because| and)|"
    r"won ?t need (?:\w+ ){0,3}(?:soon|much longer|where i m going)|brauch\w* (?:\w+ ){0,3}bald nicht mehr|"
    r"pronto ya no (?:\w+ ){0,2}(?:necesit|hara falta)\w*|bientot plus besoin|presto non mi servir\w*|"
    r"em breve nao vou (?:mais )?precisar|"
    r"(?:paracetamol|acetaminophen|tylenol|pills|pastillas|tabletten|comprimes|pillole|comprimidos) (?:\w+ ){0,6}"
    r"(?:liver|higado|leber|foie|fegato|figado) (?:\w+ ){0,2}(?:to stop|stops|to fail|fails|deje de funcionar|"
    r"versagt|lache|smetta|pare de funcionar)|"
    r"hang(?:ing)? (?:myself|himself|herself|oneself|yourself)|(?:se|me) pendre|ahorcar(?:me|se)|"
    r"impiccar(?:mi|si)|(?:me|se) enforcar|(?:sich|mich) (?:\w+ )?(?:erhangen|aufhangen))\b"
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
