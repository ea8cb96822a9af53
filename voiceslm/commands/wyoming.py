"""`voiceslm wyoming`: serve speech-to-text, text-to-speech and translation over the Wyoming protocol."""

from __future__ import annotations

import argparse
import asyncio

from voiceslm.commands.common import load


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "wyoming",
        help="serve speech-to-text, text-to-speech and translation to Home Assistant and satellites (Wyoming)",
        description=(
            "A Wyoming protocol server: asr (faster-whisper with the hallucination guard), tts (every installed "
            "voice) and handle (translate or answer a transcript, wyoming.handle). In Home Assistant: Settings -> "
            "Devices & services -> Add integration -> Wyoming Protocol, then this machine's address and port. "
            "Only this address is opened; nothing else reaches the network."
        ),
    )
    parser.add_argument(
        "--uri",
        help="tcp://HOST:PORT or unix://PATH to listen on (wyoming.uri; tcp://0.0.0.0:10300 for the whole network)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from voiceslm import netguard
    from voiceslm.wyoming_server import parse_uri, serve

    loaded = load(args, {"wyoming.uri": args.uri})
    address = parse_uri(loaded.config.wyoming.uri)
    if not address.path:
        netguard.allow_listening(address.host)
    # Offline by construction, but for the one address given.
    netguard.install()
    asyncio.run(serve(loaded.config, address))
    return 0
