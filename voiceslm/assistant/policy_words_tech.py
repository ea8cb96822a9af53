"""The safety policy's word tables for phones, computers and accounts, in en, es, de, fr, it and pt.

Data that `policy_rules` builds its hacking and stalking patterns of, matched like `policy_words` against
text normalised by `voiceslm.intents.normalize`.
"""

from __future__ import annotations

from voiceslm.assistant.policy_words import words

PASSWORD = words(
    r"passwords?", r"pass ?codes?", r"log ?ins?", r"login details", r"pin(?: code| number)?",
    r"contrasenas?", r"clave(?: de acceso)?", r"passwort\w*", r"kennwort\w*", r"zugangsdaten",
    r"mots? de passe", r"identifiants", r"codice pin", r"credenziali", r"senhas?",
)  # fmt: skip
ACQUIRE = words(
    r"get", r"find out", r"figure out", r"work out", r"steal", r"see", r"know", r"read", r"guess",
    r"averigu\w*", r"sac(?:ar|o)\w*", r"consegui\w*", r"consigo", r"obtener", r"saber", r"robar\w*", r"adivin\w*",
    r"komm\w* (?:ich )?an", r"(?:he)?rausfind\w*", r"herausbekomm\w*", r"klauen", r"stehlen", r"erraten",
    r"trouver", r"obtenir", r"recuperer", r"voler", r"deviner", r"avoir",
    r"scoprire", r"trovare", r"rubare", r"avere", r"indovinare", r"ottenere",
    r"descobrir", r"pegar", r"roubar", r"adivinhar", r"obter",
)  # fmt: skip
HACK = words(
    r"hack\w*", r"break into", r"get into", r"crack\w*", r"access\w*", r"log ?in(?:to)?", r"guess",
    r"hackear", r"entrar en", r"acced\w*", r"hacken", r"hackst", r"hacke", r"knack\w*", r"einbrech\w*",
    r"einzubrechen", r"einloggen", r"zugriff auf", r"zugang zu", r"pirat\w*", r"hackerare", r"violare",
    r"invad(?:o|ir|e|a|er)",
    r"entr(?:ar|o|as|a)\w* (?:en|al|na|no|nel\w*|dans)", r"entrare nel\w*", r"invadir", r"s introduire dans",
    r"acess\w*",
)  # fmt: skip
SPY = words(
    r"(?<!keep )track(?:s|ing|er)?(?! of)", r"locate", r"spy on", r"spy", r"find out where", r"gps", r"spyware",
    r"stalk\w*", r"stalkerware", r"know where (?:she|he|they) (?:is|are|goes|go)",
    r"espiar", r"rastre\w*", r"localiz\w*", r"orten", r"ausspion\w*", r"uberwach\w*", r"espionn\w*", r"localiser",
    r"spiare", r"rintracciare", r"localizzare", r"espionar", r"vigiar",
)  # fmt: skip
"""Verbs of spying on a person: with a person near them, a request to stalk."""
WATCH = words(
    r"read", r"watch", r"record", r"follow", r"listen to", r"monitor\w*", r"check", r"see",
    r"leer", r"vigilar", r"seguir", r"escuchar", r"grabar", r"ver", r"revisar",
    r"lesen", r"mitlesen", r"verfolg\w*", r"mithoren", r"aufnehmen", r"kontrollier\w*", r"sehen",
    r"suivre", r"lire", r"surveiller", r"ecouter", r"enregistrer", r"voir",
    r"leggere", r"seguire", r"controllare", r"ascoltare", r"registrare", r"vedere",
    r"ler", r"monitorar", r"ouvir", r"gravar",
)  # fmt: skip
"""Verbs that watch a person only with a secret or their private messages next to them."""
SPY_TOOL = words(
    r"keyloggers?", r"key loggers?", r"spyware", r"stalkerware", r"spy (?:app|software)", r"tracking app",
    r"(?<!anti )malware", r"trojans?", r"programa espia", r"app espia", r"spionage ?app", r"logiciel espion",
    r"app spia", r"aplicativo espiao",
)  # fmt: skip
PLANT = words(
    r"install\w*|put|plant|hide|sneak|instalar|poner\w*|meter\w*|installier\w*|aufspielen|installer|"
    r"mettre|cacher|mettere|nascondere|colocar"
)
"""Verbs of putting a spying tool (`SPY_TOOL`) on someone's device."""
SECRETLY = words(
    r"secretly", r"in secret", r"without (?:her|him|them|my \w+) (?:knowing|noticing|finding out|knowing it)",
    r"behind (?:her|his|their) back", r"so (?:she|he|they) (?:doesn t|don t|won t|never) (?:know|notice|find out)",
    r"sin que (?:se entere|lo sepa|se de cuenta|lo note)", r"a escondidas", r"en secreto",
    r"heimlich", r"unbemerkt", r"ohne dass (?:sie|er) es (?:merkt|weiss|mitbekommt)", r"ohne (?:ihr|sein) wissen",
    r"en secret", r"sans qu (?:elle|il)s? (?:le sache|le sachent|s en (?:rende|rendent) compte)", r"a son insu",
    r"di nascosto", r"senza che (?:se ne accorga|lo sappia)", r"segretamente", r"all insaputa",
    r"escondid[oa]", r"secretamente", r"sem que (?:ela|ele) (?:saiba|perceba)", r"as escondidas",
)  # fmt: skip
"""Words that a request means to keep its target unaware."""
PRIVATE = words(
    r"messages?", r"texts?", r"chats?", r"whats ?apps?", r"e ?mails?", r"dms?", r"calls?", r"phone", r"location",
    r"mensajes?", r"correos?", r"llamadas", r"movil", r"celular", r"ubicacion",
    r"nachrichten", r"handy", r"chats?", r"standort", r"sms",
    r"textos", r"telephone", r"portable",
    r"messaggi", r"telefono", r"cellulare", r"posizione",
    r"mensagens", r"telemovel", r"localizacao",
    r"laptop", r"computer", r"pc", r"tablet", r"ipad", r"ordenador", r"portatil", r"computadora", r"rechner",
    r"ordinateur", r"tablette", r"portatile", r"computador", r"notebook",
)  # fmt: skip
SYSTEMS = words(
    r"(?:the |my )?(?:school|university|college|employer|company|work|bank|hospital|government|police)(?: s)? "
    r"(?:\w+ )?(?:system|network|server|database|portal|computers?|wifi|website|site)",
    r"grading system", r"grades? (?:system|portal|database)",
    r"(?:sistema|red|servidor|rede|systeme|reseau|serveur|rete|netzwerk|server|system) (?:\w+ ){0,2}"
    r"(?:escuela|colegio|universidad|instituto|schule|uni|ecole|lycee|fac|college|scuola|universita|escola|faculdade)",
    r"(?:schul|uni|firmen|buro|krankenhaus|behorden|bank)(?:netz\w*|server\w*|system\w*|computer\w*|rechner\w*|"
    r"portal\w*|wlan|datenbank\w*)",
)  # fmt: skip
"""An institution's systems, which a student or an employee has no right to break into."""
BREAK_IN = words(
    r"hack\w*", r"break into", r"crack\w*", r"hackear", r"hacken", r"knack\w*", r"einbrech\w*", r"einzubrechen",
    r"pirat\w*", r"hackerare", r"violare", r"invad\w*", r"s introduire dans", r"spoof\w*",
)  # fmt: skip
"""Breaking in, not logging in."""
CHANGE_GRADES = (
    r"(?:change|alter|edit|fix|raise|cambiar|modificar|subir|andern|verbessern|changer|modifier|cambiare|"
    r"modificare|mudar|alterar) (?:\w+ ){0,2}(?:grades?|marks|results|notas|noten|notes|voti|resultados?)"
)
TRACKER = words(
    r"air ?tags?", r"tile (?:tracker|mate)s?", r"smart ?tags?", r"gps (?:trackers?|tags?|senders?)", r"trackers?",
    r"peilsender", r"ortungs\w*", r"gps sender", r"rastreador(?:es)?(?: gps)?", r"localizador(?:es)? gps",
    r"balises? gps", r"traceurs? gps", r"localizzator[ei] gps", r"rastreador(?:es)?",
)  # fmt: skip
"""A tracking tag, hidden on someone to follow them."""
HIDE = words(
    r"hide", r"hid", r"hiding", r"stash", r"tuck", r"conceal", r"plant", r"put", r"slip", r"sneak",
    r"escond\w*", r"ocult\w*", r"meter\w*", r"poner\w*", r"versteck\w*", r"verberg\w*", r"stecken",
    r"cach\w*", r"glisser", r"nascond\w*", r"infilare", r"mettere", r"coloc\w*",
)  # fmt: skip
THEIR_THINGS = (
    r"(?:in|on|under|inside|into|en|im|in (?:den|die|das)|dans|sous|nel(?:la)?|sotto|no|na|debajo de) "
    r"(?:\w+ ){0,3}(?:bag|backpack|purse|car|coat|jacket|bike|luggage|suitcase|mochila|bolso|coche|carro|auto|"
    r"chaqueta|rucksack|tasche|handtasche|jacke|wagen|fahrrad|sac|voiture|veste|manteau|velo|zaino|borsa|macchina|"
    r"giacca|bolsa|casaco)\w*"
)
"""Where a tag is hidden on a person: their bag, their car."""
NO_WARNING = words(
    r"(?:no|without (?:a |any )?|won t (?:get|show|see) (?:a |any )?|doesn t (?:get|show) (?:a |any )?)"
    r"(?:warning|alert|notification)s?",
    r"keine (?:warnung|meldung|benachrichtigung)", r"(?:sin|sem|sans|senza) (?:\w+ )?(?:aviso|alerta|avis|alerte|"
    r"notifica\w*|avviso)", r"(?:no|nao|ne) (?:le |lhe |gli )?(?:avise|avisa|alerte|avvisi|salte|aparezca|apareca)",
    r"without (?:her|him|them) (?:knowing|noticing|finding out)",
)  # fmt: skip
"""The tracked person's phone kept from warning them, or them kept unaware."""
ACTIVATION_LOCK = words(
    r"icloud(?: lock| account| activation)?", r"activation lock", r"frp(?: lock)?", r"google (?:account )?lock",
    r"bloqueo de activacion", r"bloqueio de ativacao", r"aktivierungssperre", r"verrouillage d activation",
    r"blocco (?:di )?attivazione", r"conta (?:do )?google", r"cuenta de google",
)  # fmt: skip
UNLOCK = words(
    r"unlock\w*", r"(?:pull\w*|get\w*|extract\w*) (?:\w+ ){0,2}(?:messages|texts|data|photos|chats) (?:off|from)",
    r"bypass\w*", r"deverrouill\w*", r"remove", r"get (?:past|around)", r"desbloque\w*",
    r"quit(?:ar|o|a)", r"saltar\w*",
    r"entsperr\w*", r"umgeh\w*", r"entfern\w*", r"debloqu\w*", r"contourn\w*", r"supprimer", r"sblocc\w*",
    r"aggirare", r"rimuovere", r"remover", r"burlar", r"tirar",
)  # fmt: skip
NOT_THE_OWNER = words(
    r"(?:the )?(?:previous |real |original )?owner s", r"without (?:knowing )?the owner\w*",
    r"(?:del|de su) (?:dueno|propietario)", r"sin (?:saber|conocer|tener)", r"des (?:besitzers|eigentumers)",
    r"ohne (?:\w+ ){0,3}(?:zu kennen|passwort|besitzer)", r"du proprietaire", r"sans (?:connaitre|savoir|avoir)",
    r"del proprietario", r"senza (?:sapere|conoscere|avere)", r"do dono", r"sem (?:saber|conhecer|ter)",
    r"(?:don t|do not|no|nao|ne) (?:ask|preguntes|pergunta|frag\w*|demande\w*|chieder\w*)",
    r"found|encontr\w*|gefunden|trouve|trovato|achei",
)  # fmt: skip
"""A phone that is not the speaker's: its owner's account, a found one, "don't ask where it came from"."""
ATTACK = words(
    r"sql ?injections?", r"injections? sql", r"inyecci\w* sql", r"injec\w* (?:de )?sql", r"iniezion\w* sql",
    r"xss", r"brute ?forc\w*", r"fuerza bruta", r"force brute", r"forza bruta", r"forca bruta",
    r"ddos\w*", r"dos attack", r"exploits?", r"port ?scan\w*", r"password (?:crack\w*|spray\w*)",
    r"hack\w*", r"pentest\w*", r"pen test\w*", r"penetration test\w*",
)  # fmt: skip
NO_CONSENT = words(
    r"without (?:\w+ ){0,2}(?:permission|consent|authori[sz]ation|agreement|approval|them knowing)",
    r"(?:don t|do not|didn t) (?:really )?have (?:\w+ ){0,2}(?:permission|consent|authori[sz]ation|ok|approval)",
    r"(?:not|never) (?:really )?(?:authori[sz]ed|allowed)",
    r"sin (?:\w+ ){0,2}(?:permiso|autorizacion|consentimiento)", r"no tengo (?:\w+ ){0,2}(?:permiso|autorizacion)",
    r"ohne (?:\w+ ){0,3}(?:erlaubnis|genehmigung|zustimmung|einverstandnis|auftrag|autorisierung)",
    r"sans (?:\w+ ){0,2}(?:accord|autorisation|permission|consentement)",
    r"pas (?:vraiment )?(?:l |d )?(?:accord|autorisation|permission)",
    r"senza (?:\w+ ){0,2}(?:permesso|autorizzazione|consenso)", r"non ho (?:\w+ ){0,2}(?:permesso|autorizzazione)",
    r"sem (?:\w+ ){0,2}(?:autorizacao|permissao|consentimento)", r"nao tenho (?:\w+ ){0,2}(?:autorizacao|permissao)",
)  # fmt: skip
"""An attack on a system its owner has not agreed to: "it's for an audit but I don't really have the client's OK"."""
SUSPECT = words(
    r"suspects?", r"sospechos[oa]s?", r"verdachtig\w*", r"sospettat[oa]", r"suspeit[oa]s?",
    r"without a warrant", r"sans mandat", r"sin (?:una )?orden(?: judicial)?", r"ohne (?:\w+ )?beschluss",
    r"senza (?:un )?mandato", r"sem mandado",
)  # fmt: skip
"""Someone whose phone only a court may open: a suspect's, without a warrant."""
PHONE = words(
    r"phone", r"iphone", r"android", r"smartphone", r"handy", r"movil", r"celular", r"telephone", r"portable",
    r"telefono", r"telemovel", r"cellulare",
)  # fmt: skip
DDOS = words(r"ddos\w*", r"dos attacks?", r"denial of service", r"attacco ddos", r"ataque ddos", r"attaque ddos",
             r"ddos angriff\w*", r"botnet\w*")
