"""Policy replay: the recorded history, and the commands refused, judged under candidate
policies and under the policy in force.

A replay folds each case's recorded facts (event type name, business date and fields: decoded
records, not rebuilt events, so a million of them fold in seconds) into the little a judgement
needs, takes each refused command (a decision record, `Fact` of type "CommandRefused") at the
version of the case it was refused at, then asks the aggregate's questions under both policies:

- VR: a recorded PE request or authorization the candidate would refuse (VR-02, VR-06) or send
  to an override (VR-03, VR-04), an override no longer needed, a VR-11 termination moved;
  grandfathered cases are exempt as the aggregate exempts them (VR-12);
- cash assistance: a recorded training referral outside the candidate's window (TA-09), a plan
  re-assessment or contingency the candidate's areas would refuse (TA-02);
- a refused command the candidate would accept, send to an override, or still refuse. Refusals
  no policy parameter decides (TA-08's permission among them) are counted by rule, not judged.

Several candidates are judged in one pass, each as if alone. A case's state is dropped once it
is judged, so memory grows with the open cases and the refusals, not with the events.

Modules: `facts` (what is read and found), `candidates` (candidate files, couplings), `cases`
(the fold), `judging` (the questions), `engine` (the pass).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

REFUSAL = "CommandRefused"
"""The `event_type` of a refused command's decision record, as a replay reads it."""


@dataclass(frozen=True, slots=True)
class Fact:
    """One recorded event, or one refused command's decision record, as a replay sees it.

    Defined here, in the package itself, so sources import it as `domain.replay.Fact`."""

    event_type: str
    case_id: str
    case_version: int
    effective_on: date
    fields: Mapping[str, Any]
