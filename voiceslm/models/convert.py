"""Convert a language model to a CTranslate2 int8 directory usable with no torch.

Run as a separate process by the installer (`python -m voiceslm.models.convert`)
so the gigabytes torch and transformers take (3.9 GB peak for Qwen 0.5B) go
back to the OS when it exits, and the main process never imports them:

    python -m voiceslm.models.convert gguf MODEL.gguf OUT_DIR --work WORK_DIR
    python -m voiceslm.models.convert hf HF_DIR OUT_DIR

The output holds what CTranslate2 writes (model.bin, config.json,
vocabulary.json) plus the tokenizer files copied from the source, with the
chat template stored in tokenizer_config.json under "chat_template" so the
`tokenizers` and `jinja2` packages alone can build prompts at run time.
On success the last line on stdout is a JSON summary. Exit status 3 with one
sentence on stderr means the conversion packages are not installed.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

MISSING_EXTRA_EXIT = 3
MISSING_EXTRA = (
    "Converting a language model needs torch and transformers, which are not installed; "
    "install the convert extra with: pip install 'voiceslm[convert]'"
)

# Tokenizer and generation files worth keeping next to the weights, whichever exist.
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "generation_config.json",
    "chat_template.jinja",
    "chat_template.json",
    "tokenizer.model",
    "sentencepiece.bpe.model",
    "source.spm",
    "target.spm",
    "vocab.json",
)


def gguf_to_hf(gguf: Path, hf_dir: Path) -> None:
    """Dequantise a GGUF file into a float32 Hugging Face checkpoint with its tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    # The weights are plain float32 now; without this save_pretrained refuses
    # ("quantized with gguf") and the converter rejects the leftover config key.
    model.hf_quantizer = None  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(str(hf_dir))
    tokenizer.save_pretrained(str(hf_dir))
    del model, tokenizer
    gc.collect()


def hf_to_ct2(hf_dir: Path, out_dir: Path) -> None:
    """Convert a Hugging Face checkpoint to CTranslate2 int8, keeping its tokenizer files."""
    import ctranslate2.converters

    ensure_tokenizer_json(hf_dir)
    copy_files = [name for name in TOKENIZER_FILES if (hf_dir / name).is_file()]
    converter = ctranslate2.converters.TransformersConverter(str(hf_dir), copy_files=copy_files)
    converter.convert(str(out_dir), quantization="int8", force=True)
    embed_chat_template(out_dir)


def ensure_tokenizer_json(hf_dir: Path) -> None:
    """Write tokenizer.json when a checkpoint ships only a slow (sentencepiece) tokenizer."""
    if (hf_dir / "tokenizer.json").is_file():
        return
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(hf_dir), use_fast=True)
    except (OSError, ValueError):
        return  # Marian-style models tokenise with their .spm files instead.
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        backend.save(str(hf_dir / "tokenizer.json"))


def embed_chat_template(model_dir: Path) -> None:
    """Store the chat template inside tokenizer_config.json, where run-time code looks for it.

    transformers 5 saves it beside the config as chat_template.jinja (older
    versions inside the config, or in chat_template.json); the file is kept too.
    """
    config_path = model_dir / "tokenizer_config.json"
    config: dict[str, Any] = json.loads(config_path.read_text(encoding="utf-8")) if config_path.is_file() else {}
    if config.get("chat_template"):
        return
    template = None
    if (model_dir / "chat_template.jinja").is_file():
        template = (model_dir / "chat_template.jinja").read_text(encoding="utf-8")
    elif (model_dir / "chat_template.json").is_file():
        template = json.loads((model_dir / "chat_template.json").read_text(encoding="utf-8")).get("chat_template")
    if not template:
        return
    config["chat_template"] = template
    config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def smoke_test(model_dir: Path) -> dict[str, Any]:
    """Build a prompt and generate a few tokens with only ctranslate2, tokenizers and jinja2.

    This is exactly what run time has, so a model that passes here will load there.
    """
    import ctranslate2
    import jinja2.sandbox
    import tokenizers

    tokenizer = tokenizers.Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    config = json.loads((model_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    template = config.get("chat_template")
    if template:
        env = jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        env.globals["raise_exception"] = _raise_template_error
        prompt = env.from_string(template).render(
            messages=[{"role": "user", "content": "Say hello."}],
            add_generation_prompt=True,
            bos_token=_token_text(config.get("bos_token")),
            eos_token=_token_text(config.get("eos_token")),
        )
    else:
        prompt = "English: Good morning.\nSpanish:"
    tokens = tokenizer.encode(prompt, add_special_tokens=not template).tokens
    generator = ctranslate2.Generator(str(model_dir), device="cpu", compute_type="int8", intra_threads=2)
    try:
        result = generator.generate_batch([tokens], max_length=4, sampling_topk=1, include_prompt_in_result=False)
        sample = tokenizer.decode(result[0].sequences_ids[0])
    finally:
        del generator
    return {"chat_template": bool(template), "prompt_tokens": len(tokens), "sample": sample}


def _token_text(token: Any) -> str:
    if isinstance(token, dict):
        return str(token.get("content", ""))
    return token or ""


def _raise_template_error(message: str) -> None:
    import jinja2

    raise jinja2.TemplateError(message)


def build_versions() -> dict[str, str]:
    from importlib import metadata

    versions = {}
    for package in ("ctranslate2", "transformers", "torch", "tokenizers"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    return versions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m voiceslm.models.convert", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    from_gguf = sub.add_parser("gguf", help="GGUF file -> CTranslate2 int8")
    from_gguf.add_argument("source", type=Path)
    from_gguf.add_argument("out", type=Path)
    from_gguf.add_argument("--work", type=Path, required=True, help="scratch directory for the float32 checkpoint")
    from_hf = sub.add_parser("hf", help="Hugging Face checkpoint directory -> CTranslate2 int8")
    from_hf.add_argument("source", type=Path)
    from_hf.add_argument("out", type=Path)
    for each in (from_gguf, from_hf):
        each.add_argument("--no-smoke-test", action="store_true", help="skip generating a few tokens afterwards")
    args = parser.parse_args(argv)

    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        print(MISSING_EXTRA, file=sys.stderr)
        return MISSING_EXTRA_EXIT

    started = time.perf_counter()
    timings: dict[str, float] = {}
    hf_dir = args.source
    if args.mode == "gguf":
        hf_dir = args.work / "hf"
        gguf_to_hf(args.source, hf_dir)
        timings["dequantise_s"] = round(time.perf_counter() - started, 1)
    hf_to_ct2(hf_dir, args.out)
    if args.mode == "gguf":
        # The float32 checkpoint is 4x the GGUF; free the disk before anything else.
        shutil.rmtree(hf_dir, ignore_errors=True)
    timings["convert_s"] = round(time.perf_counter() - started, 1)
    summary: dict[str, Any] = {"versions": build_versions(), "timings": timings}
    if not args.no_smoke_test:
        summary["smoke_test"] = smoke_test(args.out)
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
