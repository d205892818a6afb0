"""Offline sample of the sources, in their exact real formats, at any size."""

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
    "generate_sirene",
    "luhn_is_valid",
]
