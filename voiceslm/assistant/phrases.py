"""How the everyday tools are asked for and what they say, in en, es, de, fr, it and pt.

Patterns match the whole request folded by `tools.fold` (lower case, no
accents, punctuation as spaces); named groups pick out the parts: `dur` a
duration, `what` the words to keep, `n` a number.
"""

from __future__ import annotations

LANGUAGES = ("en", "es", "de", "fr", "it", "pt")

TIME = {
    "en": r"(?:what time is it|what s the time|what is the time|tell me the time|do you know what time it is)"
    r"(?: now| please| right now)?",
    "es": r"(?:que hora es|que horas son|dime la hora|me dices la hora)(?: ahora| por favor)?",
    "de": r"(?:wie spat ist es|wie viel uhr ist es|wieviel uhr ist es|wie viel uhr haben wir)(?: jetzt)?",
    "fr": r"(?:quelle heure est il|il est quelle heure|quelle heure il est)(?: maintenant)?",
    "it": r"(?:che ore sono|che ora e|che ora sono)(?: adesso| ora)?",
    "pt": r"(?:que horas sao|que hora e|quantas horas sao)(?: agora)?",
}
DATE = {
    "en": r"(?:what s the date|what is the date|what is today s date|what s today s date|what day is it|"
    r"what day is today|what s today|what is today|what date is it)(?: today)?",
    "es": r"(?:que dia es hoy|que fecha es hoy|que dia es|a que dia estamos|cual es la fecha(?: de hoy)?)",
    "de": r"(?:welcher tag ist heute|welches datum ist heute|welches datum haben wir|der wievielte ist heute|"
    r"was ist heute fur ein tag)",
    "fr": r"(?:quel jour sommes nous|quel jour on est|on est quel jour|quelle est la date(?: d aujourd hui)?)",
    "it": r"(?:che giorno e oggi|che giorno e|qual e la data di oggi|che data e oggi)",
    "pt": r"(?:que dia e hoje|qual e a data de hoje|que data e hoje)",
}
TIMER = {
    "en": r"(?:please )?(?:set|start|put on)(?: a| an| the)? timer (?:for |of |to )?(?P<dur>DUR)|"
    r"timer (?:for )?(?P<dur2>DUR)|(?:set |start )?a (?P<dur3>DUR) timer",
    "es": r"(?:pon|ponme|poner|programa|inicia|activa)(?: un| el)? (?:temporizador|cronometro|timer) "
    r"(?:de |para |por |en )?(?P<dur>DUR)|temporizador (?:de )?(?P<dur2>DUR)",
    "de": r"(?:stell|stelle|setze|starte)(?: einen| den| mir einen)? (?:timer|wecker|kurzzeitwecker) "
    r"(?:auf |fur |von )?(?P<dur>DUR)(?: ein)?|timer (?:auf |fur )(?P<dur2>DUR)",
    "fr": r"(?:mets|lance|demarre|programme)(?: un| le)? (?:minuteur|timer|chrono) (?:de |pour )?(?P<dur>DUR)|"
    r"minuteur (?:de )?(?P<dur2>DUR)",
    "it": r"(?:imposta|metti|avvia)(?: un| il)? (?:timer|conto alla rovescia) (?:di |per |da )?(?P<dur>DUR)",
    "pt": r"(?:define|defina|coloca|coloque|poe|inicia|inicie|ativa)(?: um| o)? (?:temporizador|timer|cronometro) "
    r"(?:de |para |por )?(?P<dur>DUR)",
}
REMIND = {
    "en": r"(?:please )?remind me (?:in |after )(?P<dur>DUR) (?:to|that|about) (?P<what>.+)|"
    r"(?:please )?remind me (?:to |that |about )(?P<what2>.+?) in (?P<dur2>DUR)",
    "es": r"(?:recuerdame|recordame|avisame) (?:en|dentro de) (?P<dur>DUR) (?:que |de |a )?(?P<what>.+)|"
    r"(?:recuerdame|recordame|avisame) (?:que |de |a )?(?P<what2>.+?) (?:en|dentro de) (?P<dur2>DUR)",
    "de": r"erinnere mich in (?P<dur>DUR) (?:an|daran|dass) (?P<what>.+)|"
    r"erinnere mich (?:daran |an )?(?P<what2>.+?) in (?P<dur2>DUR)",
    "fr": r"rappelle moi dans (?P<dur>DUR) (?:de|d|que|qu) (?P<what>.+)|"
    r"rappelle moi (?:de |d |que )?(?P<what2>.+?) dans (?P<dur2>DUR)",
    "it": r"ricordami (?:tra|fra) (?P<dur>DUR) (?:di|che) (?P<what>.+)|"
    r"ricordami (?:di |che )?(?P<what2>.+?) (?:tra|fra) (?P<dur2>DUR)",
    "pt": r"(?:lembra me|lembre me|me lembre|me lembra) (?:em|daqui a|dentro de) (?P<dur>DUR) (?:de|que) (?P<what>.+)|"
    r"(?:lembra me|lembre me|me lembre|me lembra) (?:de |que )?(?P<what2>.+?) (?:em|daqui a|dentro de) (?P<dur2>DUR)",
}
LIST_REMINDERS = {
    "en": r"(?:what|which) (?:reminders|timers)(?: and (?:reminders|timers))? do i have|"
    r"(?:list|show|read|tell me)(?: me)? (?:my|the|all)(?: my)? (?:reminders|timers)(?: and (?:reminders|timers))?|"
    r"my (?:reminders|timers)",
    "es": r"(?:que|cuales) (?:recordatorios|temporizadores) tengo|"
    r"(?:lista|muestrame|dime|lee|leeme) (?:mis|los) (?:recordatorios|temporizadores)|mis recordatorios",
    "de": r"(?:welche|was fur) (?:erinnerungen|timer) habe ich|(?:zeig|lies|nenne)(?: mir)? (?:meine|die) "
    r"(?:erinnerungen|timer)(?: vor)?|meine erinnerungen",
    "fr": r"quels (?:rappels|minuteurs) ai je|(?:lis|montre|liste)(?: moi)? (?:mes|les) (?:rappels|minuteurs)|"
    r"mes rappels",
    "it": r"(?:quali|che) (?:promemoria|timer) ho|(?:leggi|mostrami|elenca)(?: i)? (?:miei )?(?:promemoria|timer)",
    "pt": r"(?:quais|que) (?:lembretes|temporizadores) (?:eu )?tenho|(?:mostra|lista|le|leia)(?: os)? (?:meus )?"
    r"(?:lembretes|temporizadores)|meus lembretes",
}
CANCEL_REMINDERS = {
    "en": r"(?:cancel|delete|remove|stop|clear)(?: all)?(?: the| my)? (?P<kind>timers?|reminders?|alarms?)"
    r"(?: (?:to|about|for) (?P<what>.+))?",
    "es": r"(?:cancela|borra|elimina|quita|para)(?: todos)?(?: el| los| mis| la| las| mi)? "
    r"(?P<kind>temporizador(?:es)?|recordatorios?|alarmas?)(?: de (?P<what>.+))?",
    "de": r"(?:losche|loesche|entferne|stoppe|stopp|beende|brich)(?: alle)?(?: den| die| meine| meinen)? "
    r"(?P<kind>timer|erinnerungen?|wecker)(?: an (?P<what>.+))?(?: ab)?",
    "fr": r"(?:annule|supprime|arrete|efface)(?: tous)?(?: le| les| mes| mon| la)? "
    r"(?P<kind>minuteurs?|rappels?|timers?)(?: de (?P<what>.+))?",
    "it": r"(?:annulla|cancella|elimina|ferma)(?: tutti)?(?: il| i| i miei| il mio| la)? "
    r"(?P<kind>timer|promemoria)(?: di (?P<what>.+))?",
    "pt": r"(?:cancela|cancele|apaga|apague|remove|para|pare)(?: todos)?(?: o| os| meus| meu| a| as)? "
    r"(?P<kind>temporizador(?:es)?|lembretes?|alarmes?)(?: de (?P<what>.+))?",
}
ADD_NOTE = {
    "en": r"(?:please )?(?:note that|note down(?: that)?|take a note(?: that)?|make a note(?: that)?|"
    r"add a note(?: that)?|write down(?: that)?|remember that) (?P<what>.+)",
    "es": r"(?:anota(?: que)?|apunta(?: que)?|toma nota(?: de que| que| de)?|nota que|recuerda que) (?P<what>.+)",
    "de": r"(?:notiere(?: dass)?|notier(?: dass)?|notiz|merke dir(?: dass)?|merk dir(?: dass)?|schreib auf(?: dass)?)"
    r" (?P<what>.+)",
    "fr": r"(?:note que|prends note que|prends note de|prends note|retiens que) (?P<what>.+)",
    "it": r"(?:annota(?: che)?|prendi nota(?: che| di)?|ricorda che|nota che) (?P<what>.+)",
    "pt": r"(?:anota(?: que)?|anote(?: que)?|toma nota(?: que| de)?|tome nota(?: que| de)?|lembra que) (?P<what>.+)",
}
READ_NOTES = {
    "en": r"(?:read|list|show|tell)(?: me)?(?: all)? (?:my|the) notes|what are my notes|my notes|what did i note",
    "es": r"(?:lee|leeme|lista|dime|muestrame)(?: todas)? (?:mis|las) notas|cuales son mis notas|mis notas",
    "de": r"(?:lies|zeig|nenne)(?: mir)? (?:meine|die) notizen(?: vor)?|was sind meine notizen|meine notizen",
    "fr": r"(?:lis|montre|liste)(?: moi)? (?:mes|les) notes|quelles sont mes notes|mes notes",
    "it": r"(?:leggi|leggimi|mostrami|elenca)(?: le mie| le)? note|quali sono le mie note|le mie note",
    "pt": r"(?:le|leia|mostra|mostre|lista)(?: as)? (?:minhas )?notas|quais sao as minhas notas|minhas notas",
}
DELETE_NOTES = {
    "en": r"(?:delete|remove|clear|erase)(?: all)?(?: of)?(?: my| the)? (?:(?P<last>last) note|note (?P<n>\S+)|notes)",
    "es": r"(?:borra|elimina|quita)(?: todas)?(?: mis| las| la)? (?:(?P<last>ultima) nota|nota (?P<n>\S+)|notas)",
    "de": r"(?:losche|loesche|entferne)(?: alle)?(?: meine| die)? (?:(?P<last>letzte) notiz|notiz (?P<n>\S+)|notizen)",
    "fr": r"(?:supprime|efface)(?: toutes)?(?: mes| les| la)? (?:(?P<last>derniere) note|note (?P<n>\S+)|notes)",
    "it": r"(?:cancella|elimina)(?: tutte)?(?: le mie| le| l)? (?:(?P<last>ultima) nota|nota (?P<n>\S+)|note)",
    "pt": r"(?:apaga|apague|remove|elimina)(?: todas)?(?: as| minhas| a)? "
    r"(?:(?P<last>ultima) nota|nota (?P<n>\S+)|notas)",
}
MORE = {
    "en": r"(?:tell me more|more|go on|continue|keep going|and then|what else|say more)(?: please)?",
    "es": r"(?:dime mas|cuentame mas|mas|sigue|continua|que mas)(?: por favor)?",
    "de": r"(?:erzahl mir mehr|erzahl mehr|mehr|weiter|mach weiter|und weiter)(?: bitte)?",
    "fr": r"(?:dis m en plus|dis moi en plus|continue|la suite|quoi d autre)(?: s il te plait)?",
    "it": r"(?:dimmi di piu|dimmi altro|continua|vai avanti)(?: per favore)?",
    "pt": r"(?:diga mais|me conta mais|conta mais|continua|continue|mais)(?: por favor)?",
}
CALCULATE = {
    "en": r"(?:what s|what is|how much is|calculate|compute|work out)",
    "es": r"(?:cuanto es|cuanto son|calcula|cuanto da)",
    "de": r"(?:was ist|was sind|wie viel ist|wieviel ist|rechne|berechne)",
    "fr": r"(?:combien font|combien fait|calcule|ca fait combien)",
    "it": r"(?:quanto fa|quanto e|calcola)",
    "pt": r"(?:quanto e|quanto da|calcula|calcule)",
}
CONVERT = {
    "en": r"(?:convert|what s|what is|how much is)",
    "es": r"(?:convierte|pasa|cuanto es|cuanto son|cuantos son|cuantas son)",
    "de": r"(?:rechne|wandle|was sind|wie viel sind|wieviel sind|wie viel ist)",
    "fr": r"(?:convertis|convertir|combien font|combien fait)",
    "it": r"(?:converti|quanto fa|quanto sono|quanti sono)",
    "pt": r"(?:converte|converta|quanto e|quanto sao|quantos sao)",
}
CONVERT_SUFFIX = {"de": r" (?:um|umrechnen|umwandeln)$"}
"""What closes a conversion after its units: German's separable verbs ("wandle 3 Meilen in Kilometer um")."""
CONVERT_INTO = r"(?:to|into|in|a|al|en|in|auf|zu|nach|para|em|um)"
HOW_MANY = {
    "en": r"(?:how many|how much)", "es": r"(?:cuantos|cuantas)", "de": r"(?:wie viele|wie viel)",
    "fr": r"(?:combien de|combien d)", "it": r"(?:quanti|quante)", "pt": r"(?:quantos|quantas)",
}  # fmt: skip

