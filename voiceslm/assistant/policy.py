"""The assistant's safety policy: rules before the model runs, and a check of what it writes.

A small model running offline has nobody's policy in front of it, so this layer
is. `classify` reads the request before any model sees it: serious harm
(weapons and explosives, drug synthesis, poisoning, breaking into someone's
accounts, stalking, threats, fraud) gets a brief polite refusal; first-person
talk of suicide or self-harm gets a short warm answer that points to people
and emergency services, never a method. `OutputGuard` reads the model's reply
sentence by sentence as it streams and cuts it, with the refusal, at the first
sentence that gives harmful instructions. Both are word rules (see
`policy_rules` and `policy_contexts`); after them two learned layers read what the rules would answer, an
n-gram classifier (`policy_classifier`) and a sentence encoder that reads meaning (`policy_encoder`). All
can be wrong either way; the red-team sets measure how often.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from voiceslm.assistant import policy_contexts as contexts
from voiceslm.assistant import policy_rules as rules
from voiceslm.assistant.policy_language import answer_language
from voiceslm.assistant.policy_selfharm import self_harm
from voiceslm.assistant.policy_spelling import mend
from voiceslm.intents import normalize

if TYPE_CHECKING:
    from voiceslm.assistant.policy_classifier import Classifier
    from voiceslm.assistant.policy_encoder import Head

log = logging.getLogger(__name__)

Action = Literal["answer", "refuse", "support"]

REFUSALS = {
    "en": "Sorry, I can't help with that, because it could seriously hurt someone.",
    "es": "Lo siento, no puedo ayudar con eso, porque podría hacer daño grave a alguien.",
    "de": "Tut mir leid, dabei kann ich nicht helfen, weil es jemandem ernsthaft schaden könnte.",
    "fr": "Désolé, je ne peux pas aider avec ça, car cela pourrait gravement blesser quelqu'un.",
    "it": "Mi dispiace, non posso aiutare con questo, perché potrebbe fare del male a qualcuno.",
    "pt": "Desculpe, não posso ajudar com isso, porque poderia causar um dano grave a alguém.",
}
SUPPORT = {
    "en": "I'm really sorry you're feeling this way, and I'm glad you said it. You don't have to face this alone: "
    "please tell someone near you right now, a friend, a family member or a neighbour. If you might act on "
    "these thoughts, call your local emergency number now, 112 in Europe or 911 in North America.",
    "es": "Siento mucho que te sientas así, y me alegra que lo hayas dicho. No tienes que pasar por esto solo: "
    "cuéntaselo ahora a alguien cercano, un amigo, un familiar o un vecino. Si puedes llegar a hacerte daño, "
    "llama ya a tu número de emergencias, el 112 en Europa o el 911 en América.",
    "de": "Es tut mir sehr leid, dass es dir so geht, und gut, dass du es sagst. Du musst da nicht allein durch: "
    "sag es jetzt jemandem in deiner Nähe, einem Freund, der Familie oder einem Nachbarn. Wenn du fürchtest, dir "
    "etwas anzutun, ruf sofort den Notruf an, die 112.",
    "fr": "Je suis vraiment désolé que tu te sentes ainsi, et je suis content que tu le dises. Tu n'as pas à "
    "traverser ça seul : parles-en maintenant à quelqu'un près de toi, un ami, un proche ou un voisin. Si tu "
    "risques de passer à l'acte, appelle tout de suite les urgences, le 112.",
    "it": "Mi dispiace davvero che tu stia così, e sono contento che tu l'abbia detto. Non devi affrontarlo da "
    "solo: parlane adesso con qualcuno vicino a te, un amico, un familiare o un vicino. Se temi di farti del "
    "male, chiama subito il numero di emergenza, il 112.",
    "pt": "Sinto muito que você esteja se sentindo assim, e ainda bem que falou. Você não precisa passar por isso "
    "sozinho: conte agora a alguém perto de você, um amigo, um familiar ou um vizinho. Se puder chegar a se "
    "machucar, ligue já para o número de emergência, o 112 na Europa ou o 192 no Brasil.",
}

@dataclass(frozen=True)
class Verdict:
    """What the policy makes of a request."""

    action: Action
    category: str = ""
    """For "refuse": the kind of harm ("weapons", "fraud", ...); "selfharm" for "support"."""
    language: str = "en"
    """The language to answer in: the request's own, when it is clearly one of the six."""

    @property
    def message(self) -> str:
        """The whole answer for "refuse" and "support"; empty for "answer"."""
        if self.action == "refuse":
            return refusal(self.language)
        if self.action == "support":
            return SUPPORT.get(self.language, SUPPORT["en"])
        return ""


def refusal(language: str) -> str:
    return REFUSALS.get(language, REFUSALS["en"])


@dataclass(frozen=True)
class Settings:
    """The policy's learned layers: `assistant.policy_classifier`, `assistant.policy_threshold`,
    `assistant.policy_encoder` (in the model store `store`), `assistant.policy_encoder_threshold` and
    `assistant.policy_combined_threshold`."""

    classifier: bool = True
    threshold: float = 0.95
    encoder: str = ""
    encoder_threshold: float = 0.97
    store: Path | None = None
    combined_threshold: float = 0.75


_settings = Settings()


