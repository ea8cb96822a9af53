"""`voiceslm models list|install|verify|path`: the model catalog and store."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from voiceslm.commands.common import load, print_json
from voiceslm.errors import ModelMissingError, UserError

if TYPE_CHECKING:
    from voiceslm.models.catalog import CatalogEntry
    from voiceslm.models.store import ModelStore


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("models", help="list, install and check models")
    sub = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)

    listing = sub.add_parser("list", help="every model in the catalog and whether it is installed")
    listing.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    listing.add_argument("--verify", action="store_true", help="check every installed file's sha256 (slower)")
    listing.add_argument("--role", choices=("stt", "lm", "tts", "mt"), help="only models of this role")
    listing.set_defaults(handler=list_models)

    install = sub.add_parser(
        "install",
        help="install models (default: the ones the configuration uses)",
        description="Install models into the store. With no NAME, installs the models the effective "
        "configuration uses: stt.model, stt.english_model, lm.translate_model, lm.assist_model, the Piper "
        "voices in tts.voices, and espeak-ng.",
    )
    install.add_argument("names", nargs="*", metavar="NAME", help="catalog names, see `voiceslm models list`")
    install.add_argument("--force", action="store_true", help="rebuild even if installed and intact")
    install.add_argument("--all", action="store_true", help="every model that installs offline")
    install.set_defaults(handler=install_models)

    verify = sub.add_parser("verify", help="check the sha256 of every installed file (default: every model)")
    verify.add_argument("names", nargs="*", metavar="NAME")
    verify.set_defaults(handler=verify_models)

    path = sub.add_parser("path", help="print an installed model's directory")
    path.add_argument("name", metavar="NAME")
    path.set_defaults(handler=model_path)


def _store(args: argparse.Namespace) -> ModelStore:
    from voiceslm.models.store import ModelStore

    return ModelStore(load(args).config.model_store())


def list_models(args: argparse.Namespace) -> int:
    from voiceslm.models.catalog import CATALOG

    store = _store(args)
    entries = [entry for entry in CATALOG if args.role in (None, entry.role)]
    statuses = {entry.name: store.status(entry.name, full=args.verify) for entry in entries}
    if args.json:
        print_json(
            {
                "store": str(store.root),
                "models": [
                    {
                        "name": entry.name,
                        "role": entry.role,
                        "languages": list(entry.languages),
                        "family": entry.family,
                        "license": entry.license,
                        "size_mb": entry.size_mb,
                        "offline": entry.offline,
                        "source": entry.source.describe(),
                        "description": entry.description,
                        "state": statuses[entry.name].state,
                        "detail": statuses[entry.name].detail,
                        "path": str(statuses[entry.name].path) if statuses[entry.name].path else None,
                    }
                    for entry in entries
                ],
            }
        )
        return 0
    header = ("NAME", "ROLE", "LANGUAGES", "SIZE", "LICENCE", "STATE", "INSTALLS")
    rows = [
        (
            entry.name,
            entry.role,
            _languages(entry),
            f"{entry.size_mb} MB",
            entry.license,
            statuses[entry.name].state,
            "apt" if entry.source.kind == "system" else "offline" if entry.offline else "needs internet",
        )
        for entry in entries
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    print(f"Model store: {store.root}")
    for row in (header, *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    _system_voice_notes(entries, statuses)
    damaged = [name for name, status in statuses.items() if status.state == "damaged"]
    if damaged:
        print(f"Damaged: {', '.join(damaged)}; run: voiceslm models install --force {' '.join(damaged)}")
    return 0


def _system_voice_notes(entries: list[CatalogEntry], statuses: dict) -> None:
    """How to add the missing system voices, and the licence that binds MBROLA's."""
    from voiceslm.engines.voices import install_command

    missing = [e for e in entries if e.source.kind == "system" and statuses[e.name].state == "missing"]
    if missing:
        packages = [p for e in missing for p in e.source.system_packages]
        print(f"Missing voices (Debian contrib/non-free; scripts/setup.sh enables them): {install_command(packages)}")
    if any(e.name.startswith("mbrola-") for e in entries):
        print(
            "MBROLA voices are free for non-commercial, non-military use only; "
            "tts.nonfree_voices: false turns them off."
        )


