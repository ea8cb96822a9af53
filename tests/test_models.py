"""The model catalog, store and `voiceslm models` commands, on real models.

The module installs the real whisper-tiny.en (the smallest offline model,
downloaded from the package index) into a temporary store through the CLI
once; tests that damage or interrupt a store work on copies of it.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import typing
from pathlib import Path

import pytest

from voiceslm.config import load_config
from voiceslm.errors import ModelMissingError, UserError
from voiceslm.models import catalog
from voiceslm.models.install import ChecksumError, default_models, install
from voiceslm.models.store import MANIFEST, ModelStore, sha256_file

TINY = "whisper-tiny.en"
DATA = Path(__file__).parent / "data"


def cli_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of a CLI run: no user or system config, store only from --models-dir."""
    env = {k: v for k, v in os.environ.items() if k != "VOICESLM_MODELS"}
    env.update(XDG_CONFIG_HOME=str(tmp / "xdg-config"), VOICESLM_SYSTEM_CONFIG=str(tmp / "no-system.yaml"))
    env.update(extra)
    return env


def voiceslm(
    store: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "voiceslm", "--models-dir", str(store), *args],
        capture_output=True,
        text=True,
        env=env or cli_env(store.parent),
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """A store holding the real whisper-tiny.en, installed through the CLI."""
    store = tmp_path_factory.mktemp("store") / "models"
    first = voiceslm(store, "models", "install", TINY)
    assert first.returncode == 0, first.stderr
    return store, first


@pytest.fixture()
def store_copy(tiny_store: tuple[Path, subprocess.CompletedProcess], tmp_path: Path) -> Path:
    """A private copy of the installed store, for tests that damage or interrupt it."""
    copy = tmp_path / "models"
    shutil.copytree(tiny_store[0], copy)
    return copy


def leftovers(store: Path) -> list[str]:
    return sorted(p.name for p in store.iterdir() if p.name.startswith((".tmp-", ".old-")))


# Installing through the CLI ---------------------------------------------------


def test_install_builds_a_whisper_model_that_loads_and_transcribes(tiny_store):
    from faster_whisper import WhisperModel

    store, first = tiny_store
    assert f"{TINY}: installed in" in first.stdout
    path = voiceslm(store, "models", "path", TINY)
    assert path.returncode == 0
    model_dir = Path(path.stdout.strip())
    assert model_dir == store / TINY

    manifest = json.loads((model_dir / MANIFEST).read_text())
    entry = catalog.get(TINY)
    assert manifest["name"] == TINY and manifest["role"] == "stt"
    assert manifest["inputs"]["model.bin"] == entry.source.files[0].sha256
    assert set(manifest["files"]) == {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    assert leftovers(store) == []

    reference = next(row for row in _manifest_rows() if row["file"] == "en_pocketsphinx_goforward.wav")
    import soundfile

    audio, rate = soundfile.read(DATA / reference["file"], dtype="float32")
    assert rate == 16000
    model = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=2)
    try:
        assert not model.model.is_multilingual
        segments, _ = model.transcribe(audio, beam_size=1, language="en")
        text = " ".join(segment.text for segment in segments)
    finally:
        del model
    heard = set(re.findall(r"[a-z]+", text.lower()))
    expected = set(reference["reference_text"].lower().split())
    assert len(heard & expected) >= len(expected) / 2, text