def configure(
    classifier: bool,
    threshold: float,
    encoder: str = "",
    encoder_threshold: float = 0.97,
    store: Path | None = None,
    combined_threshold: float = 0.75,
) -> None:
    """Turn the learned layers on or off, and set their thresholds, for this process."""
    global _settings
    _settings = Settings(classifier, threshold, encoder, encoder_threshold, store, combined_threshold)


def settings() -> Settings:
    return _settings


def learned_action(probabilities: dict[str, float], threshold: float) -> Action:
    """The classifier's own verdict: declined when the chance of harm (to others or to oneself) is above
    `threshold`, with the supportive answer when self-harm is the likelier of the two."""
    refuse, support = probabilities["refuse"], probabilities["support"]
    if refuse + support <= threshold:
        return "answer"
    return "support" if support > refuse else "refuse"


def classify(
    text: str,
    language: str = "en",
    classifier: Classifier | None | Literal["default"] = "default",
    threshold: float | None = None,
    encoder: Head | None | Literal["default"] = "default",
    encoder_threshold: float | None = None,
    combined_threshold: float | None = None,
) -> Verdict:
    """The policy's verdict on a request, before any model runs.

    The rules first (`policy_rules.harm_rule`); a request naming only a harmless thing of a harmful
    name (a bath bomb) is answered; any other request the rules would answer is read by the learned layers too:
    the n-gram classifier (`classifier`: "default" for the configured one, None for none) and the
    sentence encoder's head (`encoder`, the same). Each declines it when its chance of harm is above its
    threshold (default: the configured one), and, with both, so does the mean of their chances above
    `combined_threshold` (two layers fairly sure are surer than either alone); the supportive answer
    when any of them finds self-harm the likelier.
    """
    reply_in = answer_language(text, language)
    said = mend(normalize(text), reply_in)
    if self_harm(contexts.KILL_ME_IDIOM.sub(" ", said)):
        return Verdict("support", "selfharm", reply_in)
    if contexts.HARMLESS_NAMES.search(said):
        if category := rules.harm_rule(said):
            return Verdict("refuse", category, reply_in)
        return Verdict("answer", language=reply_in)
    if category := rules.harm_rule(said):
        return Verdict("refuse", category, reply_in)
    actions = []
    chances = []
    if (model := _classifier(classifier)) is not None:
        limit = _settings.threshold if threshold is None else threshold
        chances.append(model.probabilities(text))
        actions.append((learned_action(chances[-1], limit), "learned"))
    if (head := _encoder(encoder)) is not None:
        limit = _settings.encoder_threshold if encoder_threshold is None else encoder_threshold
        chances.append(head.probabilities(text))
        actions.append((learned_action(chances[-1], limit), "meaning"))
    if len(chances) == 2:
        limit = _settings.combined_threshold if combined_threshold is None else combined_threshold
        mean = {name: (chance + chances[1][name]) / 2 for name, chance in chances[0].items()}
        actions.append((learned_action(mean, limit), "combined"))
    for wanted in ("support", "refuse"):
        for action, layer in actions:
            if action == wanted:
                return Verdict(action, "selfharm" if action == "support" else layer, reply_in)
    return Verdict("answer", language=reply_in)


def _classifier(classifier: Classifier | None | Literal["default"]) -> Classifier | None:
    if classifier != "default":
        return classifier
    if not _settings.classifier:
        return None
    from voiceslm.assistant.policy_classifier import default_classifier

    return default_classifier()


def _encoder(encoder: Head | None | Literal["default"]) -> Head | None:
    if encoder != "default":
        return encoder
    if not _settings.encoder or _settings.store is None:
        return None
    from voiceslm.assistant.policy_encoder import default_head

    return default_head(_settings.store, _settings.encoder)


def harmful_output(sentence: str, context: str = "", language: str = "en") -> bool:
    """Whether a sentence of the model's reply (with the one before it) gives harmful instructions.

    A small model that goes along with a request mostly says it back first ("To hack into your ex's
    account, ..."), so the request rules are read again over the reply in the first person; a reply
    that names harmful materials next to an instruction is cut too.
    """
    said = mend(normalize(f"{context} {sentence}"), language)
    as_request = contexts.SECOND_PERSON.sub(lambda m: contexts.FIRST_PERSON[m.group(0)], said)
    if rules.harm_rule(as_request):
        return True
    if self_harm(as_request) and contexts.SELF_HARM_METHOD.search(said):
        return True
    return bool(contexts.OUTPUT_TERMS.search(said) and contexts.OUTPUT_INSTRUCTIONS.search(said))


class OutputGuard:
    """Reads a reply sentence by sentence and says when to cut it."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.tripped = False
        self._previous = ""

    def check(self, sentence: str) -> bool:
        """True if `sentence` may be spoken; False (and tripped from then on) if the reply must stop here."""
        if self.tripped:
            return False
        if harmful_output(sentence, self._previous, self.language):
            self.tripped = True
            log.warning("the model began harmful instructions; its reply was cut and replaced")
            return False
        self._previous = sentence
        return True


def guard_sentences(sentences: Iterable[str], language: str) -> Iterator[str]:
    """The sentences up to the first harmful one, then the refusal instead of the rest.

    Stops reading `sentences` at that point, so a model streaming them stops too.
    """
    guard = OutputGuard(language)
    iterator = iter(sentences)
    try:
        for sentence in iterator:
            if not guard.check(sentence):
                yield refusal(language)
                return
            yield sentence
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()
