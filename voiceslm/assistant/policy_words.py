"""The safety policy's word tables, in en, es, de, fr, it and pt: data that `policy_rules` builds its patterns of.

Each table is a regular-expression alternation matched against text normalised by
`voiceslm.intents.normalize` (lower case, no accents, punctuation as spaces), so "¿Cómo?" is "como" and
"ex's" is "ex s".
"""

from __future__ import annotations

GAP = r"\b.{0,45}?\b"

def words(*alternatives: str) -> str:
    return r"(?:" + "|".join(alternatives) + r")"


def all_of(*parts: str) -> str:
    """Every one of `parts`, in any order, anywhere in the text (lookaheads from its start)."""
    return "".join(rf"(?=.*\b(?:{part})\b)" for part in parts)

MAKE = words(
    r"make", r"makes", r"making", r"made", r"build\w*", r"built", r"assembl\w*", r"construct\w*", r"create",
    r"craft\w*", r"manufactur\w*", r"3d print\w*", r"print", r"mix", r"cook\w*", r"synthe\w*", r"produc\w*",
    r"brew\w*", r"extract\w*", r"refin\w*", r"purif\w*", r"recipe", r"formula",
    r"extra(?:er|igo|e|en|ir|ire|io)", r"extrahier\w*", r"estra(?:rre|ggo|e)", r"ricav\w*",
    r"hago", r"hacer", r"haces", r"hace", r"fabri\w*", r"constru\w*", r"armar", r"prepar\w*", r"crear", r"elabor\w*",
    r"cocin\w*", r"se cocina", r"sintetiz\w*", r"se hace", r"receta",
    r"baue", r"bauen", r"baut", r"baust", r"herstell\w*", r"bastel\w*", r"bastle", r"mache", r"machen", r"macht",
    r"koch\w*", r"rezept", r"anleitung",
    r"faire", r"fais", r"on fait", r"creer", r"cuisin\w*", r"recette", r"produi\w*",
    r"costrui\w*", r"fabbric\w*", r"fare", r"faccio", r"creare", r"produr\w*", r"cucin\w*", r"si fa", r"ricetta",
    r"fazer", r"faco", r"montar", r"criar", r"produz\w*", r"cozinh\w*", r"receita",
)  # fmt: skip
MADE_AFTER = words(
    r"koch\w*", r"herstell\w*", r"bau(?:e|en|t|st)?", r"basteln", r"synthetisier\w*", r"zusammenbau\w*",
    r"se (?:cocina|hace|fabrica|prepara|produce|sintetiza)", r"si (?:fa|produce|prepara|costruisce|fabbrica)",
    r"se (?:fait|fabrique|prepare)", r"se (?:faz|fabrica|prepara)",
    r"recipe", r"receta", r"rezept", r"recette", r"ricetta", r"receita", r"lab", r"synthesis", r"sintesis",
)  # fmt: skip
"""Words of making that come after what is made ("Crystal Meth ... kocht", "metanfetamina se cocina"); not
"make", which there makes something happen ("does meth make people aggressive")."""
WEAPON = words(
    r"pipe bombs?", r"bombs?", r"explosives?", r"explosive device", r"ied", r"napalm", r"molotov\w*", r"grenades?",
    r"detonators?", r"untraceable gun", r"ghost gun", r"silencer", r"thermite", r"dynamite", r"tnt", r"c4", r"semtex",
    r"nitroglycerine?", r"land ?mines?", r"car bombs?", r"dinamita", r"dynamit", r"nitroglicerina", r"ordign\w*",
    r"artefacto explosivo", r"engin explosif",
    r"bombas?", r"explosivos?", r"granadas?", r"detonador",
    r"\w*rohrbomben?", r"bomben?", r"\w*sprengstoff\w*", r"sprengsatz\w*", r"\w*sprengladung\w*",
    r"molotow\w*", r"granaten?",
    r"bombes?", r"explosifs?", r"detonateur",
    r"bombe", r"esplosiv[oi]", r"granata", r"detonatore",
)  # fmt: skip
AGENT = words(
    r"ricin\w*", r"ricina", r"rizin", r"sarin", r"vx", r"nerve (?:agent|gas)\w*", r"mustard gas", r"chlorine gas",
    r"anthrax", r"botulinum toxin", r"cyanide", r"cianuro", r"zyankali", r"cyanure", r"cianeto", r"abrin", r"nervengas",
    r"gas nervioso", r"gaz sarin", r"gas sarin", r"senfgas", r"carbunco", r"milzbrand",
)  # fmt: skip
DRUG = words(
    r"meth", r"methamphetamine?", r"crystal meth", r"heroin", r"cocaine", r"crack", r"fentanyl", r"lsd", r"mdma",
    r"ecstasy", r"ghb",
    r"metanfetamina", r"heroina", r"cocaina", r"fentanilo?", r"extasis", r"methamphetamin", r"kokain",
    r"methamphetamine", r"heroine", r"eroina", r"fentanil", r"kokain\w*",
    r"amphetamines?", r"anfetamina", r"amfetamina", r"ketamin\w*", r"dmt", r"mescalin\w*", r"hash(?:ish)? oil",
    r"olio di hashish", r"aceite de hach\w*", r"huile de hasch\w*", r"haschisch ?ol", r"oleo de haxixe",
    r"lanca perfume", r"poppers",
)  # fmt: skip
# Another adult by their relation to the speaker, in each language: "my coworkers", "mi suegra", "meiner
# Schwester", "ma femme", "della mia ex", "da minha namorada" (one word may sit between: "my best friend").
ADULT_RELATIONS = words(
    r"ex", r"ex (?:wife|husband|girlfriend|boyfriend|partner)", r"wife", r"husband", r"spouse", r"girlfriend",
    r"boyfriend", r"partner", r"fiance\w*", r"boss", r"manager", r"neighbou?rs?", r"co ?workers?", r"colleagues?",
    r"room ?mates?", r"flatmates?", r"housemates?", r"landlord", r"landlady", r"tenants?", r"friends?", r"sister",
    r"brother", r"mother", r"mom", r"mum", r"father", r"dad", r"mother in law", r"cousin", r"aunt", r"uncle",
    r"teacher", r"classmates?", r"crush", r"employees?", r"employer",
    r"pareja", r"novi[oa]", r"espos[oa]", r"marido", r"mujer", r"jef[ea]", r"vecin[oa]s?", r"companer[oa]s?",
    r"colegas?", r"amig[oa]s?", r"herman[oa]", r"madre", r"padre", r"suegr[oa]", r"cunad[oa]", r"prim[oa]",
    r"frau", r"mann", r"freundin", r"freund(?:es)?", r"partnerin", r"chef(?:in)?", r"nachbar\w*", r"kolleg\w*",
    r"schwester", r"bruders?", r"mutter", r"vaters?", r"schwieger\w+", r"mitbewohner\w*", r"lehrer\w*",
    r"femme", r"mari", r"copine", r"copain", r"compagne", r"compagnon", r"patron\w*", r"voisin\w*", r"collegues?",
    r"amie?s?", r"soeur", r"frere", r"mere", r"pere", r"belle mere", r"colocataire",
    r"moglie", r"ragazz[oa]", r"fidanzat[oa]", r"capo", r"vicin[oa]", r"colleg[ah]i?", r"amic[oa]", r"sorella",
    r"fratello", r"suocer[oa]", r"coinquilin[oa]",
    r"namorad[oa]", r"chefe", r"vizinh[oa]", r"irma", r"irmao", r"mae", r"pai", r"sogr[oa]",
)  # fmt: skip
CHILDREN = words(
    r"sons?", r"daughters?", r"kids?", r"child(?:ren)?", r"baby", r"hij[oa]s?", r"sohn", r"tochter", r"kind(?:er)?",
    r"fils", r"fille", r"enfants?", r"figli[oa]?", r"bambin[oa]", r"filh[oa]s?", r"crianca",
)  # fmt: skip
POSSESSIVE = words(
    r"my", r"his", r"her", r"their", r"our",
    r"mi", r"mis", r"su", r"sus", r"a mi", r"de mi", r"a su", r"de su",
    r"mein\w*", r"sein\w*", r"ihre[mnrs]?",
    r"mon", r"ma", r"mes", r"son", r"sa", r"ses", r"de mon", r"de ma",
    r"mio", r"mia", r"miei", r"mie", r"suo", r"sua", r"della mia", r"del mio", r"alla mia", r"al mio",
    r"meu", r"minha", r"meus", r"minhas", r"seu", r"do meu", r"da minha", r"ao meu", r"a minha",
)  # fmt: skip
RELATIVE = rf"{POSSESSIVE} (?:\w+ )?{ADULT_RELATIONS}"
"""Another adult named by their relation to the speaker."""
ANY_RELATIVE = rf"{POSSESSIVE} (?:\w+ )?(?:{ADULT_RELATIONS}|{CHILDREN})"
PERSON = words(
    ANY_RELATIVE,
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
HUMAN = words(
    r"an? (?:(?:full )?grown |adult |grown up |young |old )?(?:man|woman|guy|adult|human(?: being)?)",
    r"un (?:hombre|adulto|ser humano)", r"una (?:mujer|persona)", r"(?:einen|eine) (?:menschen|mann|frau|person)",
    r"un (?:homme|adulte|etre humain)", r"une (?:femme|personne)", r"un (?:uomo|adulto|essere umano)",
    r"una donna", r"um (?:homem|adulto|ser humano)", r"uma (?:mulher|pessoa)",
)  # fmt: skip
"""Any grown person, unnamed: with poison, or in a request for how to kill."""
_SOMEONE_ELSE = (
    RELATIVE,
    rf"the {ADULT_RELATIONS} s",
    rf"(?:del|de la|de los|des|der|du|de l|della|dello|dei|do|da|dos|das) {ADULT_RELATIONS}",
    r"someone\w*", r"somebody\w*", r"another person\w*", r"other people\w*", r"de otra persona", r"de alguien",
    r"von jemand\w*", r"de quelqu un", r"d une autre personne", r"di qualcun altro", r"di qualcuno", r"de alguem",
)  # fmt: skip
OTHER_PERSONS = words(
    *_SOMEONE_ELSE,
    r"my (?:ex|wife|husband|girlfriend|boyfriend|partner|boss|neighbou?r|sister|brother)\w*( s)?",
    r"his", r"her", r"their",
    r"de mi (?:pareja|novia|novio|ex|esposa|esposo|marido|jefe|vecino)", r"mi (?:pareja|novia|novio|ex)",
    r"meiner \w+", r"meines \w+", r"ex freundin", r"ex freund", r"fremde\w*",
    r"de (?:mon|ma) \w+", r"della mia \w+", r"del mio \w+", r"d[oa] (?:minha|meu) \w+", r"da minha \w+",
)  # fmt: skip
OWNER = words(*_SOMEONE_ELSE, r"de outra pessoa")
"""Someone else, whose password it is: "my sister's", "meiner Schwester", "de mi jefe" (not "her", which a
helper resetting a parent's password says too, nor "meiner Fritzbox")."""
NAMED_PERSONS = words(
    RELATIVE,
    r"someone\w*", r"somebody\w*", r"another person\w*", r"my (?:ex|wife|husband|girlfriend|boyfriend|partner|"
    r"boss|neighbou?r|sister|brother)\w*", r"(?:her|him|them) without",
    r"(?:mi|de mi) (?:pareja|novia|novio|ex|esposa|esposo|marido)", r"alguien",
    r"meiner \w+", r"meines \w+", r"jemand\w*", r"ex freundin", r"ex freund",
    r"(?:de )?(?:mon|ma) (?:ex|femme|mari|copine|copain)", r"quelqu un",
    r"(?:della |del )?(?:mia|mio) (?:ragazza|ragazzo|moglie|marito|ex)", r"qualcuno",
    r"(?:da |do )?(?:minha|meu) (?:namorada|namorado|esposa|marido|mulher|ex)", r"alguem",
)  # fmt: skip
KILL = words(
    r"kill", r"murder", r"stab", r"matar", r"mato", r"toten", r"umbringen", r"ermorden", r"tuer",
    r"uccidere", r"ammazzare",
)  # fmt: skip
THREAT = words(
    r"threat\w*", r"amenaza\w*", r"droh\w*", r"menace\w*", r"menacant\w*", r"minacci\w*", r"ameaca\w*",
)  # fmt: skip
WRITE = words(
    r"write", r"draft", r"compose", r"create", r"make", r"send", r"give me", r"scripts?", r"template", r"generate",
    r"escribe", r"escribir", r"redacta", r"crea", r"hazme", r"dame", r"schreib\w*", r"verfasse", r"erstell\w*",
    r"formulier\w*", r"formule", r"formuler",
    r"ecris", r"ecrire", r"redige", r"donne moi", r"scrivi", r"scrivere", r"dammi", r"escreva", r"escreve",
    r"escrever", r"cria", r"me de", r"me da",
    r"escribe(?:me|le|les)", r"redacta(?:me|le)", r"prepara(?:me|le)", r"manda(?:me|le)", r"envia(?:me|le)",
    r"scrivimi", r"scrivigli", r"scrivile", r"preparami", r"fammi", r"mandami", r"inviami", r"help me (?:write|draft)",
    r"help me record", r"me ajuda a gravar", r"ayudame a grabar", r"aiutami a registrare", r"aide moi a enregistrer",
)  # fmt: skip
VIOLENT_INTENT = words(
    r"(?:i|we) (?:will|ll|am going to|m going to|re going to|gonna|shall) (?:\w+ )?(?:kill|hurt|burn|beat|shoot|stab|"
    r"break|smash|destroy|ruin|find (?:you|him|her|them)|make (?:you|him|her|them) pay)(?! it\b)",
    r"(?:voy|vamos) a (?:\w+ )?(?:matar\w*|quemar\w*|pegar\w*|hacer\w* dano|romper\w*|destrozar\w*)",
    r"werde (?:\w+ )?(?:umbringen|toten|verprugeln|abstechen|anzunden|fertigmachen)",
    r"je vais (?:\w+ )?(?:tuer|bruler|frapper|defoncer|buter)",
    r"(?:uccidero|ammazzero|brucero|faro del male|ti spacco)",
    r"vou (?:\w+ )?(?:matar|queimar|bater|acabar com)",
    r"(?:vou|vamos) (?:\w+ )?fazer (?:ele|ela|voce|vc|eles) (?:sumir|desaparecer|pagar)",
    r"(?:voy|vamos) a (?:\w+ )?hacer(?:lo|la|te|los) (?:desaparecer|pagar)",
    r"(?:i|we) (?:will|ll|am going to|m going to|gonna) make (?:you|him|her|them) disappear",
    r"je vais (?:te|le|la|les) faire disparaitre", r"(?:ti|lo|la) faro sparire",
    r"(?:werde|werden) (?:dich|ihn|sie) verschwinden lassen",
)  # fmt: skip
"""A writer's promise of violence: in a message someone asks to have written, a threat."""
SCARE = words(
    r"scares?", r"frighten\w*", r"terrif(?:y|ies)", r"intimidat\w*", r"asust\w*", r"meter(?:le)? miedo", r"intimid\w*",
    r"einschuchter\w*", r"einzuschuchtern", r"angst (?:zu )?(?:machen|einjagen)", r"faire peur", r"effray\w*",
    r"terroris\w*", r"spaventa\w*", r"terrorizza\w*", r"assust\w*", r"aterroriz\w*",
)  # fmt: skip
"""Frightening a person: in a message someone asks to have written, a threat."""
FAKE = words(
    r"fake", r"spoof\w*", r"pretend\w* to be", r"posing as", r"pose as", r"impersonat\w*",
    r"trick\w* (?:\w+ )?(?:people|someone|them|users|him|her|customers|clients|victims) into",
    r"falso", r"falsa", r"haciendo\w* pasar por", r"hacerme pasar por", r"fingiendo ser",
    r"gefalscht\w*", r"falsch\w*", r"sich als", r"mich als",
    r"faux", r"fausse", r"se faisant passer pour", r"me faire passer pour",
    r"finto", r"finta", r"spacciandomi per", r"spacciandosi per", r"fingendo di essere",
    r"fingindo ser", r"se passando por", r"passar por",
)  # fmt: skip
LOOT = words(
    r"log ?in\w*", r"credentials?", r"passwords?", r"bank details", r"card (?:numbers|details)", r"credit cards?",
    r"pins?", r"money", r"gift cards?", r"social security",
    r"claves", r"contrasenas?", r"datos bancarios", r"tarjetas?", r"dinero",
    r"passwort\w*", r"zugangsdaten", r"kontodaten", r"kreditkart\w*", r"geld",
    r"mots de passe", r"identifiants", r"cartes? bancaires?", r"numeros de carte", r"coordonnees bancaires", r"argent",
    r"credenziali", r"dati bancari", r"carta di credito", r"soldi",
    r"senhas?", r"dados bancarios", r"cartao\w*", r"cartoes", r"dinheiro",
    r"(?:access|verification|security|one time|login|sms|2fa) codes?", r"otp", r"tan",
    r"codigos? (?:de )?(?:acceso|acesso|verificacion|verificacao|seguridad|seguranca|sms)",
    r"(?:bestatigungs|sicherheits|zugangs|sms) ?codes?", r"codes? (?:d acces|de verification|de securite|sms)",
    r"codic[ei] (?:di )?(?:accesso|verifica|sicurezza)",
)  # fmt: skip
"""What a fraudster is after: logins, card numbers, money."""
BANK_CARD = words(
    r"(?:credit|debit|bank|atm) cards?", r"tarjetas?(?: de (?:credito|debito)| bancarias?)?", r"kreditkart\w*",
    r"ec karten?", r"bankkart\w*", r"cartes? (?:bancaires?|de credit|bleues?)", r"cart[ae] di credito", r"bancomat",
    r"cartao de (?:credito|debito)", r"cartoes de (?:credito|debito)",
)  # fmt: skip
"""Payment cards, not a SIM or memory card."""
POISON_VERB = words(
    r"poison", r"envenenar\w*", r"vergiften", r"vergifte", r"empoisonner", r"avvelenare", r"avveleno",
)  # fmt: skip
POISON_NOUN = words(
    r"poison\w*", r"toxins?", r"venenos?", r"veleno", r"poisons?",
    r"(?:welches|das|ein|einem|kein|mit|genug|etwas) gift",
)  # fmt: skip
POISONS = words(
    r"arsenic", r"arsenico", r"arsen", r"arsenio", r"strychnin\w*", r"estricnina", r"stricnina", r"thallium", r"talio",
    r"antifreeze", r"anticongelante", r"frostschutz\w*", r"antigel", r"antigelo", r"matarratas", r"raticida",
    r"rattengift", r"mort aux rats", r"veleno per topi", r"veneno de rato", r"mata ratos",
)  # fmt: skip
"""Poisons by name, which a household or a history book also names: harmful with a person to kill, a victim's
drink, or no trace."""
SLIP = words(
    r"slip", r"put", r"add", r"sneak", r"mix", r"spike", r"lace", r"drop", r"give",
    r"echar\w*", r"poner\w*", r"meter\w*", r"anadir\w*", r"dar\w*",
    r"tun", r"geben", r"mischen", r"schutten", r"untermischen",
    r"mettre", r"verser", r"glisser", r"donner",
    r"mettere", r"versare", r"aggiungere", r"dare",
    r"colocar", r"por", r"botar", r"misturar",
)  # fmt: skip
FOOD = words(
    r"food", r"drinks?", r"coffee", r"tea", r"glass", r"meals?", r"soup", r"wine", r"beer", r"water",
    r"comida", r"bebida", r"cafe", r"vaso", r"sopa", r"vino", r"agua",
    r"kaffee", r"tee", r"essen", r"getrank\w*", r"glas", r"suppe", r"wein",
    r"verre", r"boisson", r"repas", r"nourriture", r"soupe",
    r"cibo", r"caffe", r"bicchiere", r"bevanda", r"minestra", r"acqua",
    r"copo", r"refeicao",
)  # fmt: skip
UNSEEN = words(
    r"without (?:it|anyone|them|him|her) (?:showing up|noticing|knowing|finding out)", r"undetect\w*", r"untraceable",
    r"sin que se (?:note|entere|den cuenta)", r"sin dejar rastro", r"indetectable",
    r"unbemerkt", r"ohne (?:dass es jemand merkt|spuren)", r"unauffallig",
    r"sans (?:que (?:ca|cela) se voie|laisser de traces?)", r"indetectable", r"introuvable",
    r"senza (?:che (?:si noti|se ne accorga)|lasciare tracce)", r"non rilevabile",
    r"sem (?:deixar rastros?|que (?:ninguem|ele|ela) perceba)", r"indetectavel",
    # "without the other one tasting it", "ohne dass der andere es schmeckt".
    r"without (?:\w+ ){0,3}(?:tasting|noticing|knowing)", r"ohne dass (?:\w+ ){0,3}(?:schmeckt|merkt|bemerkt)",
    r"sin que (?:\w+ ){0,3}(?:note|sepa|saboree|se de cuenta)", r"sans qu (?:\w+ ){0,3}(?:remarque|sente|goute)",
    r"senza che (?:\w+ ){0,3}(?:senta|noti|sappia)", r"sem que (?:\w+ ){0,3}(?:sinta|note|saiba)",
)  # fmt: skip
SICKEN = words(
    r"to make (?:him|her|them|someone|somebody|(?:my|his|her) \w+(?: \w+)?) (?:really |so |very )?(?:sick|ill)",
    r"para que (?:\w+ ){0,4}(?:malo|mala|enferm\w*)", r"para enfermar(?:lo|la|le)",
    r"damit (?:\w+ ){0,4}krank", r"(?:macht|machen) (?:ihn|sie|jemanden) (?:\w+ ){0,2}krank",
    r"(?:pour|afin) qu (?:\w+ ){0,3}malade", r"(?:le|la|les) rendre malade",
    r"per far(?:lo|la|li|le)? (?:\w+ ){0,2}(?:stare male|ammalare)",
    r"(?:pra|para) (?:que )?(?:ele|ela) (?:\w+ ){0,2}(?:passar mal|ficar doente)",
)  # fmt: skip
"""Making another person ill on purpose: "what could I put in it so he is sick for a week"."""
PESTS = (
    r"(?! (?:the |my |our |those |these |some )?(?:rats?|mice|mouse|moles?|slugs?|snails?|ants?|\w*roach\w*|weeds?|"
    r"wasps?|termites?|pests?|gophers?|ratas|ratones|ratten|mause|souris|ratti|topi|ratos))"
)
"""Not a person poisoned: the rats in the garage."""
STOLEN_CHEQUE = words(
    r"stolen (?:cheques?|checks?)", r"cheques? robados?", r"gestohlen\w* schecks?", r"cheques? voles?",
    r"assegn[oi] rubat[oi]", r"cheques? roubados?",
)  # fmt: skip
INSURED_EVENT = words(
    r"(?:fake|stage|staging|simulat\w*|simular|fingir|fingere|vortausch\w*|inszenier\w*|simuler|faux|falso|finto)"
    r" (?:\w+ ){0,2}(?:accident\w*|incident\w*|unfall\w*|einbruch\w*|burglary|theft|robo|furto|roubo|sinistre|"
    r"cambriolage|fire|incendi\w*|brand)",
    r"(?:unfall\w*|einbruch\w*|diebstahl\w*|brand) (?:\w+ ){0,2}(?:vortausch\w*|inszenier\w*|fingier\w*|simulier\w*)",
)  # fmt: skip
INSURANCE = words(r"insurance", r"insurer", r"seguro\w*", r"versicherung\w*", r"assurance\w*", r"assicura\w*",
                  r"seguradora", r"perito", r"expert")
JOKING_KILL = (
    r"(?:(?<!going to )(?<!gonna )(?<!i ll )(?<!ill )(?<!i will )(?<!je vais )(?<!voy a )(?<!vou )(?<!ti )(?<!lo )"
    r"|(?!.*\b(?:lol|haha\w*|hehe\w*|jaja\w*|mdr|ptdr|kkk\w*|xd|lmao)\b))"
)
"""Not "i'm going to kill my brother, he ate my leftovers haha": a threat announced with a laugh after it is a
joke (a question how to kill is not, laugh or not)."""

FIREARM = words(
    r"(?<!water )(?<!glue )(?<!nerf )(?<!toy )(?<!paper )(?<!squirt )(?<!spray )(?<!heat )(?<!staple )(?<!nail )"
    r"(?<!cap )(?<!lego )(?<!bubble )(?<!foam )(?<!caulk )(?<!caulking )(?<!massage )(?<!rubber band )"
    r"(?:guns?|hand ?guns?|pistols?|rifles?|shot ?guns?)(?! (?:safe|cabinet|rack|case|holder|cake|shaped|show))",
    r"firearms?", r"armas? (?:de fuego|casera)", r"escopeta", r"schusswaff\w*", r"gewehr\w*", r"armes? a feu",
    r"arm[ai] da fuoco", r"armas? de fogo", r"espingarda",
)  # fmt: skip
"""Firearms, not the toys, tools and cakes named after them."""
FULL_AUTO = words(r"full(?:y)? auto\w*", r"auto sear", r"machine guns?", r"automatica", r"vollautomat\w*", r"rafale")
THING = words(r"something|anything|stuff|a thing|things|algo|etwas|quelque chose|qualcosa|alguma coisa")
"""What a request leaves unnamed when it asks for "something that explodes"."""
EXPLODE = words(
    r"explod\w*|blows? up|go(?:es)? boom|detonat\w*|explot\w*|estall\w*|explodier\w*|exploser?|"
    r"explose|esplod\w*|explodir\w*"
)
EXPLODE_SOMETHING = words(
    r"blow\w* up|volar|hacer explotar|in die luft (?:jagen|sprengen)|sprengen|faire sauter|"
    r"faire exploser|far saltare|far esplodere|fazer explodir|explodir"
)
BUILDING = words(
    r"buildings?", r"cars?", r"houses?", r"schools?", r"bridges?", r"office", r"planes?", r"trains?", r"station",
    r"church\w*", r"mosques?", r"synagogues?", r"edificio", r"coche", r"casa", r"escuela", r"puente", r"gebaude",
    r"auto", r"haus", r"schule", r"brucke", r"batiment", r"voiture", r"maison", r"ecole", r"pont", r"macchina",
    r"scuola", r"ponte", r"predio", r"carro", r"escola",
)  # fmt: skip
"""What someone means to blow up (not "a balloon")."""
DRUG_SOURCE = (
    r"(?:from|out of|de|aus|des|dalle|dai|das|dos) (?:\w+ ){0,2}(?:coca leaves|hojas de coca|koka\w*|feuilles de coca|"
    r"foglie di coca|folhas de coca|poppies|poppy|amapolas?|mohn\w*|pavots?|papaver\w*|papoulas?|cold medicine|"
    r"pseudoephedrin\w*|pseudoefedrina|sudafed)"
)
"""Where a drug is got from: "cocaine from coca leaves", "sacar cocaína de las hojas de coca"."""
DRUG_COOK_PERSONA = words(r"breaking bad", r"heisenberg", r"walter white", r"jesse pinkman")
"""Fiction's drug cooks, whom a request asks the assistant to play."""
HASH = words(
    r"hash(?:ish)?(?! browns?)", r"haschisch", r"hachis", r"hachich", r"hasch", r"du shit", r"kief", r"bho", r"dabs",
    r"charas", r"haxixe",
)  # fmt: skip
CANNABIS = words(
    r"weed", r"cannabis", r"marijuana", r"marihuana", r"beuh", r"mota", r"gras", r"erba", r"maconha", r"ganja",
    r"cogollos",
)  # fmt: skip
"""Cannabis concentrates made from the plant: "make hash from weed with dry ice" (not hash browns, nor a
French hachis of herbs)."""
THREAT_TEXT = (
    r"(?:faz|faca|fazer|faz me|haz|hazme|hacer|fais|faire|fais moi|fai|fare|fammi|mach|machen|mach mir|make|make me)"
    r" (?:\w+ ){0,2}(?:texto|mensagem|carta|bilhete|text|mensaje|nachricht|brief|message|lettre|messaggio|lettera|note)"
)
"""Asking for a message to be made: "faz um texto bem ameaçador", "fais-moi un message"."""
KNOW_WHERE = words(
    r"(?:i|we) know (?:where|which school) (?:\w+ ){0,3}(?:lives?|parks?|works?|sleeps?|go(?:es)? to school|kids)",
    r"(?:i|we) know where (?:you|he|she|they) (?:\w+ ){0,2}(?:live|parks?|works?)",
    r"(?:on|je|nous) (?:sait|sais|savons) (?:ou|a quelle ecole) (?:\w+ ){0,3}(?:habite|gare|travaille|dort|vont|va)",
    r"(?:sabemos|se) (?:donde|a que colegio|en que colegio) (?:\w+ ){0,3}(?:vive|aparca|trabaja|van|estudian)",
    r"(?:wir wissen|ich weiss) (?:wo|auf welche schule) (?:\w+ ){0,4}(?:wohnt|parkt|arbeitet|gehen|geht)",
    r"(?:sappiamo|so) (?:dove|a che scuola) (?:\w+ ){0,3}(?:abita|vive|parcheggia|lavora|vanno)",
    r"(?:sabemos|sei) (?:onde|em que escola) (?:\w+ ){0,3}(?:mora|estaciona|trabalha|estudam|vao)",
    r"(?:lo|la|los|las|te|le) (?:vamos a|voy a|van a) esperar (?:a la salida|fuera|afuera)", r"ti aspettiamo fuori",
    r"we ll be waiting (?:for (?:you|him|her) )?(?:outside|after)", r"on t attend(?:ra)? (?:a la sortie|dehors)",
    r"(?:ihrem|seinem|deinem|ihren|seinen|deinen) (?:\w+ )?(?:hund|kind\w*|auto|katze|familie) (?:was|etwas) passiert",
    r"something (?:might |will |could )?happens? to (?:her|his|your|their) (?:dog|kids?|children|car|family)",
)  # fmt: skip
"""A veiled threat: "we know where he parks his car", "sabemos a qué colegio van sus hijos", "lo vamos a esperar a
la salida"."""
IDENTITY = words(
    r"social secur\w* (?:number|card)", r"ssn", r"dni", r"identity", r"identite", r"identidad", r"identitat",
    r"identita", r"identidade", r"personalausweis", r"ausweis", r"cpf", r"rg", r"carte d identite", r"passport",
    r"pasaporte", r"reisepass", r"passeport", r"passaporto", r"passaporte", r"codice fiscale", r"nif", r"nie",
)  # fmt: skip
SOMEONE_ELSES = (
    r"(?:my |his |her )?(?:dead|late|deceased) \w+|fallecid\w*|verstorben\w*|decede\w*|defunt\w*|mort[oa]|falecid\w*|"
    r"(?:in|a|en|em|auf) (?:his|her|their|su|son|sa|suo|sua|seu|seinen|ihren) (?:name|nombre|nom|nome|namen)|"
    r"a nome (?:suo|di \w+)|em nome del[ae]|auf (?:seinen|ihren) namen|"
    r"(?:my |mi |mon |ma |mio |mia |meu |minha |meines |meiner )(?:\w+ )?(?:uncle|aunt|brother|sister|mother|father|"
    r"cousin|roommate|flatmate|friend|neighbou?r|grand\w+|tio|tia|herman[oa]|compa\w+|frere|soeur|oncle|tante|cousin\w*|"
    r"zio|zia|fratello|sorella|irmao|irma|bruders?|schwester|onkels?|tante|mitbewohner\w*|colocataire|coinquilin[oa])"
)
"""Whose identity it is: a dead relative's, a brother's, "in his name"."""
OPEN_IN_NAME = words(
    r"open\w* (?:\w+ ){0,2}(?:credit card|account|loan|line of credit)", r"apply for", r"take out", r"get a loan",
    r"(?:pedir|solicitar|sacar|abrir) (?:\w+ ){0,2}(?:prestamo|credito|tarjeta|cuenta|paro|subsidio)",
    r"(?:beantrag\w*|aufnehmen|eroffnen|abschliessen) ", r"kredit\w*", r"arbeitslosengeld", r"burgergeld",
    r"(?:ouvrir|demander|souscrire|toucher|percevoir) (?:\w+ ){0,2}(?:credit|pret|compte|carte|chomage|rsa|"
    r"allocation\w*)",
    r"(?:aprire|chiedere|richiedere|prendere) (?:\w+ ){0,2}(?:prestito|finanziamento|conto|carta|disoccupazione|bonus)",
    r"(?:abrir|pedir|tirar|solicitar|receber) (?:\w+ ){0,2}(?:emprestimo|credito|cartao|conta|seguro desemprego|"
    r"auxilio)",
    r"(?:claim|collect|get) (?:\w+ ){0,2}(?:benefits|unemployment|welfare|pension)",
)  # fmt: skip
"""Credit or benefits got in someone else's name."""
VICTIMS = words(
    r"(?:lonely |old |elderly |single |older |vulnerable )?(?:women|men|people|ladies|widows|seniors|pensioners)",
    r"(?:des )?(?:femmes|hommes|personnes agees|gens|veuves) ?(?:seules?|agees)?", r"(?:mujeres|ancianos|gente|viudas)",
    r"(?:frauen|rentner\w*|senioren|leute|witwen)", r"(?:donne|anziani|persone|vedove)",
    r"(?:mulheres|idosos|pessoas|viuvas)",
)  # fmt: skip
"""Whom a scam is aimed at: "arnaquer des femmes seules", "scam old people"."""
WAIT_FOR = words(
    r"wait for (?:her|him|them) (?:there|outside)", r"show up at (?:her|his|their)", r"turn up at (?:her|his|their)",
    r"esperarl[ao]s?(?: alli| ahi| fuera)?", r"auflauern", r"aufzulauern", r"abpassen", r"abzupassen",
    r"l attendre", r"la guetter", r"le guetter", r"aspettarl[ao]", r"appostarmi", r"espera l[ao]",
    r"esperar (?:ela|ele)",
)  # fmt: skip
WHERE_THEY_LIVE = words(
    r"(?:home )?address", r"where (?:she|he|they) lives?", r"(?:her|his|their) (?:house|home|schedule|routine)",
    r"(?:la |su )?casa", r"(?:el |su )?horario", r"donde vive", r"wo (?:sie|er) wohnt", r"adresse", r"wohnung",
    r"ou (?:elle|il) habite", r"son adresse", r"ses horaires", r"dove abita", r"indirizzo", r"orari", r"onde mora",
    r"endereco", r"horarios",
)  # fmt: skip
"""Finding where a person lives to wait for them there: stalking, whoever the person is."""
