"""What the everyday tools say, in en, es, de, fr, it and pt (English where a language lacks a line)."""

from __future__ import annotations

from datetime import datetime

SAY: dict[str, dict[str, str]] = {
    "time": {
        "en": "It's {time}.",
        "es": "Son las {time}.",
        "de": "Es ist {time} Uhr.",
        "fr": "Il est {time}.",
        "it": "Sono le {time}.",
        "pt": "São {time}.",
    },
    "date": {
        "en": "Today is {weekday}, {month} {day}, {year}.",
        "es": "Hoy es {weekday}, {day} de {month} de {year}.",
        "de": "Heute ist {weekday}, der {day}. {month} {year}.",
        "fr": "Nous sommes le {weekday} {day} {month} {year}.",
        "it": "Oggi è {weekday} {day} {month} {year}.",
        "pt": "Hoje é {weekday}, {day} de {month} de {year}.",
    },
    "timer_set": {
        "en": "Timer set for {duration}.",
        "es": "Temporizador de {duration} en marcha.",
        "de": "Timer auf {duration} gestellt.",
        "fr": "Minuteur de {duration} lancé.",
        "it": "Timer di {duration} avviato.",
        "pt": "Temporizador de {duration} iniciado.",
    },
    "reminder_set": {
        "en": "OK, in {duration} I'll remind you: {what}.",
        "es": "Vale, dentro de {duration} te recordaré: {what}.",
        "de": "Gut, in {duration} erinnere ich dich: {what}.",
        "fr": "D'accord, dans {duration} je te rappellerai : {what}.",
        "it": "Va bene, tra {duration} ti ricorderò: {what}.",
        "pt": "Certo, daqui a {duration} vou lembrar você: {what}.",
    },
    "timer_due": {
        "en": "Your timer for {duration} is done.",
        "es": "Tu temporizador de {duration} ha terminado.",
        "de": "Dein Timer über {duration} ist abgelaufen.",
        "fr": "Ton minuteur de {duration} est terminé.",
        "it": "Il tuo timer di {duration} è finito.",
        "pt": "O seu temporizador de {duration} terminou.",
    },
    "reminder_due": {
        "en": "Reminder: {what}.",
        "es": "Recordatorio: {what}.",
        "de": "Erinnerung: {what}.",
        "fr": "Rappel : {what}.",
        "it": "Promemoria: {what}.",
        "pt": "Lembrete: {what}.",
    },
    "late": {
        "en": "While I was off, this came due at {time}. ",
        "es": "Mientras estaba apagado, esto venció a las {time}. ",
        "de": "Während ich aus war, war das um {time} fällig. ",
        "fr": "Pendant que j'étais éteint, ceci était prévu à {time}. ",
        "it": "Mentre ero spento, questo scadeva alle {time}. ",
        "pt": "Enquanto eu estava desligado, isto venceu às {time}. ",
    },
    "none_pending": {
        "en": "You have no timers or reminders.",
        "es": "No tienes temporizadores ni recordatorios.",
        "de": "Du hast keine Timer oder Erinnerungen.",
        "fr": "Tu n'as aucun minuteur ni rappel.",
        "it": "Non hai timer né promemoria.",
        "pt": "Você não tem temporizadores nem lembretes.",
    },
    "pending": {
        "en": "You have {count}: {items}.",
        "es": "Tienes {count}: {items}.",
        "de": "Du hast {count}: {items}.",
        "fr": "Tu as {count} : {items}.",
        "it": "Hai {count}: {items}.",
        "pt": "Você tem {count}: {items}.",
    },
    "pending_item": {
        "en": "{what} at {time}",
        "es": "{what} a las {time}",
        "de": "{what} um {time}",
        "fr": "{what} à {time}",
        "it": "{what} alle {time}",
        "pt": "{what} às {time}",
    },
    "timer_item": {
        "en": "timer for {duration}",
        "es": "temporizador de {duration}",
        "de": "Timer über {duration}",
        "fr": "minuteur de {duration}",
        "it": "timer di {duration}",
        "pt": "temporizador de {duration}",
    },
    "cancelled": {
        "en": "Cancelled {count}.",
        "es": "Cancelado: {count}.",
        "de": "Abgebrochen: {count}.",
        "fr": "Annulé : {count}.",
        "it": "Annullato: {count}.",
        "pt": "Cancelado: {count}.",
    },
    "nothing_to_cancel": {
        "en": "There was nothing to cancel.",
        "es": "No había nada que cancelar.",
        "de": "Es gab nichts abzubrechen.",
        "fr": "Il n'y avait rien à annuler.",
        "it": "Non c'era niente da annullare.",
        "pt": "Não havia nada para cancelar.",
    },
    "noted": {
        "en": "Noted: {what}.",
        "es": "Anotado: {what}.",
        "de": "Notiert: {what}.",
        "fr": "C'est noté : {what}.",
        "it": "Annotato: {what}.",
        "pt": "Anotado: {what}.",
    },
    "no_notes": {
        "en": "You have no notes.",
        "es": "No tienes notas.",
        "de": "Du hast keine Notizen.",
        "fr": "Tu n'as aucune note.",
        "it": "Non hai note.",
        "pt": "Você não tem notas.",
    },
    "notes": {
        "en": "Your notes: {items}.",
        "es": "Tus notas: {items}.",
        "de": "Deine Notizen: {items}.",
        "fr": "Tes notes : {items}.",
        "it": "Le tue note: {items}.",
        "pt": "As suas notas: {items}.",
    },
    "notes_deleted": {
        "en": "Deleted {count}.",
        "es": "Borradas: {count}.",
        "de": "Gelöscht: {count}.",
        "fr": "Supprimées : {count}.",
        "it": "Cancellate: {count}.",
        "pt": "Apagadas: {count}.",
    },
    "no_such_note": {
        "en": 'There is no such note; say "read my notes" to hear their numbers.',
        "es": 'No existe esa nota; di "lee mis notas" para oír sus números.',
    },
    "result": {
        "en": "That's {value}.",
        "es": "Son {value}.",
        "de": "Das ergibt {value}.",
        "fr": "Ça fait {value}.",
        "it": "Fa {value}.",
        "pt": "Dá {value}.",
    },
    "converted": {
        "en": "{amount} {source} is {value} {target}.",
        "es": "{amount} {source} son {value} {target}.",
        "de": "{amount} {source} sind {value} {target}.",
        "fr": "{amount} {source} font {value} {target}.",
        "it": "{amount} {source} sono {value} {target}.",
        "pt": "{amount} {source} são {value} {target}.",
    },
    "calc_syntax": {
        "en": 'I could not read that as a calculation; say it as, for example, "what is 12 times 7".',
        "es": 'No he podido entenderlo como un cálculo; dilo, por ejemplo, como "cuánto es 12 por 7".',
    },
    "calc_zero": {
        "en": "That divides by zero, which has no answer; check the numbers.",
        "es": "Eso divide entre cero, que no tiene resultado; revisa los números.",
    },
    "calc_large": {
        "en": "That number is too large to say; try a smaller calculation.",
        "es": "Ese número es demasiado grande para decirlo; prueba un cálculo más pequeño.",
    },
    "calc_units": {
        "en": "Those units measure different things, so one cannot be converted into the other.",
        "es": "Esas unidades miden cosas distintas, así que no se puede convertir una en otra.",
    },
    "calc_unknown_unit": {
        "en": "I don't know the unit {unit}; I convert lengths, weights, volumes, times, speeds and temperatures.",
        "es": "No conozco la unidad {unit}; convierto longitudes, pesos, volúmenes, tiempos, velocidades y"
        " temperaturas.",
        "de": "Die Einheit {unit} kenne ich nicht; ich rechne Längen, Gewichte, Volumen, Zeiten, Geschwindigkeiten"
        " und Temperaturen um.",
        "fr": "Je ne connais pas l'unité {unit} ; je convertis longueurs, poids, volumes, durées, vitesses et"
        " températures.",
        "it": "Non conosco l'unità {unit}; converto lunghezze, pesi, volumi, tempi, velocità e temperature.",
        "pt": "Não conheço a unidade {unit}; converto comprimentos, pesos, volumes, tempos, velocidades e"
        " temperaturas.",
    },
    "timer_range": {
        "en": "A timer or reminder can run from one second to a year; say how long again.",
        "es": "Un temporizador o recordatorio puede durar de un segundo a un año; dime otra vez cuánto.",
        "de": "Ein Timer oder eine Erinnerung kann eine Sekunde bis ein Jahr laufen; sag noch einmal, wie lange.",
        "fr": "Un minuteur ou un rappel peut durer d'une seconde à un an ; redis-moi combien de temps.",
        "it": "Un timer o un promemoria può durare da un secondo a un anno; ripetimi quanto.",
        "pt": "Um temporizador ou lembrete pode durar de um segundo a um ano; diz-me outra vez quanto tempo.",
    },
    "no_more": {
        "en": "That's all I have on that.",
        "es": "Eso es todo lo que tengo sobre eso.",
        "de": "Mehr habe ich dazu nicht.",
        "fr": "C'est tout ce que j'ai là-dessus.",
        "it": "È tutto quello che ho su questo.",
        "pt": "É tudo o que tenho sobre isso.",
    },
    "no_database": {
        "en": "I can't keep that: {reason}",
        "es": "No puedo guardarlo: {reason}",
    },
}

WEEKDAYS = {
    "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
    "es": "lunes martes miércoles jueves viernes sábado domingo",
    "de": "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag",
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche",
    "it": "lunedì martedì mercoledì giovedì venerdì sabato domenica",
    "pt": "segunda-feira terça-feira quarta-feira quinta-feira sexta-feira sábado domingo",
}
MONTHS = {
    "en": "January February March April May June July August September October November December",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
}


def say(key: str, language: str, **values: object) -> str:
    lines = SAY[key]
    return lines.get(language, lines["en"]).format(**values)


def clock(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def date_sentence(moment: datetime, language: str) -> str:
    lang = language if language in WEEKDAYS else "en"
    return say(
        "date",
        lang,
        weekday=WEEKDAYS[lang].split()[moment.weekday()],
        month=MONTHS[lang].split()[moment.month - 1],
        day=moment.day,
        year=moment.year,
    )