LAUNCH = words(
    r"do", r"launch", r"make", r"run", r"start", r"carry out", r"fare", r"lanciare", r"hacer", r"lanzar", r"faire",
    r"lancer", r"machen", r"starten", r"fazer", r"lancar", r"organi[sz]\w*", r"tumbar", r"take down", r"bring down",
    r"crash", r"how (?:do|can) i (?:use|get)",
)  # fmt: skip
"""Starting an attack that takes a site down (not "what is a DDoS", nor protection from one)."""
FAKE_PROFILE = words(
    r"(?:fake|false|made up) (?:\w+ ){0,2}(?:profiles?|accounts?)", r"(?:perfil|perfiles|cuenta) fals[oa]s?",
    r"faux profils?", r"profils? (?:\w+ )?(?:faux|bidon)", r"(?:falsche?s?|fake) (?:\w+ )?(?:profil|konto)\w*",
    r"fake ?profil\w*", r"profil[oi] fals[oi]", r"(?:perfil|conta) fals[oa]",
)  # fmt: skip
MADE_UP = words(
    r"make", r"create", r"set up", r"build", r"hago", r"hacer", r"crear", r"creo", r"montar", r"monto", r"faire",
    r"creer", r"cree", r"fais", r"erstell\w*", r"mach\w*", r"anleg\w*", r"fare", r"creare", r"faccio", r"fazer",
    r"criar", r"crio", r"write", r"escrib\w*", r"ecri\w*", r"schreib\w*", r"scriv\w*", r"escrev\w*",
)  # fmt: skip
COURTED = words(
    r"dating", r"citas", r"rencontres?", r"partnerborse\w*", r"incontri", r"namoro", r"enamor\w*", r"fall in love",
    r"seduc\w*", r"seduire", r"innamor\w*", r"verlieb\w*", r"apaixon\w*", r"romance", r"lonely", r"widow\w*",
)  # fmt: skip
FOR_MONEY = words(
    r"money", r"cash", r"gift cards?", r"dinero", r"plata", r"argent", r"geld", r"soldi", r"denaro", r"dinheiro",
    r"grana", r"bitcoin\w*", r"transfer\w*", r"pay (?:me|for)",
)  # fmt: skip
"""A romance scam: a made-up profile to court someone for money ("un perfil falso ... para pedirles dinero")."""
MALWARE_WRITTEN = (
    r"\b(?:write|code|build|make|program|schreib\w*|programmier\w*|bau\w*|escrib\w*|programa\w*|ecri\w*|code moi|"
    r"scriv\w*|escrev\w*|cre\w*) (?:me |mir |moi |mi )?(?:a |an |eine?n? |un[ae]? |uma? )?(?:\w+ )?(?:ransomware|"
    r"keylogger|trojaner|trojan(?:er)?|malware|computer ?virus|wurm|worm)\b"
    r"(?! (?:scanner|removal|protection|report|essay))"
)
"""Malware written to order: "schreib mir eine ransomware", not "write an essay about ransomware"."""
FORMER_SYSTEMS = (
    r"\b(?:their|my old (?:job|company|employer|work)(?: s)?|former employer\w*|old job s)\b",
    r"\b(?:vpn|network|servers?|systems?)\b",
    r"\b(?:disabled|revoked|deactivated|removed|closed) (?:my )?(?:account|access)|backdoors?\b",
)
"""Getting back into a former employer's systems after the account was closed: "what backdoors usually get left"."""
PROTECTED_FROM_ME = (
    r"restraining order|protective order|protection order|medida protetiva|orden de alejamiento|kontaktverbot|"
    r"annaherungsverbot|ordonnance de protection|ordine restrittivo|divieto di avvicinamento",
    r"against me|contra mim|contra mi|gegen mich|contre moi|contro di me",
)
"""Someone protected by a court from the speaker: where they live now is not the speaker's to find."""
FORGED_SIGNATURE = (
    r"\b(?:forg\w*|fak\w*|falsif\w*|falsific\w*|falsch\w*|nachmach\w*|imit\w*) (?:\w+ ){0,2}"
    r"(?:(?:his|her|their|\w+ s) signature|la firma d\w*|a assinatura d\w*|la signature d\w*)|"
    r"unterschrift (?:von|meine\w*|seine\w*|ihre\w*|des|der) (?:\w+ ){0,2}(?:fals\w*|nachmach\w*)"
)
"""Someone else's signature forged: "forging his signature on the yearly proof of life form"."""
BUTANE_EXTRACT = (
    r"\bbutan\w*|\bbho\b",
    r"\bthc\b|\bherbe\b|\bweed\b|\bgras\b|cannabis|marihuana|marijuana|\berba\b|maconha|\bwax\b|\bdabs?\b|"
    r"hash oil|\bhasch\w*|\bol\b|\bhuile\b|\baceite\b|\bolio\b|\boleo\b",
)
"""Cannabis concentrate made with butane, a drug made and a blast risk: "extraire le thc avec du butane"."""
