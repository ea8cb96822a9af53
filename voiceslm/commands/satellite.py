"""`voiceslm satellite`: the microphone and speaker here, speech recognised and spoken by a Wyoming server."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses

from voiceslm.commands.common import load
from voiceslm.config import Config
from voiceslm.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from voiceslm.commands.run import add_live_options

    parser = subparsers.add_parser(
        "satellite",
        help="a satellite of a Wyoming server: listen here, recognise and speak there (Home Assistant's servers)",
        description=(
            "The live pipeline of `voiceslm run` (microphone, turn detection, echo guard, barge-in, speaker) with "
            "each utterance transcribed by a Wyoming speech-to-text server and each sentence spoken by a Wyoming "
            "text-to-speech server: Home Assistant's wyoming-faster-whisper and wyoming-piper (--asr-uri, "
            "--tts-uri), or one server offering both, such as `voiceslm wyoming` on a stronger machine (--uri). "
            "Translating or answering (--mode) runs here. The network guard lets this process connect to exactly "
            "the servers given and nothing else; it listens on no port."
        ),
    )
    parser.add_argument(
        "--uri", help="tcp://HOST:PORT or unix://PATH of one server offering asr and tts (satellite.uri)"
    )
    parser.add_argument("--asr-uri", help="the speech-to-text server, if another one (satellite.asr_uri)")
    parser.add_argument("--tts-uri", help="the text-to-speech server, if another one (satellite.tts_uri)")
    parser.add_argument(
        "--listen",
        help="instead, be a satellite Home Assistant connects to: tcp://HOST:PORT to listen on (satellite.listen)",
    )
    add_live_options(parser)
    parser.set_defaults(handler=handle, push_to_talk=False)


def handle(args: argparse.Namespace) -> int:
    from voiceslm.commands.run import live_overrides

    overrides = {
        **live_overrides(args),
        "satellite.uri": args.uri,
        "satellite.asr_uri": args.asr_uri,
        "satellite.tts_uri": args.tts_uri,
        "satellite.listen": args.listen,
    }
    config = load(args, overrides).config
    satellite = config.satellite
    if satellite.listen:
        if satellite.uri or satellite.asr_uri or satellite.tts_uri:
            raise UserError(
                "Give either satellite.listen (--listen: Home Assistant connects here) or satellite.uri, asr_uri "
                "and tts_uri (this satellite connects to servers), not both."
            )
        return _home_assistant(args, config)
    return _servers(args, config)


def _servers(args: argparse.Namespace, config: Config) -> int:
    from voiceslm.audio.devices import filtered_stderr
    from voiceslm.commands.run import live_main
    from voiceslm.service import netguard
    from voiceslm.wyoming.client import WyomingClient
    from voiceslm.wyoming.remote import SatelliteEngines

    satellite = config.satellite
    clients = []
    for own_uri, own_key in ((satellite.asr_uri, "satellite.asr_uri"), (satellite.tts_uri, "satellite.tts_uri")):
        uri, key = (own_uri, own_key) if own_uri else (satellite.uri, "satellite.uri")
        if not uri:
            raise UserError(
                "A satellite needs a Wyoming server: give --uri tcp://HOST:PORT (or --asr-uri and --tts-uri), "
                "or --listen tcp://0.0.0.0:10700 for Home Assistant to connect to, or set satellite.uri."
            )
        clients.append(WyomingClient(uri, key, satellite.timeout_s))
    asr, tts = clients
    for client in clients:
        if not client.address.path:
            netguard.allow_connecting(client.address.host, client.address.port)
    # Offline by construction, but for the servers named.
    netguard.install()
    engines = SatelliteEngines(config, asr, tts)
    try:
        # Before any device opens or file is written: a server that is not there fails in a second.
        engines.check_servers()
        with filtered_stderr():
            return asyncio.run(live_main(config, args, None, engines))
    finally:
        engines.close()


def _home_assistant(args: argparse.Namespace, config: Config) -> int:
    """Home Assistant connects here and runs its assist pipeline on each utterance (transcribe mode here)."""
    from voiceslm.audio.devices import filtered_stderr
    from voiceslm.commands.run import live_main
    from voiceslm.service import netguard
    from voiceslm.wyoming.satellite import HomeAssistantLink
    from voiceslm.wyoming.satellite_engines import HomeAssistantEngines
    from voiceslm.wyoming.server import parse_uri

    address = parse_uri(config.satellite.listen, "satellite.listen")
    if not address.path:
        netguard.allow_listening(address.host)
    # Offline by construction, but for the address Home Assistant connects to.
    netguard.install()
    # What to answer is Home Assistant's pipeline's business; this satellite hears and plays.
    config = dataclasses.replace(config, live=dataclasses.replace(config.live, mode="transcribe"))
    link = HomeAssistantLink(config, address)
    engines = HomeAssistantEngines(config, link)
    try:
        with filtered_stderr():
            return asyncio.run(live_main(config, args, None, engines, companion=link.serve))
    finally:
        engines.close()