OPERATORS = [
    ("multiplied by|times|multiplicado por|por|mal|fois|per|vezes|x|×", "*"),
    ("divided by|over|dividido por|dividido entre|entre|geteilt durch|durch|divise par|diviso per|diviso|÷", "/"),
    ("plus|mas|und|piu|mais|e|y", "+"),
    ("minus|menos|weniger|moins|meno", "-"),
    ("to the power of|elevado a|hoch|puissance|elevato alla", "**"),
    ("squared|al cuadrado|hoch zwei|au carre|al quadrato|ao quadrado", "**2"),
    ("percent of|por ciento de|prozent von|pour cent de|per cento di|por cento de", "/100*"),
]
"""Spoken operators (folded), each "|"-separated word or phrase -> its symbol; longer phrases win."""

NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "forty five": 45, "fifty": 50, "sixty": 60, "ninety": 90,
    "un": 1, "una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
    "nueve": 9, "diez": 10, "doce": 12, "quince": 15, "veinte": 20, "treinta": 30, "cuarenta": 40, "sesenta": 60,
    "ein": 1, "eine": 1, "einer": 1, "einen": 1, "zwei": 2, "drei": 3, "vier": 4, "funf": 5, "zehn": 10,
    "zwolf": 12, "funfzehn": 15, "zwanzig": 20, "dreissig": 30, "vierzig": 40, "sechzig": 60,
    "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "dix": 10, "douze": 12, "quinze": 15, "vingt": 20,
    "trente": 30, "quarante": 40, "soixante": 60,
    "due": 2, "tre": 3, "quattro": 4, "dieci": 10, "dodici": 12, "quindici": 15, "venti": 20, "trenta": 30,
    "quaranta": 40, "sessanta": 60,
    "um": 1, "uma": 1, "dois": 2, "duas": 2, "quatro": 4, "dez": 10, "doze": 12, "vinte": 20,
    "trinta": 30, "quarenta": 40, "sessenta": 60,
}  # fmt: skip
HALF = r"(?:half an?|a half|media|eine halbe|halbe|une demi|demi|mezz|mezza|meia)"

