"""Field types that take what people and programs give the system literally.

Pydantic's lax mode would read `true` as 1 cent, `"100"` as 100, `0` as 1970-01-01 and
`"2025-06-02T00:00:00"` as a date. FastAPI validates a JSON body as Python data, so pydantic's
strict mode would also refuse the ISO date *string*; these types accept a `date` object from
Python callers and only a `YYYY-MM-DD` string from JSON, query strings and files.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import BeforeValidator, Field, StrictBool, StrictFloat, StrictInt
from pydantic_core import PydanticCustomError

EARLIEST_BUSINESS_DATE = date(1900, 1, 1)
LATEST_BUSINESS_DATE = date(2199, 12, 31)
"""The dates the system takes: policy clocks add months and days to them, which must stay in the
calendar for any input."""

ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
"""The only date text accepted: `date.fromisoformat` alone would also take `20250101` and
`2025-W01-1`, and pydantic a timestamp or a date and time."""
DECIMAL = re.compile(r"-?[0-9]{1,40}")
"""An integer as text (a query string, an argument): decimal digits, not `1.0`, `1e3` or `0x10`."""


def day_as_given(value: object) -> object:
    """A `date` (not a datetime) as it is, a `YYYY-MM-DD` string for pydantic to parse, else an error."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and ISO_DAY.fullmatch(value):
        return value
    raise PydanticCustomError("iso_date", "Input should be a date as a YYYY-MM-DD string")


def whole_as_given(value: object) -> object:
    """An `int` (not a bool) as it is, a string of decimal digits for pydantic to parse, else an error."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and DECIMAL.fullmatch(value):
        return value
    raise PydanticCustomError("decimal_integer", "Input should be an integer in decimal digits")


def flag_as_given(value: object) -> object:
    """A `bool` (or None, for optional answers) as it is, else an error: never 1, 0 or "yes"."""
    if value is None or isinstance(value, bool):
        return value
    raise PydanticCustomError("bool_type", "Input should be true or false")


Day = Annotated[
    date,
    Field(ge=EARLIEST_BUSINESS_DATE, le=LATEST_BUSINESS_DATE),
    BeforeValidator(day_as_given),
]
"""A business date: a `date` object, or a `YYYY-MM-DD` string; from 1900-01-01 to 2199-12-31.
The bounds come first so they bound the date itself (and the OpenAPI document stays plain)."""
Flag = StrictBool
"""A boolean: `true` or `false`, never 1, 0 or "yes"."""
Whole = StrictInt
"""An integer (money in cents, counts, months): never a boolean, a string or a float."""
Number = StrictFloat
"""A number (hours): an integer or a float, never a boolean or a string."""

MAX_VERSION = 2**63 - 1
"""The largest case version the event stores can hold (SQLite INTEGER, PostgreSQL bigint)."""
CaseVersion = Annotated[int, Field(ge=1, le=MAX_VERSION), BeforeValidator(whole_as_given)]
"""A case version as a query string gives it: decimal digits (never `1.0`, `1e3` or `true`),
from 1 to what the stores hold. The bounds come first so they describe the integer itself."""
