"""First-person talk of suicide or self-harm, in en, es, de, fr, it and pt: answered with support, never a method.

Matched, like `policy_rules`, against text normalised by `voiceslm.intents.normalize`. `SELF_HARM` holds
the phrases that say it on their own; `_TOGETHER` the pairs that say it only together ("how long does it
take to die" with "if one stops eating"; "I can't take it any more" with a high roof; a farewell with
one's affairs settled), each half of which alone is an everyday sentence.
"""

from __future__ import annotations

import re

from voiceslm.assistant.policy_words import all_of

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
    r"mi faccio (?:del )?male (?:apposta|da sol[oa]|di proposito|sulle braccia|sui polsi|sulle gambe)|"
    r"me hago dano (?:a proposito|en los brazos|a mi mismo)|(?:don t|do not) think i ll be (?:around|here) much longer|"
    r"(?:me jeter|tirarme|lanzarme|mich|buttarmi|me jogar) (?:\w+ )?(?:sous un|bajo un|vor (?:einen|den)|"
    r"sotto (?:un|il)|na frente do|na frente de um|debaixo de um) (?:train|tren|zug|treno|trem)|"
    r"(?:throw(?:ing)? myself|jump(?:ing)?|step(?:ping)?) (?:in front of|under) (?:a|the) train|"
    r"ritz(?:e|t) (?:mich|sich)|(?:everyone|everybody|they|all) (?:\w+ )?(?:would|d) be better off without me|"
    r"(?:alle|jeder) (?:waren|ware) (?:\w+ ){0,2}ohne mich besser dran|estarian mejor sin mi|seraient mieux sans moi|"
    r"starebbero meglio senza (?:di )?me|ficariam melhor sem mim|"
    r"(?:no one|nobody) would (?:even )?miss me|nadie me echaria de menos|ninguem (?:ia|vai|iria) sentir (?:a )?minha "
    r"falta|personne ne (?:me regretterait|remarquerait mon absence)|niemand wurde mich vermissen|"
    r"nessuno sentirebbe la mia mancanza|"
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
    r"won ?t need (?:\w+ ){0,3}(?:soon|much longer|where i m going|after this (?:weekend|week))|"
    r"brauch\w* (?:\w+ ){0,3}bald nicht mehr|"
    r"pronto ya no (?:\w+ ){0,2}(?:necesit|hara falta)\w*|bientot plus besoin|presto non mi servir\w*|"
    r"em breve nao vou (?:mais )?precisar|"
    r"(?:paracetamol|acetaminophen|tylenol|pills|pastillas|tabletten|comprimes|pillole|comprimidos) (?:\w+ ){0,6}"
    r"(?:liver|higado|leber|foie|fegato|figado) (?:\w+ ){0,2}(?:to stop|stops|to fail|fails|deje de funcionar|"
    r"versagt|lache|smetta|pare de funcionar)|"
    r"hang(?:ing)? (?:myself|himself|herself|oneself|yourself)|(?:se|me) pendre|ahorcar(?:me|se)|"
    r"impiccar(?:mi|si)|(?:me|se) enforcar|(?:sich|mich) (?:\w+ )?(?:erhangen|aufhangen))\b"
)
"""First-person talk of suicide or self-harm: answered with support, never a method."""


