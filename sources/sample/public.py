"""The public files of the sample, SIRENE first, then the enrichment files built from it.

Every public contract's file is written here, in its exact format and under its origin name, so
that a folder made by `generate_public` can stand for data.gouv.fr and the other producers
(served by a local HTTP server in the tests, used as the embedded mirror by `make run`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sources.sample.bodacc import generate_bodacc
from sources.sample.conventions_collectives import generate_conventions_collectives
from sources.sample.decp import generate_decp
from sources.sample.egapro import generate_egapro
from sources.sample.geolocalisation import generate_geolocalisation
from sources.sample.organismes_formation import generate_organismes_formation
from sources.sample.sirene import generate_sirene
from sources.sample.sirene_historique import generate_sirene_historique

PublicGenerator = Callable[[Path, int, int], dict[str, Path]]
"""(folder already holding the SIRENE zips, establishments, seed) -> {file name: path}."""

ENRICHMENT: list[PublicGenerator] = []
"""The generators of the public files other than the SIRENE stock, in the order they run."""
ENRICHMENT.append(generate_conventions_collectives)
ENRICHMENT.append(generate_organismes_formation)
ENRICHMENT.append(generate_egapro)
ENRICHMENT.append(generate_decp)
ENRICHMENT.append(generate_bodacc)
ENRICHMENT.append(generate_geolocalisation)
ENRICHMENT.append(generate_sirene_historique)


def generate_public(out_dir: Path, etablissements: int = 2000, seed: int = 42) -> dict[str, Path]:
    """Write every public file of the sample into ``out_dir``; return {file name: path}."""
    out_dir = Path(out_dir)
    written = generate_sirene(out_dir, etablissements, seed)
    for generate in ENRICHMENT:
        written.update(generate(out_dir, etablissements, seed))
    return written
