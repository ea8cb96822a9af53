"""Scoring every translation route of a direction: `voiceslm eval --routes`.

For each direction, every route that can run here is scored on the same
sentences: each dedicated engine and the language model alone, and every chain
of two dedicated engines through a third language, and the longer chains that
`routes.AUTO_ROUTES` and `LONGER_ROUTES` list. `--half tune` scores the
first half of each file (used to choose `routes.AUTO_ROUTES`), `--half held-out` the
other half (held out, to confirm the choice).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from voiceslm.engines.registry import Engines
from voiceslm.engines.routes import AUTO_ROUTES, Leg, parse_route
from voiceslm.eval import scoring as evaluate

PIVOTS = ("en", "es", "pt", "fr", "it")
DEDICATED = ("bergamot", "apertium")
# Chains of three or four engines measured beside the table's own routes.
LONGER_ROUTES = {("fr", "en"): ("apertium>es>apertium>pt>bergamot",)}


def half(pairs: Sequence[tuple[str, str]], which: int | None) -> list[tuple[str, str]]:
    """The first (1) or second (2) half of a file's pairs, or all of them (None)."""
    if which is None:
        return list(pairs)
    middle = len(pairs) // 2
    return list(pairs[:middle] if which == 1 else pairs[middle:])


def possible_routes(engines: Engines, source: str, target: str) -> list[str]:
    """Every route for a direction whose engines are installed, the language model last."""
    routes = [e for e in DEDICATED if engines.leg_installed(Leg(e, source, target))]
    for pivot in PIVOTS:
        if pivot in (source, target):
            continue
        for first in DEDICATED:
            for second in DEDICATED:
                legs = parse_route(f"{first}>{pivot}>{second}", source, target)
                if all(engines.leg_installed(leg) for leg in legs):
                    routes.append(f"{first}>{pivot}>{second}")
    for route in (*AUTO_ROUTES.get((source, target), ()), *LONGER_ROUTES.get((source, target), ())):
        legs = parse_route(route, source, target)
        if route not in routes and route != "lm" and all(engines.leg_installed(leg) for leg in legs):
            routes.append(route)  # longer chains are scored where the table lists them
    if engines.store.is_installed(engines.config.lm.translate_model):
        routes.append("lm")
    return routes


def engines_for_route(engines: Engines, source: str, target: str, route: str) -> Engines:
    """Engines that translate `source`->`target` along `route`, sharing the store and config otherwise."""
    config = engines.config
    routes = {**config.translate.engines, f"{source}-{target}": route}
    translate = dataclasses.replace(config.translate, engines=routes)
    return Engines(dataclasses.replace(config, translate=translate), engines.store)


def evaluate_routes(
    engines: Engines, pairs: Sequence[tuple[str, str]], source: str, target: str, routes: Sequence[str] = ()
) -> list[evaluate.TranslationReport]:
    """One report per route (its `model` names the route, and the model for "lm")."""
    reports = []
    for route in routes or possible_routes(engines, source, target):
        with engines_for_route(engines, source, target, route) as routed:
            # Loading and the first call's set-up are not what sentences per second measures.
            "".join(routed.lm("translate").translate(pairs[0][0], source, target))
            report = evaluate.evaluate_translation(routed, pairs, source, target)
        name = f"lm ({report.model})" if route == "lm" else route
        reports.append(dataclasses.replace(report, model=name, samples=report.samples[:2]))
    return reports