def _manifest_rows() -> list[dict[str, str]]:
    with (DATA / "manifest.tsv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_reinstalling_an_intact_model_is_a_no_op(tiny_store):
    store, _ = tiny_store
    model_bin = store / TINY / "model.bin"
    before = model_bin.stat()
    again = voiceslm(store, "models", "install", TINY)
    assert again.returncode == 0, again.stderr
    assert "already installed and verified" in again.stdout
    assert "downloading" not in again.stdout
    after = model_bin.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_list_reports_state_and_availability(tiny_store):
    store, _ = tiny_store
    listed = voiceslm(store, "models", "list", "--json", "--verify")
    assert listed.returncode == 0, listed.stderr
    models = {m["name"]: m for m in json.loads(listed.stdout.strip().splitlines()[-1])["models"]}
    assert set(models) == set(catalog.names())
    assert models[TINY]["state"] == "verified"
    assert models["whisper-base"]["state"] == "missing"
    assert models["espeak-ng"]["state"] == "verified"
    assert all(m["offline"] == (catalog.get(name).source.kind != "hub") for name, m in models.items())

    table = voiceslm(store, "models", "list")
    assert table.returncode == 0
    row = next(line for line in table.stdout.splitlines() if line.startswith(TINY + " "))
    assert "installed" in row and "offline" in row and "MIT" in row


def test_verify_catches_a_flipped_byte_and_install_repairs_it(store_copy):
    assert voiceslm(store_copy, "models", "verify").returncode == 0
    model_bin = store_copy / TINY / "model.bin"
    with model_bin.open("r+b") as handle:
        handle.seek(model_bin.stat().st_size // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0xFF]))

    failed = voiceslm(store_copy, "models", "verify", TINY)
    assert failed.returncode == ModelMissingError.exit_code
    assert "damaged" in failed.stderr and "model.bin" in failed.stderr
    assert f"voiceslm models install --force {TINY}" in failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1

    repaired = voiceslm(store_copy, "models", "install", TINY)
    assert repaired.returncode == 0, repaired.stderr
    assert "damaged" in repaired.stdout and "reinstalled" in repaired.stdout
    assert voiceslm(store_copy, "models", "verify", TINY).returncode == 0


def flip_a_byte(path: Path) -> None:
    """Damage a file without changing its size, as a bad sector or a bad copy would."""
    with path.open("r+b") as handle:
        handle.seek(path.stat().st_size // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0xFF]))


def test_a_same_size_damage_is_refused_at_load_not_transcribed(store_copy):
    clip = Path(__file__).resolve().parent / "data" / "en_pocketsphinx_goforward.wav"
    intact = voiceslm(store_copy, "transcribe", str(clip), "--lang", "en")
    assert intact.returncode == 0 and "forward" in intact.stdout.lower(), intact.stderr
    flip_a_byte(store_copy / TINY / "model.bin")
    damaged = voiceslm(store_copy, "transcribe", str(clip), "--lang", "en")
    assert damaged.returncode == ModelMissingError.exit_code, damaged.stdout
    assert damaged.stderr.strip() == (
        f"voiceslm: Model {TINY} is damaged (model.bin does not match its sha256); "
        f"run: voiceslm models install --force {TINY}"
    )


def test_verify_checks_the_catalog_pin_not_only_the_manifest(store_copy):
    model_bin = store_copy / TINY / "model.bin"
    flip_a_byte(model_bin)
    # Someone "fixes" the manifest to match the damaged file: the catalog still pins the original.
    manifest_path = store_copy / TINY / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["model.bin"]["sha256"] = sha256_file(model_bin)
    manifest_path.write_text(json.dumps(manifest))
    failed = voiceslm(store_copy, "models", "verify", TINY)
    assert failed.returncode == ModelMissingError.exit_code
    assert "model.bin does not match its sha256" in failed.stderr
    # Rewriting the recorded inputs is caught even by the quick check.
    manifest["inputs"]["model.bin"] = sha256_file(model_bin)
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ModelMissingError, match="does not match the catalog's checksums"):
        ModelStore(store_copy).require(TINY)


def test_require_is_a_quick_check_naming_the_fix(store_copy):
    store = ModelStore(store_copy)
    assert store.require(TINY) == store_copy / TINY
    assert store.installed() == [TINY, "espeak-ng"]
    with (store_copy / TINY / "tokenizer.json").open("r+b") as handle:
        handle.truncate(100)
    with pytest.raises(ModelMissingError, match=rf"damaged \(tokenizer.json has 100 bytes.*install --force {TINY}"):
        store.require(TINY)
    assert not store.is_installed(TINY)
    shutil.rmtree(store_copy / TINY)
    with pytest.raises(ModelMissingError, match=rf"not installed; run: voiceslm models install {TINY}$"):
        store.require(TINY)
    missing = voiceslm(store_copy, "models", "path", TINY)
    assert missing.returncode == ModelMissingError.exit_code
    assert f"voiceslm models install {TINY}" in missing.stderr


def test_espeak_ng_comes_with_its_python_package(tmp_path):
    store = ModelStore(tmp_path)
    data = store.require("espeak-ng")
    assert (data / "phontab").is_file()
    result = install(store, store.entry("espeak-ng"))
    assert result.action == "provided by a Python package"


# Interrupted installs ---------------------------------------------------------


def test_killed_install_leaves_the_store_usable_and_a_rerun_completes(store_copy):
    process = subprocess.Popen(
        [sys.executable, "-m", "voiceslm", "--models-dir", str(store_copy), "models", "install", "--force", TINY],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=cli_env(store_copy.parent),
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not leftovers(store_copy) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert process.poll() is None, "the install finished before it could be interrupted"
        os.killpg(process.pid, signal.SIGKILL)  # pip too; nothing gets to clean up
    finally:
        process.wait(timeout=30)
    assert leftovers(store_copy), "the killed run should have left its build directory"

    store = ModelStore(store_copy)
    assert store.verify(TINY) == store_copy / TINY  # the old copy is untouched

    rerun = voiceslm(store_copy, "models", "install", "--force", TINY)
    assert rerun.returncode == 0, rerun.stderr
    assert "reinstalled" in rerun.stdout
    assert leftovers(store_copy) == []
    store.verify(TINY)


def test_a_run_killed_between_the_two_renames_gets_its_model_back(store_copy):
    # Replacing a model renames the old copy aside, then the new one in; a run
    # killed in between leaves only `.old-<name>-<pid>` and a stray build dir.
    os.rename(store_copy / TINY, store_copy / f".old-{TINY}-4242")
    (store_copy / f".tmp-{TINY}-4242" / "files").mkdir(parents=True)
    assert ModelStore(store_copy).status(TINY).state == "missing"

    rerun = voiceslm(store_copy, "models", "install", TINY)
    assert rerun.returncode == 0, rerun.stderr
    assert "already installed and verified" in rerun.stdout  # restored, not downloaded again
    assert leftovers(store_copy) == []


def test_concurrent_installs_wait_for_the_store_lock(store_copy):
    store = ModelStore(store_copy)
    lines: list[str] = []
    with store.lock():
        process = subprocess.Popen(
            [sys.executable, "-m", "voiceslm", "--models-dir", str(store_copy), "models", "install", TINY],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=cli_env(store_copy.parent),
        )
        output = process.stdout
        assert output is not None
        reader = threading.Thread(target=lambda: lines.extend(output), daemon=True)
        reader.start()
        deadline = time.monotonic() + 60
        while not any("waiting for another install" in line for line in lines) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert process.poll() is None
    assert process.wait(timeout=120) == 0
    reader.join(timeout=10)
    assert any("waiting for another install" in line for line in lines)
    assert any("already installed" in line for line in lines)


# Refusals ---------------------------------------------------------------------


def test_a_store_that_cannot_be_written_is_one_sentence(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = voiceslm(blocker / "models", "models", "install", TINY)
    assert result.returncode == UserError.exit_code and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"voiceslm: The model store {blocker / 'models'} cannot be written (Not a directory); choose a writable "
        "one with --models-dir or models.store, or fix its permissions."
    )


def test_unknown_name_lists_close_matches(tmp_path):
    store = tmp_path / "models"
    result = voiceslm(store, "models", "install", "whisper-tiny-en")
    assert result.returncode == UserError.exit_code
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1
    assert "Unknown model 'whisper-tiny-en'" in message and TINY in message
    assert "voiceslm models list" in message
    assert not store.exists() or not any(store.iterdir())


def test_online_only_model_fails_fast_naming_offline_alternatives(tmp_path):
    store = tmp_path / "models"
    for name, alternative in (("qwen2.5-0.5b-instruct", "qwen2.5-coder-0.5b"), ("opus-mt-en-es", "gemma3-270m")):
        result = voiceslm(store, "models", "install", name, env=cli_env(tmp_path, HF_HUB_OFFLINE="1"))
        assert result.returncode == UserError.exit_code
        message = result.stderr.strip()
        assert len(message.splitlines()) == 1
        assert f"Model {name} needs internet to install" in message
        assert alternative in message
        assert not (store / name).exists()
        assert leftovers(store) == [] if store.exists() else True


def test_a_download_that_does_not_match_its_pin_is_refused(tmp_path):
    # The real entry with one pin changed: the real download, unpacking and
    # hashing run, and the mismatch must stop the install.
    real = catalog.get(TINY)
    wrong = dataclasses.replace(real.source.files[1], sha256="0" * 64)
    entry = dataclasses.replace(
        real, source=dataclasses.replace(real.source, files=(real.source.files[0], wrong, *real.source.files[2:]))
    )
    store = ModelStore(tmp_path / "models")
    with pytest.raises(ChecksumError) as refused:
        install(store, entry)
    message = str(refused.value)
    assert "does not match its pinned checksum" in message and "config.json" in message
    assert "nothing was installed" in message
    assert store.status(TINY).state == "missing"
    assert leftovers(store.root) == []
    assert not list(store.root.rglob("*.whl")) and not list(store.root.rglob("model.bin"))


# Catalog and defaults ---------------------------------------------------------


def test_catalog_entries_are_consistent():
    names = [entry.name for entry in catalog.CATALOG]
    assert len(names) == len(set(names))
    lm_families = {"qwen-instruct", "smollm-instruct", "gemma-base", "gemma-instruct", "phi3-instruct"}
    for entry in catalog.CATALOG:
        assert entry.role in typing.get_args(catalog.Role) and entry.languages and entry.license, entry.name
        assert entry.offline == (entry.source.kind != "hub"), entry.name
        if entry.role == "lm":
            assert entry.family in lm_families, entry.name
        elif entry.role == "mt":
            assert entry.family in {"marian", "nllb", "m2m100", "bergamot"}, entry.name
        else:
            assert entry.family == "", entry.name
        for pinned in entry.source.files:
            assert re.fullmatch(r"[0-9a-f]{64}", pinned.sha256) and pinned.size > 0, entry.name
            assert all(re.fullmatch(r"[a-z0-9.-]+==[0-9.]+:\S+", part) for part in pinned.parts), entry.name
    assert len(catalog.get("whisper-base").languages) == 99


def test_default_install_follows_the_effective_config():
    packaged = load_config(use_system_layers=False).config
    defaults = default_models(packaged)
    assert defaults[:2] == [packaged.stt.model, packaged.stt.english_model]
    for name in defaults:
        assert catalog.get(name).offline, f"default model {name} must install offline"

    custom = load_config(
        use_system_layers=False,
        overrides={
            "stt.model": TINY,
            "stt.english_model": "",
            "lm.translate_model": "smollm2-135m",
            "lm.assist_model": "smollm2-135m",
            "tts.voices": {"en": "piper:piper-en_US-joe-medium", "es": "espeak"},
            "translate.engine": "lm",
        },
    ).config
    assert default_models(custom) == [
        TINY,
        "smollm2-135m",
        "piper-en_US-joe-medium",
        "espeak-ng",
        "smart-turn-v3.2",
        "use-multilingual-v3",
    ]
    # The turn model is installed by default, and not when the configuration turns it off.
    off = load_config(use_system_layers=False, overrides={"vad.turn_model": ""}).config
    assert "smart-turn-v3.2" in defaults and "smart-turn-v3.2" not in default_models(off)
    # So is the safety policy's sentence encoder (the policy is on by default).
    no_encoder = load_config(use_system_layers=False, overrides={"assistant.policy_encoder": ""}).config
    assert "use-multilingual-v3" in defaults and "use-multilingual-v3" not in default_models(no_encoder)


# Language model conversion ----------------------------------------------------


def write_tiny_llama_gguf(path: Path, tokenizer_json: Path, chat_template: str) -> None:
    """A 2-layer Llama in GGUF with a real byte-level BPE tokenizer (whisper's), random weights."""
    import gguf
    import numpy as np

    spec = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    added = {token["content"]: token["id"] for token in spec["added_tokens"]}
    size = max(max(spec["model"]["vocab"].values()), max(added.values())) + 1
    tokens = [f"<unused{i}>" for i in range(size)]
    for text, index in (spec["model"]["vocab"] | added).items():
        tokens[index] = text
    types = [gguf.TokenType.CONTROL if t in added else gguf.TokenType.NORMAL for t in tokens]
    merges = [m if isinstance(m, str) else " ".join(m) for m in spec["model"]["merges"]]
    end = added["<|endoftext|>"]
    hidden, layers, ffn, heads = 64, 2, 128, 4

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_context_length(256)
    writer.add_embedding_length(hidden)
    writer.add_block_count(layers)
    writer.add_feed_forward_length(ffn)
    writer.add_rope_dimension_count(hidden // heads)
    writer.add_head_count(heads)
    writer.add_head_count_kv(heads)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(size)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("gpt-2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(end)
    writer.add_eos_token_id(end)
    writer.add_chat_template(chat_template)
    rng = np.random.default_rng(0)

    def random(name: str, *shape: int) -> None:
        writer.add_tensor(name, (rng.standard_normal(shape) * 0.02).astype(np.float32))

    random("token_embd.weight", size, hidden)
    for i in range(layers):
        writer.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(hidden, np.float32))
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(hidden, np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            random(f"blk.{i}.{name}.weight", hidden, hidden)
        random(f"blk.{i}.ffn_gate.weight", ffn, hidden)
        random(f"blk.{i}.ffn_up.weight", ffn, hidden)
        random(f"blk.{i}.ffn_down.weight", hidden, ffn)
    writer.add_tensor("output_norm.weight", np.ones(hidden, np.float32))
    random("output.weight", size, hidden)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def render_prompt(model_dir: Path, question: str) -> list[str]:
    """What run time does: the chat template from tokenizer_config.json, tokenizers, jinja2."""
    import jinja2.sandbox
    import tokenizers

    config = json.loads((model_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    prompt = env.from_string(config["chat_template"]).render(
        messages=[{"role": "user", "content": question}], add_generation_prompt=True, bos_token="", eos_token=""
    )
    tokenizer = tokenizers.Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    return tokenizer.encode(prompt, add_special_tokens=False).tokens


def test_gguf_conversion_of_a_tiny_llama_gives_a_runnable_generator(tiny_store, tmp_path):
    pytest.importorskip("transformers", reason="the convert extra (torch, transformers) is not installed")
    pytest.importorskip("gguf", reason="the convert extra (gguf) is not installed")
    import ctranslate2

    template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}assistant:"
    gguf_path = tmp_path / "tiny.gguf"
    write_tiny_llama_gguf(gguf_path, tiny_store[0] / TINY / "tokenizer.json", template)
    out = tmp_path / "ct2"
    (tmp_path / "work").mkdir()
    command = ["gguf", str(gguf_path), str(out), "--work", str(tmp_path / "work")]
    converted = subprocess.run(
        [sys.executable, "-m", "voiceslm.models.convert", *command],
        capture_output=True,
        text=True,
        env=dict(os.environ, HF_HUB_OFFLINE="1", TQDM_DISABLE="1"),
        timeout=600,
        check=False,
    )
    assert converted.returncode == 0, converted.stderr[-3000:]
    summary = json.loads(converted.stdout.strip().splitlines()[-1])
    assert summary["smoke_test"]["chat_template"] is True
    assert not list((tmp_path / "work").iterdir()), "the float32 checkpoint should be deleted"

    files = {p.name for p in out.iterdir()}
    assert {"model.bin", "config.json", "vocabulary.json", "tokenizer.json", "tokenizer_config.json"} <= files
    assert json.loads((out / "tokenizer_config.json").read_text())["chat_template"] == template

    tokens = render_prompt(out, "Say hello.")
    generator = ctranslate2.Generator(str(out), device="cpu", compute_type="int8", intra_threads=1)
    try:
        steps = list(generator.generate_tokens(tokens, max_length=5, sampling_topk=1))
    finally:
        del generator
    assert 1 <= len(steps) <= 5


def test_conversion_without_torch_names_the_convert_extra(tmp_path):
    # A torch that fails to import stands for an install without the extra.
    shadow = tmp_path / "shadow" / "torch"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named torch')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(shadow.parent), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run(
        [sys.executable, "-m", "voiceslm.models.convert", "hf", str(tmp_path), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "needs torch and transformers" in lines[0]
    assert lines[0].endswith("pip install 'voiceslm[convert]'")


@pytest.mark.slow
@pytest.mark.timeout(1200)
@pytest.mark.xfail(
    reason="with transformers 5.24 the converted SmolLM2-135M (GGUF Q4_1) answers nonsense ('L'Étoile, la "
    "Marseillaise, ...'); Gemma and Qwen convert and answer correctly with the same code; not traced yet",
    strict=False,
)
def test_smollm2_converted_end_to_end_answers_a_question(tiny_store):
    """The real SmolLM2-135M GGUF, converted by the installer (40-90 s unless a store already has it)."""
    pytest.importorskip("transformers", reason="the convert extra (torch, transformers) is not installed")
    import ctranslate2
    import tokenizers

    name = "smollm2-135m"
    shared = ModelStore(load_config(use_system_layers=False).config.model_store())
    if shared.status(name, full=True).state == "verified":
        model_dir = shared.require(name)
    else:
        store = tiny_store[0]
        installed = voiceslm(store, "models", "install", name, timeout=1200)
        assert installed.returncode == 0, installed.stderr
        model_dir = ModelStore(store).verify(name)

    manifest = json.loads((model_dir / MANIFEST).read_text())
    assert manifest["inputs"]["model.gguf"] == catalog.get(name).source.files[0].sha256
    assert "model.gguf" not in manifest["files"]
    assert {"model.bin", "tokenizer.json", "tokenizer_config.json", "generation_config.json"} <= set(manifest["files"])

    tokens = render_prompt(model_dir, "What is the capital of France?")
    tokenizer = tokenizers.Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    end = json.loads((model_dir / "tokenizer_config.json").read_text())["eos_token"]
    generator = ctranslate2.Generator(str(model_dir), device="cpu", compute_type="int8", intra_threads=2)
    try:
        result = generator.generate_batch([tokens], max_length=24, sampling_topk=1, include_prompt_in_result=False,
                                          end_token=end)  # fmt: skip
    finally:
        del generator
    answer = tokenizer.decode(result[0].sequences_ids[0])
    assert "Paris" in answer, answer