_MEDICINES = (
    r"paracetamol|acetaminophen|tylenol|ibuprofen\w*|aspirin\w*|pills|tablets|sleeping pills|insulin\w*|"
    r"pastillas|pildoras|tabletten|schlaftabletten|comprimes|cachets|pillole|compresse|comprimidos|remedios|"
    r"medikament\w*|medicament\w*|medicamentos?|farmaci|benzos?|xanax|valium|diazepam|tramadol|morphin\w*|"
    r"codein\w*|antidepressants?|potasio|potassium|kalium|potassio"
)
_LETHAL = (
    r"lethal|deadly|fatal|kill (?:you|a person|someone|me)|todlich\w*|letal\w*|mortal\w*|mortel\w*|mortale|"
    r"mortali|da morire|para morir|pour mourir|zum sterben"
)
_HOW_LONG_TO_DIE = (
    r"(?:how long|cuanto tiempo|cuanto tarda|wie lange|combien de temps|quanto tempo|quanto ci (?:mette|vuole)|"
    r"quanto demora) (?:\w+ ){0,6}(?:to die|die|dies|morir\w*|sterben|stirbt|mourir|meurt|morire|muore|morrer|morre)"
)
_STOP_EATING = (
    r"(?:stop\w*|quit\w*) (?:eating|drinking)|deja\w* de (?:comer|beber)|(?:aufhort|aufhoren|aufhore) zu (?:essen|"
    r"trinken)|nicht(?:s)? mehr (?:isst|esse|trinkt|essen|trinken)|arret\w* de (?:manger|boire)|"
    r"smett\w* di (?:mangiare|bere)|par(?:a|ar|ou) de (?:comer|beber)"
)
_EXHAUST = (
    r"car exhaust|exhaust fumes|car s gas|gaz (?:de la voiture|d echappement)|tubo de escape|gases del coche|"
    r"auspuff\w*|abgase?|gas di scarico|gas (?:da|de la|della) (?:macchina|auto)|escapamento|carbon monoxide|"
    r"monoxyde de carbone|monoxido de carbono|kohlenmonoxid|monossido di carbonio|charcoal (?:grill|bbq) indoors|"
    r"garage (?:\w+ ){0,6}(?:motor lauft|engine (?:is )?running|motor encendido|moteur (?:qui )?tourne|motore acceso|"
    r"motor ligado)"
)
_PAINLESSLY_GO = (
    r"(?:go|leave|die|fall asleep|slip away|partir|m en aller|mourir|s endormir|irse|irme|morir|dormirse|"
    r"gehen|sterben|einschlafen|andarsene|andarmene|morire|addormentarsi|ir embora|morrer|dormir) "
    r"(?:\w+ ){0,2}(?:painlessly|without (?:any )?pain|sans (?:\w+ )?douleur|sin dolor|schmerzlos|ohne schmerzen|"
    r"senza dolore|sem dor)"
)
_DESPAIR = (
    r"(?:can t|cannot|can not) (?:take|stand|bear|do) (?:it|this) any ?more|i m done with (?:everything|it all|life)|"
    r"ya no (?:aguanto|puedo) mas|no aguanto mas|ich (?:halt\w*|ertrag\w*) (?:es|das) nicht mehr (?:aus)?|"
    r"ich kann nicht mehr|je n en peux plus|j en peux plus|non ce la faccio piu|non ne posso piu|"
    r"(?:nao|ja nao) aguento mais|nao consigo mais|ya no aguanto$|i can t anymore$|je n en peux plus$"
)
_HIGH_PLACE = (
    r"(?:high|tall|highest|tallest) (?:\w+ )?(?:roof\w*|bridges?|buildings?|cliffs?|towers?|balcon\w*)|"
    r"(?:azoteas?|tejados?|puentes?|edificios?|torres?|dach\w*|brucken?|hochhaus\w*|toits?|pont|immeubles?|tours?|"
    r"tetti?|terrazz\w*|ponti?|palazz\w*|predios?|telhados?|terracos?) (?:\w+ )?(?:alt[oiae]s?|hohe\w*|haut\w*|"
    r"hoch\w*)|hohe\w* (?:brucke|dach|hochhaus|turm)|(?:roof|rooftop|bridge|cliff|tower) (?:\w+ ){0,3}(?:high|tall)"
)
"""A high place, not just a roof: "a roof that leaks" is no such thing."""
_JUMP_OFF = (
    r"(?:tirar(?:me|se)|lanzar(?:me|se)|aventar(?:me|se)|jump\w* (?:off|from)|throw(?:ing)? myself (?:off|from)|"
    r"(?:runter|hinunter|herunter)?spring\w*|sauter|me jeter|buttar(?:mi|si)|lanciar(?:mi|si)|pular|me jogar) "
    r"(?:\w+ ){0,3}(?:del|de la|desde|off|from|von|vom|der|du|de|d un|d une|dal|dalla|da|do) (?:\w+ )?"
    r"(?:roof\w*|bridges?|buildings?|cliffs?|towers?|balcon\w*|azoteas?|tejados?|puentes?|edificios?|torres?|"
    r"dach\w*|brucken?|hochhaus\w*|toits?|pont|immeubles?|tours?|tetti?|ponti?|palazz\w*|predios?|telhados?)"
)
_THINKING = (
    r"thinking (?:about|of)|pensando en|estoy pensando|denke (?:daran|an)|je pense a|penso (?:di|a)|sto pensando|"
    r"pensando em"
)
_UNSTOPPED = (
    r"without (?:anyone|anybody|somebody|someone|people) (?:\w+ )?(?:stopping|seeing|noticing)|"
    r"sin que nadie (?:me |te |lo |le )?(?:pare|detenga|vea|impida)|ohne dass (?:mich |einen )?(?:jemand|einer) "
    r"(?:\w+ )?(?:aufhalt|sieht|stoppt)|sans que personne (?:ne )?(?:m |me |t |te )?(?:arrete|voie|empeche)|"
    r"senza che nessuno (?:mi |ti )?(?:fermi|veda)|sem que ninguem (?:me |te )?(?:pare|impeca|veja)"
)
_NEVER_FOUND = (
    r"(?:where|somewhere|ou|donde|wo|dove|onde) (?:no one|nobody|noone|personne|nadie|niemand|nessuno|ninguem) "
    r"(?:\w+ ){0,3}(?:find\w*|trouver\w*|encontr\w*|find\w*|trova\w*|achar\w*)"
)
_FOR_LONG = (
    r"for (?:a )?long(?: time)?|ever|again|for days|pendant longtemps|avant longtemps|jamais|de sitot|"
    r"en mucho tiempo|nunca|jamas|(?:so )?bald nicht|nie(?:mals)?|lange nicht|per molto tempo|mai piu|"
    r"por muito tempo|tao cedo"
)
_SETTLED = (
    r"(?:put|got|have) (?:all )?my affairs in order|the letter is on the table|der brief liegt|la lettre est sur|"
    r"la carta esta sobre|la lettera e sul|a carta esta (?:na|em cima)|(?:my )?(?:will|testament|testamento) (?:is )?"
    r"(?:written|done|fatto|hecho|feito|geschrieben)|(?:the|my|die|meine|el|mi|le|mon|ma|il|la|o|a|meu) "
    r"(?:cat|dog|katze|hund|gato|perro|chat|chien|gatto|cane|cachorro) (?:is|ist|esta|est|e|sta) "
    r"(?:now )?(?:with|bei|con|chez|com)"
)
"""One's things put in order for after: a letter left on the table, the cat with a sister."""
_SORTED = (
    r"(?:sorted|arranged|settled) everything|everything is (?:sorted|arranged|settled|taken care of)|"
    r"alles (?:\w+ )?geregelt|alles erledigt|todo (?:esta )?(?:arreglado|organizado|resuelto)|"
    r"lo (?:he )?(?:dejado|arreglado) todo|tout (?:est )?(?:regle|organise|en ordre)|j ai tout (?:regle|organise|"
    r"range)|(?:ho )?sistemato tutto|tutto (?:e )?sistemato|deixei tudo (?:arrumado|resolvido|organizado)|"
    r"tudo (?:esta )?resolvido"
)
_FOREVER = (
    r"forever|for good|one last time|for the last time|zum letzten mal|fur immer|para siempre|por ultima vez|"
    r"pour toujours|une derniere fois|per sempre|un ultima volta|pra sempre|para sempre|uma ultima vez"
)
_FAREWELL = (
    r"(?:say|said) (?:goodbye|bye)|(?:tschuss|auf wiedersehen|lebewohl) sagen|mich verabschieden|"
    r"(?:despedirme|decir adios)|dire (?:au revoir|adieu)|(?:salutarti|dirti addio|dire addio)|"
    r"(?:dizer adeus|me despedir|dizer tchau)|verabschied\w*"
)
_GOODBYE = rf"{_FAREWELL}|goodbye|adios|tschuss|adieu|addio|adeus"
_ONLY_ONE = (
    r"(?:only one|only person) (?:\w+ ){0,3}(?:listen\w*|cared|understood)|(?:le seul|la seule) (?:\w+ ){0,2}"
    r"(?:a m ecouter|qui m (?:a|ait) (?:ecoute|compris))|(?:el unico|la unica) (?:\w+ ){0,3}(?:escuch\w*|entend\w*)|"
    r"(?:der|die) einzige (?:\w+ ){0,4}(?:zugehort|verstanden)|"
    r"(?:l unico|l unica) (?:\w+ ){0,3}(?:ascoltat\w*|capit\w*)|"
    r"(?:o unico|a unica) (?:\w+ ){0,3}(?:ouviu|escutou|entendeu)"
)
"""Thanks to the one who listened, said with a goodbye: "merci t'as été le seul à m'écouter"."""
_GAVE_AWAY = (
    r"(?:given|gave|giving) away (?:\w+ ){0,3}(?:stuff|things|belongings)|regal\w* (?:\w+ ){0,3}(?:mis )?cosas|"
    r"verschenk\w* (?:\w+ ){0,3}sachen|donne (?:\w+ ){0,3}(?:mes )?affaires|regalat\w* (?:\w+ ){0,3}cose|"
    r"(?:dei|doei|doando) (?:\w+ ){0,3}coisas"
)
_THE_DAY = (
    r"tomorrow is the day(?! (?:of|for|we|i m|i move))|manana es el dia(?! de| del| en| que)|morgen ist es so weit|"
    r"demain c est le jour(?! de| du| ou)|domani e il giorno(?! di| del| in)|amanha e o dia(?! de| do| em)|"
    r"(?:just|only) wanted (?:someone|somebody) to know|solo queria que alguien lo supiera"
)
_TOGETHER = re.compile(
    "|".join(
        (
            all_of(_MEDICINES, rf"(?:how (?:much|many)|wie viel\w*|cuant[oa]s?|combien|quant[oea]s?) (?:\w+ ){{0,5}}"
                   rf"(?:is|are|would be|ist|sind|es|son|est|sont|e|sono|seria|sera|waren|ware) (?:\w+ ){{0,2}}"
                   rf"(?:{_LETHAL})"),
            all_of(_HOW_LONG_TO_DIE, _STOP_EATING),
            all_of(_EXHAUST, rf"{_HOW_LONG_TO_DIE}|how long (?:would it|does it|will it) take|combien de temps|"
                   r"wie lange|cuanto tiempo|quanto tempo|painless\w*|sans douleur|sin dolor|schmerzlos"),
            all_of(_PAINLESSLY_GO),
            all_of(_DESPAIR, rf"{_HIGH_PLACE}|{_MEDICINES}|{_UNSTOPPED}|{_NEVER_FOUND}"),
            all_of(_HIGH_PLACE, _UNSTOPPED),
            all_of(_JUMP_OFF, rf"{_DESPAIR}|{_THINKING}"),
            all_of(r"(?:burn\w*|cut|cutting|hurt\w*|hit\w*|scratch\w*|starv\w*) myself",
                   r"relaps\w*|(?:been|was|stayed) clean|clean for|(?:again|tonight) after"),
            all_of(r"bleed(?:ing)? out", r"wrists?|veins?|myself|kind of me"),
            all_of(_NEVER_FOUND, _FOR_LONG),
            all_of(_ONLY_ONE, rf"{_GOODBYE}|au revoir"),
            all_of(_GAVE_AWAY, _THE_DAY),
            all_of(_MEDICINES, r"(?:il|elle) (?:n )?en peut plus|(?:he|she) can t take it any ?more|"
                   r"(?:er|sie) kann nicht mehr|ya no (?:aguanta|puede) mas|non ce la fa piu|"
                   r"(?:ele|ela) nao aguenta mais"),
            all_of(r"roof|bridge|ledge|dach|brucke|toit|pont|tetto|ponte|azotea|puente|terraco|predio|edificio|palazzo",
                   r"(?:don t|do not) know if i (?:want to|wanna) (?:come|get) down|nao sei se quero descer|"
                   r"no se si quiero bajar|weiss nicht ob ich (?:wieder )?runter\w* will|"
                   r"(?:je )?(?:ne )?sais pas si je veux descendre|non so se voglio scendere"),
            all_of(_SETTLED, _GOODBYE),
            all_of(_SORTED, _GOODBYE, _FOREVER),
        )
    )
)  # fmt: skip


def self_harm(said: str) -> bool:
    """Whether normalised `said` talks of suicide or self-harm, in one phrase or in two that say it together."""
    return bool(SELF_HARM.search(said) or _TOGETHER.match(said))