def _languages(entry: CatalogEntry) -> str:
    from voiceslm.models.catalog import MANY_LANGUAGES

    if entry.languages == MANY_LANGUAGES:
        return "100+ languages"
    if entry.role == "mt" and len(entry.languages) == 2:
        return "->".join(entry.languages)
    if len(entry.languages) <= 3:
        return ",".join(entry.languages)
    return f"{len(entry.languages)} languages"


def install_models(args: argparse.Namespace) -> int:
    from voiceslm.models import catalog
    from voiceslm.models.install import default_models, install
    from voiceslm.models.store import ModelStore

    loaded = load(args)
    store = ModelStore(loaded.config.model_store())
    if args.all and args.names:
        raise UserError("Give model names or --all, not both; `voiceslm models list` shows every model.")
    if args.all:
        # System voices come from apt, not the store: `models list` names their command.
        names = [entry.name for entry in catalog.CATALOG if entry.offline and entry.source.kind != "system"]
    elif args.names:
        names = list(dict.fromkeys(args.names))
    else:
        names = default_models(loaded.config)
        print(f"Installing the models the configuration uses: {', '.join(names)}")
    entries = [store.entry(name) for name in names]  # every name is checked before any work

    started = time.perf_counter()
    failures: list[str] = []
    for entry in entries:
        try:
            result = install(store, entry, force=args.force, progress=_say)
        except UserError as exc:
            if len(entries) == 1:
                raise
            print(f"{entry.name}: failed: {exc}", file=sys.stderr, flush=True)
            failures.append(entry.name)
            continue
        size = f"{result.size_bytes / 1e6:.0f} MB" if result.size_bytes else "no files"
        if result.action == "already installed":
            _say(f"{entry.name}: already installed and verified ({size}) at {result.path}")
        elif result.action == "provided by system packages":
            _say(
                f"{entry.name}: comes with the system packages {' '.join(entry.source.system_packages)} ({result.path})"
            )
        elif result.action == "provided by a Python package":
            package = entry.source.package.replace("_", "-")
            _say(f"{entry.name}: comes with the {package} package, nothing to install ({result.path})")
        else:
            _say(f"{entry.name}: {result.action} in {result.seconds:.1f} s ({size}) at {result.path}")
    if len(entries) > 1:
        _say(f"Done in {time.perf_counter() - started:.1f} s.")
    if failures:
        raise UserError(
            f"{len(failures)} of {len(entries)} models could not be installed ({', '.join(failures)}); "
            "see the reason printed for each above."
        )
    return 0


def _say(message: str) -> None:
    print(message, flush=True)


def verify_models(args: argparse.Namespace) -> int:
    from voiceslm.models import catalog

    store = _store(args)
    if args.names:
        names = list(dict.fromkeys(args.names))
        for name in names:
            store.entry(name)
    else:
        names = [name for name in catalog.names() if store.status(name).state != "missing"]
        if not names:
            raise ModelMissingError(f"No model is installed in {store.root}; run: voiceslm models install")
    errors: dict[str, ModelMissingError] = {}
    for name in names:
        try:
            path = store.verify(name)
        except ModelMissingError as exc:
            print(f"{name}: FAILED: {exc}", flush=True)
            errors[name] = exc
        else:
            print(f"{name}: ok ({path})", flush=True)
    if len(errors) == 1:
        # The single failure's own sentence carries the exact fix.
        raise next(iter(errors.values()))
    failed = list(errors)
    if failed:
        fixes = [n for n in failed if store.entry(n).source.kind != "package"]
        raise ModelMissingError(
            f"{len(failed)} models failed verification ({', '.join(failed)}); "
            f"run: voiceslm models install --force {' '.join(fixes)}"
        )
    return 0


def model_path(args: argparse.Namespace) -> int:
    print(_store(args).require(args.name))
    return 0