# Unit key (calc.UNITS) -> how it is written or said, folded.
UNIT_WORDS = {
    "km": ["km", "kilometers?", "kilometres?", "kilometros?", "kilometern?", "kilometri", "kilometro"],
    "m": ["m", "meters?", "metres?", "metros?", "metern?", "metri", "metro"],
    "cm": ["cm", "centimeters?", "centimetres?", "centimetros?", "zentimetern?", "centimetri"],
    "mm": ["mm", "millimeters?", "millimetres?", "milimetros?", "millimetern?", "millimetri"],
    "mile": ["mi", "miles?", "millas?", "meilen?", "milles?", "miglia", "milhas?"],
    "yard": ["yards?", "yardas?", "jardas?"],
    "foot": ["ft", "feet", "foot", "pies?", "fuss", "pieds?", "piedi", "pes"],
    "inch": ["in", "inch", "inches", "pulgadas?", "zoll", "pouces?", "pollici", "polegadas?"],
    "kg": ["kg", "kilos?", "kilograms?", "kilogrammes?", "kilogramos?", "kilogramm", "chili", "chilogrammi", "quilos?"],
    "g": ["g", "grams?", "grammes?", "gramos?", "gramm", "grammi", "gramas?"],
    "mg": ["mg", "milligrams?", "miligramos?", "milligramm"],
    "t": ["tonnes?", "tons?", "toneladas?", "tonnen?"],
    "lb": ["lbs?", "pounds?", "libras?", "pfund", "livres?", "libbre"],
    "oz": ["oz", "ounces?", "onzas?", "unzen?", "onces?", "once", "oncas?"],
    "l": ["l", "liters?", "litres?", "litros?", "litern?", "litri"],
    "ml": ["ml", "milliliters?", "millilitres?", "mililitros?", "millilitern?", "millilitri"],
    "gallon": ["gallons?", "galones?", "gallonen?", "galloni", "galoes"],
    "pint": ["pints?", "pintas?"],
    "cup": ["cups?", "tazas?", "tassen?", "tasses?", "tazze", "xicaras?"],
    "hour": ["h", "hours?", "horas?", "stunden?", "heures?", "ore", "ora"],
    "minute": ["min", "minutes?", "minutos?", "minuten?", "minuti", "minuto"],
    "second": ["s", "sec", "seconds?", "segundos?", "sekunden?", "secondes?", "secondi", "secondo"],
    "day": ["days?", "dias?", "tage?n?", "jours?", "giorni", "giorno"],
    "kmh": ["km h", "kmh", "kph", "kilometers per hour", "kilometres per hour", "kilometros por hora",
            "stundenkilometer", "kilometres heure", "chilometri orari", "quilometros por hora"],
    "mph": ["mph", "miles per hour", "millas por hora"],
    "ms": ["m s", "meters per second", "metres per second", "metros por segundo"],
    "celsius": ["c", "celsius", "centigrade", "degrees celsius", "grados celsius", "grad celsius",
                "degres celsius", "gradi celsius", "graus celsius"],
    "fahrenheit": ["f", "fahrenheit", "degrees fahrenheit", "grados fahrenheit", "grad fahrenheit",
                   "degres fahrenheit", "gradi fahrenheit", "graus fahrenheit"],
    "kelvin": ["k", "kelvin"],
}  # fmt: skip
DURATION_UNITS = ("hour", "minute", "second")

