"""A deterministic synthetic caseload of both programs: realistic command histories, by date.

`generate_caseload(seed, cases)` yields `SyntheticCommand(actor, command, expect_refusal_rule)`
for every case, merged across cases by business date (ties: case, then the case's own order).
A command with `expect_refusal_rule` set is one the domain must refuse with that rule ID; every
other command must be accepted when applied in the order given.

The generator does not emit `TerminateCase`: the deadline process records terminations (VR-11).
`expected_terminations(seed, cases)` lists each case's VR-11 date so a driver can check it.
No command of a case is dated after its termination date, and nothing happens on that date
after the case leaves PE services, so running the deadline process at the end of each business
day never changes what the domain accepts.

Generating depends on the domain only, with no I/O; `drive` feeds it to the application. Client
refs are opaque ("CL-000123"), never names. Each program's stories live in modules of their own:
`vr` and `vr_steps` (VR-01..VR-12), `assistance`, `assistance_plan` and `assistance_services`
(TA-01..TA-11); `refusals` names the rules some commands are there to be refused by.
"""

from synthetic.assistance import SKILLS, TA_SHARE
from synthetic.assistance_plan import GOALS, NEEDS, RESOURCES
from synthetic.assistance_services import PURCHASED_SERVICES, TRAINING
from synthetic.caseload import (
    DEFAULT_START,
    SyntheticCaseload,
    expected_terminations,
    generate_caseload,
)
from synthetic.driver import DriveResult, drive
from synthetic.history import (
    BILLING_CLERKS,
    CASEWORKERS,
    EMPLOYERS,
    JOBS,
    SUPERVISORS,
    SyntheticCommand,
)
from synthetic.refusals import REFUSALS, TA_REFUSALS
from synthetic.vr import SCENARIOS
from synthetic.vr_steps import ALL_CRITERIA, EXCLUDED, PE_SERVICES

__all__ = [
    "ALL_CRITERIA",
    "BILLING_CLERKS",
    "CASEWORKERS",
    "DEFAULT_START",
    "EMPLOYERS",
    "EXCLUDED",
    "GOALS",
    "JOBS",
    "NEEDS",
    "PE_SERVICES",
    "PURCHASED_SERVICES",
    "REFUSALS",
    "RESOURCES",
    "SCENARIOS",
    "SKILLS",
    "SUPERVISORS",
    "TA_REFUSALS",
    "TA_SHARE",
    "TRAINING",
    "DriveResult",
    "SyntheticCaseload",
    "SyntheticCommand",
    "drive",
    "expected_terminations",
    "generate_caseload",
]
