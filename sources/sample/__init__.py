"""Offline sample of the sources, in their exact real formats, at any size."""

from sources.sample.public import generate_public  # noqa: E402 (after the SIRENE names it uses)
from sources.sample.sirene import (
    ETABLISSEMENT_COLUMNS,
    LIENS_SUCCESSION_COLUMNS,
    PLANTED,
    UNITE_LEGALE_COLUMNS,
    generate_sirene,
    luhn_is_valid,
)

__all__ = [
    "ETABLISSEMENT_COLUMNS",
    "LIENS_SUCCESSION_COLUMNS",
    "PLANTED",
    "UNITE_LEGALE_COLUMNS",
    "generate_public",
    "generate_sirene",
    "luhn_is_valid",
]