# Unit names as said in an answer: (one, many) per language; English serves where a name is missing.
UNIT_NAMES = {
    "en": {"km": ("kilometre", "kilometres"), "m": ("metre", "metres"), "cm": ("centimetre", "centimetres"),
           "mm": ("millimetre", "millimetres"), "mile": ("mile", "miles"), "yard": ("yard", "yards"),
           "foot": ("foot", "feet"), "inch": ("inch", "inches"), "kg": ("kilogram", "kilograms"),
           "g": ("gram", "grams"), "mg": ("milligram", "milligrams"), "t": ("tonne", "tonnes"),
           "lb": ("pound", "pounds"), "oz": ("ounce", "ounces"), "l": ("litre", "litres"),
           "ml": ("millilitre", "millilitres"), "gallon": ("US gallon", "US gallons"), "pint": ("US pint", "US pints"),
           "cup": ("cup", "cups"), "hour": ("hour", "hours"), "minute": ("minute", "minutes"),
           "second": ("second", "seconds"), "day": ("day", "days"),
           "kmh": ("kilometre per hour", "kilometres per hour"),
           "mph": ("mile per hour", "miles per hour"), "ms": ("metre per second", "metres per second"),
           "celsius": ("degree Celsius", "degrees Celsius"), "fahrenheit": ("degree Fahrenheit", "degrees Fahrenheit"),
           "kelvin": ("kelvin", "kelvin")},
    "es": {"km": ("kilómetro", "kilómetros"), "m": ("metro", "metros"), "cm": ("centímetro", "centímetros"),
           "mm": ("milímetro", "milímetros"), "mile": ("milla", "millas"), "foot": ("pie", "pies"),
           "inch": ("pulgada", "pulgadas"), "kg": ("kilo", "kilos"), "g": ("gramo", "gramos"),
           "lb": ("libra", "libras"), "oz": ("onza", "onzas"), "l": ("litro", "litros"),
           "ml": ("mililitro", "mililitros"), "gallon": ("galón", "galones"), "hour": ("hora", "horas"),
           "minute": ("minuto", "minutos"), "second": ("segundo", "segundos"), "day": ("día", "días"),
           "kmh": ("kilómetro por hora", "kilómetros por hora"), "mph": ("milla por hora", "millas por hora"),
           "celsius": ("grado Celsius", "grados Celsius"), "fahrenheit": ("grado Fahrenheit", "grados Fahrenheit")},
    "de": {"km": ("Kilometer", "Kilometer"), "m": ("Meter", "Meter"), "mile": ("Meile", "Meilen"),
           "kg": ("Kilogramm", "Kilogramm"), "g": ("Gramm", "Gramm"), "lb": ("Pfund", "Pfund"),
           "l": ("Liter", "Liter"), "hour": ("Stunde", "Stunden"), "minute": ("Minute", "Minuten"),
           "second": ("Sekunde", "Sekunden"), "celsius": ("Grad Celsius", "Grad Celsius"),
           "fahrenheit": ("Grad Fahrenheit", "Grad Fahrenheit")},
    "fr": {"km": ("kilomètre", "kilomètres"), "m": ("mètre", "mètres"), "mile": ("mile", "miles"),
           "kg": ("kilogramme", "kilogrammes"), "g": ("gramme", "grammes"), "lb": ("livre", "livres"),
           "l": ("litre", "litres"), "hour": ("heure", "heures"), "minute": ("minute", "minutes"),
           "second": ("seconde", "secondes"), "celsius": ("degré Celsius", "degrés Celsius"),
           "fahrenheit": ("degré Fahrenheit", "degrés Fahrenheit")},
    "it": {"km": ("chilometro", "chilometri"), "m": ("metro", "metri"), "mile": ("miglio", "miglia"),
           "kg": ("chilogrammo", "chilogrammi"), "g": ("grammo", "grammi"), "lb": ("libbra", "libbre"),
           "l": ("litro", "litri"), "hour": ("ora", "ore"), "minute": ("minuto", "minuti"),
           "second": ("secondo", "secondi"), "celsius": ("grado Celsius", "gradi Celsius"),
           "fahrenheit": ("grado Fahrenheit", "gradi Fahrenheit")},
    "pt": {"km": ("quilómetro", "quilómetros"), "m": ("metro", "metros"), "mile": ("milha", "milhas"),
           "kg": ("quilo", "quilos"), "g": ("grama", "gramas"), "lb": ("libra", "libras"),
           "l": ("litro", "litros"), "hour": ("hora", "horas"), "minute": ("minuto", "minutos"),
           "second": ("segundo", "segundos"), "celsius": ("grau Celsius", "graus Celsius"),
           "fahrenheit": ("grau Fahrenheit", "graus Fahrenheit")},
}  # fmt: skip
