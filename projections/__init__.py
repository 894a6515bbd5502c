"""The read side: one module a read model, each a fold of the log into ``rm_`` tables.

Documented table by table in docs/read-models.md. The runner (``runner.py``) keeps them
current, exactly once, in the ledger's database or another one.
"""

from stafet.projections.agreements import Agreements
from stafet.projections.attention import Attention
from stafet.projections.base import Projection
from stafet.projections.baton_holds import BatonHolds
from stafet.projections.caseload import Caseload
from stafet.projections.cases import Cases
from stafet.projections.consents import Consents
from stafet.projections.efforts import Efforts
from stafet.projections.events import Events
from stafet.projections.goals import Goals
from stafet.projections.meetings import Meetings
from stafet.projections.participants import Participants

ALL: tuple[type[Projection], ...] = (
    Cases, BatonHolds, Participants, Consents, Goals, Efforts, Agreements, Meetings, Events,
    Attention, Caseload,
)

__all__ = ["ALL", "Projection"]
