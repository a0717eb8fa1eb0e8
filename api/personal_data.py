"""Personal data of clients: store, read and erase it (docs/personal-data.md).

Only case staff reach these routes (api/access.py); responses are never cached.
"""

# No postponed annotations here: FastAPI evaluates the endpoints' annotations at runtime,
# and they name dependencies built in closures.

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import ActorDependency
from api.problems import ApiProblem, ProblemType, problem_responses
from application.personal_data import (
    ERASURE_REASON_MAX_LENGTH,
    PersonalData,
    PersonalDataErased,
    PersonalDataNotFound,
    PersonalDataStore,
)
from domain.base import Actor, Role

PERSONAL_DATA_NOT_FOUND = ProblemType(
    "personal-data-not-found", "No personal data is stored for the client", 404
)
PERSONAL_DATA_ERASED = ProblemType(
    "personal-data-erased", "The client's personal data was erased", 410
)
NO_STORE = {"Cache-Control": "no-store"}

ClientRefPath = Annotated[
    str, Path(min_length=1, max_length=64, description="The client's opaque reference")
]


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(
        min_length=1,
        max_length=ERASURE_REASON_MAX_LENGTH,
        description="Why it is erased (kept after erasure: never put personal data here)",
    )


class ErasureReceipt(BaseModel):
    """What stays of an erased record."""

    client_ref: str
    erased_at: datetime
    erased_by: str
    erased_by_role: Role
    reason: str


@contextmanager
def store_problems(client_ref: str) -> Iterator[None]:
    try:
        yield
    except PersonalDataNotFound:
        raise ApiProblem(
            PERSONAL_DATA_NOT_FOUND, f"no personal data is stored for {client_ref}", NO_STORE
        ) from None
    except PersonalDataErased as erased:
        raise ApiProblem(PERSONAL_DATA_ERASED, str(erased), NO_STORE) from None


def personal_data_router(
    store: PersonalDataStore, authorized: Callable[[str], ActorDependency]
) -> APIRouter:
    router = APIRouter(tags=["personal data"])

    @router.put(
        "/clients/{client_ref}/personal-data",
        name="put_personal_data",
        operation_id="put_personal_data",
        status_code=204,
        responses=problem_responses(401, 403, 410, 422),
    )
    def put_personal_data(
        client_ref: ClientRefPath,
        data: PersonalData,
        actor: Annotated[Actor, Depends(authorized("put_personal_data"))],
    ) -> Response:
        """Stores or replaces the client's personal data (encrypted, attributed to the actor)."""
        with store_problems(client_ref):
            store.put(client_ref, data, actor)
        return Response(status_code=204, headers=NO_STORE)

    @router.get(
        "/clients/{client_ref}/personal-data",
        name="get_personal_data",
        operation_id="get_personal_data",
        response_model=PersonalData,
        responses=problem_responses(401, 403, 404, 410, 422),
    )
    def get_personal_data(
        client_ref: ClientRefPath,
        response: Response,
        actor: Annotated[Actor, Depends(authorized("get_personal_data"))],
    ) -> PersonalData:
        """The client's personal data; 404 if none was stored, 410 if it was erased."""
        with store_problems(client_ref):
            data = store.get(client_ref, actor)
        if data is None:
            raise ApiProblem(
                PERSONAL_DATA_NOT_FOUND, f"no personal data is stored for {client_ref}", NO_STORE
            )
        response.headers.update(NO_STORE)
        return data

    @router.post(
        "/clients/{client_ref}/erasure",
        name="erase_personal_data",
        operation_id="erase_personal_data",
        status_code=201,
        response_model=ErasureReceipt,
        responses=problem_responses(401, 403, 404, 410, 422),
    )
    def erase_personal_data(
        client_ref: ClientRefPath,
        request: ErasureRequest,
        actor: Annotated[Actor, Depends(authorized("erase_personal_data"))],
    ) -> ErasureReceipt:
        """Erases the client's personal data for good; the case history stays as it is."""
        with store_problems(client_ref):
            erasure = store.erase(client_ref, actor, request.reason)
        return ErasureReceipt(
            client_ref=erasure.client_ref,
            erased_at=erasure.erased_at,
            erased_by=erasure.erased_by.id,
            erased_by_role=erasure.erased_by.role,
            reason=erasure.reason,
        )

    return router
