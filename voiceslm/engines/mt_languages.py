"""How a dedicated translation model is told its languages, per family.

- marian: one direction per model; multi-target models want a `>>es<<` token
  before the source text.
- nllb: FLORES-200 codes (`eng_Latn`) before the source and as the first target token.
- m2m100: `__en__` before the source and as the first target token.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from voiceslm.engines.text_model import read_model_json
from voiceslm.errors import UserError

# ISO 639-1 (and whisper's) codes to FLORES-200 codes, for the languages NLLB-200 knows.
NLLB_CODES = {
    "af": "afr_Latn", "am": "amh_Ethi", "ar": "arb_Arab", "as": "asm_Beng", "az": "azj_Latn", "ba": "bak_Cyrl",
    "be": "bel_Cyrl", "bg": "bul_Cyrl", "bn": "ben_Beng", "bo": "bod_Tibt", "bs": "bos_Latn", "ca": "cat_Latn",
    "cs": "ces_Latn", "cy": "cym_Latn", "da": "dan_Latn", "de": "deu_Latn", "el": "ell_Grek", "en": "eng_Latn",
    "eo": "epo_Latn", "es": "spa_Latn", "et": "est_Latn", "eu": "eus_Latn", "fa": "pes_Arab", "fi": "fin_Latn",
    "fo": "fao_Latn", "fr": "fra_Latn", "ga": "gle_Latn", "gd": "gla_Latn", "gl": "glg_Latn", "gu": "guj_Gujr",
    "ha": "hau_Latn", "he": "heb_Hebr", "hi": "hin_Deva", "hr": "hrv_Latn", "ht": "hat_Latn", "hu": "hun_Latn",
    "hy": "hye_Armn", "id": "ind_Latn", "ig": "ibo_Latn", "is": "isl_Latn", "it": "ita_Latn", "ja": "jpn_Jpan",
    "jv": "jav_Latn", "jw": "jav_Latn", "ka": "kat_Geor", "kk": "kaz_Cyrl", "km": "khm_Khmr", "kn": "kan_Knda",
    "ko": "kor_Hang", "ky": "kir_Cyrl", "lb": "ltz_Latn", "ln": "lin_Latn", "lo": "lao_Laoo", "lt": "lit_Latn",
    "lv": "lvs_Latn", "mg": "plt_Latn", "mi": "mri_Latn", "mk": "mkd_Cyrl", "ml": "mal_Mlym", "mn": "khk_Cyrl",
    "mr": "mar_Deva", "ms": "zsm_Latn", "mt": "mlt_Latn", "my": "mya_Mymr", "ne": "npi_Deva", "nl": "nld_Latn",
    "nn": "nno_Latn", "no": "nob_Latn", "oc": "oci_Latn", "pa": "pan_Guru", "pl": "pol_Latn", "ps": "pbt_Arab",
    "pt": "por_Latn", "ro": "ron_Latn", "ru": "rus_Cyrl", "sa": "san_Deva", "sd": "snd_Arab", "si": "sin_Sinh",
    "sk": "slk_Latn", "sl": "slv_Latn", "sn": "sna_Latn", "so": "som_Latn", "sq": "als_Latn", "sr": "srp_Cyrl",
    "su": "sun_Latn", "sv": "swe_Latn", "sw": "swh_Latn", "ta": "tam_Taml", "te": "tel_Telu", "tg": "tgk_Cyrl",
    "th": "tha_Thai", "tk": "tuk_Latn", "tl": "tgl_Latn", "tr": "tur_Latn", "tt": "tat_Cyrl", "uk": "ukr_Cyrl",
    "ur": "urd_Arab", "uz": "uzn_Latn", "vi": "vie_Latn", "xh": "xho_Latn", "yi": "ydd_Hebr", "yo": "yor_Latn",
    "yue": "yue_Hant", "zh": "zho_Hans", "zu": "zul_Latn",
}  # fmt: skip

# Whisper's codes that M2M100 spells differently.
M2M100_ALIASES = {"jw": "jv", "nn": "no"}

LANGUAGE_TOKEN = {
    "marian": re.compile(r"^>>\w+<<$"),
    "nllb": re.compile(r"^[a-z]{3}_[A-Z][a-z]{3}$"),
    "m2m100": re.compile(r"^__[a-z]{2,3}__$"),
}
# Languages the caller may not know (speech of unknown language, `--from auto`).
UNKNOWN_SOURCES = ("", "auto")


@dataclass(frozen=True)
class LanguageTokens:
    """The language tokens of one model: before the source text and at the start of the target."""

    family: str
    name: str
    source_vocabulary: frozenset[str]
    target_vocabulary: frozenset[str]
    pair: tuple[str, str] | None = None
    """(source, target) of a one-direction Marian model when its tokenizer config records it."""
    pattern: re.Pattern[str] = field(init=False)
    """What a language token of this family looks like (they are not text in the output)."""
    marian_targets: frozenset[str] = field(init=False)
    """Multi-target Marian models choose the output language with a >>xx<< token."""

    def __post_init__(self) -> None:
        pattern = LANGUAGE_TOKEN[self.family]
        object.__setattr__(self, "pattern", pattern)
        marian = self.family == "marian"
        targets = frozenset(t for t in self.source_vocabulary if marian and pattern.match(t))
        object.__setattr__(self, "marian_targets", targets)

    def prefixes(self, source: str, target: str) -> tuple[list[str], list[str]]:
        """Tokens before the source text and at the start of the target, per family."""
        if self.family == "marian":
            return self._marian(source, target), []
        if source in UNKNOWN_SOURCES:
            raise UserError(
                f"Translation model {self.name} needs to know the language it translates from; "
                "set translate.source (or --from) to a language code such as en."
            )
        if self.family == "nllb":
            source_token, target_token = NLLB_CODES.get(source, source), NLLB_CODES.get(target, target)
        else:
            source_token = f"__{M2M100_ALIASES.get(source, source)}__"
            target_token = f"__{M2M100_ALIASES.get(target, target)}__"
        for language, token, vocabulary in ((source, source_token, self.source_vocabulary),
                                            (target, target_token, self.target_vocabulary)):  # fmt: skip
            if token not in vocabulary:
                raise UserError(
                    f"Translation model {self.name} does not know language {language!r}; "
                    "use an ISO 639-1 code such as en, es or de that the model covers."
                )
        return [source_token], [target_token]

    def _marian(self, source: str, target: str) -> list[str]:
        if self.pair is not None:
            pair_source, pair_target = self.pair
            if target != pair_target or (source not in UNKNOWN_SOURCES and source != pair_source):
                raise UserError(
                    f"Translation model {self.name} translates only {pair_source} to {pair_target}, "
                    f"not {source or 'unknown'} to {target}; install opus-mt-{source or pair_source}-{target} "
                    "and set lm.translate_model to it."
                )
        if not self.marian_targets:
            return []
        wanted = f">>{target}<<"
        if wanted not in self.marian_targets:
            raise UserError(
                f"Translation model {self.name} cannot translate into {target!r}; "
                "choose a target language it lists, or another model."
            )
        return [wanted]


def read_vocabulary(model_dir: Path, side: str) -> frozenset[str]:
    """Tokens of one side of a converted model (shared, or per side), as CTranslate2 saved them."""
    for stem in ("shared_vocabulary", f"{side}_vocabulary"):
        json_path = model_dir / f"{stem}.json"
        if json_path.is_file():
            return frozenset(json.loads(json_path.read_text(encoding="utf-8")))
        text_path = model_dir / f"{stem}.txt"
        if text_path.is_file():
            return frozenset(text_path.read_text(encoding="utf-8").splitlines())
    return frozenset()


def marian_pair(model_dir: Path) -> tuple[str, str] | None:
    """The one direction an opus-mt model translates, when its tokenizer config says so."""
    config = read_model_json(model_dir / "tokenizer_config.json")
    source, target = config.get("source_lang"), config.get("target_lang")
    # Two-letter codes only: multilingual models record group names ("ROMANCE").
    if isinstance(source, str) and isinstance(target, str) and len(source) == 2 and len(target) == 2:
        return source.lower(), target.lower()
    return None
