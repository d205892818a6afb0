"""Every source contract of the warehouse, in one place: what the pipelines and tests iterate."""

from sources.accidents_travail.contract import CONTRACTS as ACCIDENTS_TRAVAIL
from sources.apart.contract import CONTRACTS as APART
from sources.apprentissage.contract import CONTRACTS as APPRENTISSAGE
from sources.bodacc.contract import CONTRACTS as BODACC
from sources.contracts import Contract
from sources.conventions_collectives.contract import CONTRACTS as CONVENTIONS_COLLECTIVES
from sources.daccord.contract import CONTRACTS as DACCORD
from sources.decp.contract import CONTRACTS as DECP
from sources.dsn_effectifs.contract import CONTRACTS as DSN_EFFECTIFS
from sources.egapro.contract import CONTRACTS as EGAPRO
from sources.eos.contract import CONTRACTS as EOS
from sources.geolocalisation.contract import CONTRACTS as GEOLOCALISATION
from sources.iae.contract import CONTRACTS as IAE
from sources.internal import INBOX
from sources.organismes_formation.contract import CONTRACTS as ORGANISMES_FORMATION
from sources.rupco.contract import CONTRACTS as RUPCO
from sources.sipsi.contract import CONTRACTS as SIPSI
from sources.sirene.contract import CONTRACTS as SIRENE
from sources.sora.contract import CONTRACTS as SORA
from sources.src.contract import CONTRACTS as SRC
from sources.wikit.contract import CONTRACTS as WIKIT

PUBLIC: tuple[Contract, ...] = (
    *SIRENE,
    *CONVENTIONS_COLLECTIVES,
    *ORGANISMES_FORMATION,
    *EGAPRO,
    *DECP,
    *BODACC,
    *GEOLOCALISATION,
)
INTERNAL: tuple[Contract, ...] = (
    *WIKIT,
    *SORA,
    *EOS,
    *SRC,
    *APART,
    *RUPCO,
    *DACCORD,
    *DSN_EFFECTIFS,
    *SIPSI,
    *APPRENTISSAGE,
    *ACCIDENTS_TRAVAIL,
    *IAE,
)
ALL: tuple[Contract, ...] = (*PUBLIC, *INTERNAL)

INBOX_SOURCES: tuple[str, ...] = tuple(dict.fromkeys(c.source for c in INTERNAL))
"""The inbox folders, one per internal source."""

assert all(c.arrival == INBOX for c in INTERNAL)
assert len({c.dataset for c in ALL}) == len(ALL), "dataset names must be unique"
