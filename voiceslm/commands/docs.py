"""`voiceslm docs index|list`: the documents folder's index in the assistant database."""

from __future__ import annotations

import argparse

from voiceslm.commands.common import load, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("docs", help="index the documents folder (assistant.documents) and list it")
    actions = parser.add_subparsers(dest="docs_action", metavar="ACTION", required=True)
    for name, text in (
        ("index", "bring the index up to date with the folder (ask does this itself before each question)"),
        ("list", "list the indexed documents"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("--json", action="store_true", help="print one JSON object instead of text")
        action.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from voiceslm.assistant import docindex, documents

    loaded = load(args)
    connection, report = documents.open_folder_index(loaded.config)
    try:
        files = docindex.indexed_files(connection)
    finally:
        connection.close()
    if args.docs_action == "index":
        if args.json:
            print_json(
                {
                    "indexed": list(report.indexed),
                    "unchanged": report.unchanged,
                    "removed": list(report.removed),
                    "skipped": [{"path": path, "reason": reason} for path, reason in report.skipped],
                    "documents": len(files),
                }
            )
        else:
            print(
                f"Indexed {len(report.indexed)}, unchanged {report.unchanged}, removed {len(report.removed)}, "
                f"left out {len(report.skipped)}; {len(files)} documents in the index."
            )
            for _, reason in report.skipped:
                print(f"Left out: {reason}")
        return 0
    if args.json:
        print_json({"documents": [{"path": p, "kind": k, "bytes": b, "chunks": c} for p, k, b, c in files]})
    else:
        for path, kind, size, chunk_count in files:
            print(f"{path}  ({kind}, {size / 1000:.0f} kB, {chunk_count} chunks)")
        print(f"{len(files)} documents in {loaded.config.assistant.documents}")
    return 0
