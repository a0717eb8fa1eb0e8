"""Who is calling: bearer tokens, each standing for one actor (an id and a role)."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import TypeAdapter, ValidationError

from api.problems import NOT_AUTHENTICATED, ApiProblem
from application.settings import ConfigurationError
from domain.base import Actor, Role

log = logging.getLogger(__name__)

TOKENS_ENV = "PES_API_TOKENS"
TOKENS_FILE_ENV = "PES_API_TOKENS_FILE"
MIN_TOKEN_LENGTH = 32
"""Outside development mode a shorter token is refused at start: too easy to guess."""

DEVELOPMENT_TOKENS: dict[str, Actor] = {
    f"dev-{role.value}": Actor(id=f"dev-{role.value}", role=role) for role in Role
}
"""The fixed tokens of development mode: `dev-caseworker`, `dev-supervisor`, ... one per role."""

_TOKEN_FILE_FORMAT = TypeAdapter(dict[str, Actor])


class TokenConfigurationError(ConfigurationError):
    """The API's tokens are missing or malformed; the API refuses to start."""


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class TokenMap:
    """Bearer tokens and the actor each one stands for."""

    def __init__(self, actors_by_token: Mapping[str, Actor]) -> None:
        if any(not token.strip() for token in actors_by_token):
            raise TokenConfigurationError("a bearer token cannot be blank")
        # Looked up by digest, so the lookup's timing says nothing about a guessed token's prefix.
        self._actors = {_digest(token): actor for token, actor in actors_by_token.items()}
        # Only the actor and length of a short token are kept, to name it when refusing it.
        self._short = [
            (actor, len(token))
            for token, actor in actors_by_token.items()
            if len(token) < MIN_TOKEN_LENGTH
        ]

    @classmethod
    def from_json(cls, text: str, source: str) -> TokenMap:
        """Reads `{"<token>": {"id": "cw-ada", "role": "caseworker"}, ...}`."""
        try:
            return cls(_TOKEN_FILE_FORMAT.validate_json(text))
        except ValidationError as error:
            first = error.errors()[0]
            # The first step of the location is the token itself: never printed.
            where = ("<token>", *first["loc"][1:]) if first["loc"] else ()
            raise TokenConfigurationError(
                f"{source} must be a JSON object of token -> {{id, role}} with roles among "
                f"{', '.join(Role)}: {error.error_count()} error(s), first: "
                f"{first['msg']} at {where}"
            ) from None

    @classmethod
    def from_file(cls, path: Path) -> TokenMap:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise TokenConfigurationError(f"cannot read the token file {path}: {error}") from None
        return cls.from_json(text, source=str(path))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> TokenMap:
        """From `PES_API_TOKENS` (JSON) or `PES_API_TOKENS_FILE` (a path); empty if neither."""
        environ = os.environ if environ is None else environ
        inline, file = environ.get(TOKENS_ENV), environ.get(TOKENS_FILE_ENV)
        if inline and file:
            raise TokenConfigurationError(f"set {TOKENS_ENV} or {TOKENS_FILE_ENV}, not both")
        if inline:
            return cls.from_json(inline, source=TOKENS_ENV)
        if file:
            return cls.from_file(Path(file))
        return cls({})

    def merged(self, other: TokenMap) -> TokenMap:
        merged = TokenMap({})
        merged._actors = {**self._actors, **other._actors}
        merged._short = [*self._short, *other._short]
        return merged

    def refuse_short_tokens(self) -> None:
        """Raises `TokenConfigurationError` naming the actor and role of a too-short token."""
        if not self._short:
            return
        (actor, length), *others = self._short
        more = f" (and {len(others)} other token(s))" if others else ""
        raise TokenConfigurationError(
            f"the {actor.role.value} token of {actor.id} has {length} characters{more}; "
            f"production tokens need at least {MIN_TOKEN_LENGTH} (e.g. "
            f"`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )

    def actor_for(self, token: str) -> Actor | None:
        return self._actors.get(_digest(token))

    def __len__(self) -> int:
        return len(self._actors)


def resolve_tokens(tokens: TokenMap | None, development: bool) -> TokenMap:
    """The tokens the API accepts; without any configured, or with one shorter than
    `MIN_TOKEN_LENGTH`, only development mode may start."""
    configured = TokenMap.from_environment() if tokens is None else tokens
    if development:
        log.warning(
            "DEVELOPMENT MODE: the API accepts the fixed, publicly documented tokens %s; "
            "never run it like this with real data",
            ", ".join(DEVELOPMENT_TOKENS),
        )
        return TokenMap(DEVELOPMENT_TOKENS).merged(configured)
    if len(configured) == 0:
        raise TokenConfigurationError(
            f"no API tokens are configured: set {TOKENS_ENV} (JSON) or {TOKENS_FILE_ENV} "
            '(a JSON file), e.g. {"<token>": {"id": "cw-ada", "role": "caseworker"}}, '
            "or start in development mode"
        )
    configured.refuse_short_tokens()
    return configured


ActorDependency = Callable[..., Awaitable[Actor]]
"""A FastAPI dependency giving the request's actor (`Depends(...)`)."""

_bearer = HTTPBearer(
    auto_error=False,
    description="A token from PES_API_TOKENS / PES_API_TOKENS_FILE; each names an actor and role.",
)


def authenticator(tokens: TokenMap) -> ActorDependency:
    """A dependency giving the actor of the request's bearer token (401 without a valid one)."""

    # async: it only looks the token up in memory, so FastAPI runs it on the event loop
    # instead of handing it to a worker thread and back (one thread hop less per request).
    async def authenticated_actor(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Actor:
        if credentials is None:
            raise ApiProblem(
                NOT_AUTHENTICATED,
                "send Authorization: Bearer <token>",
                headers={"WWW-Authenticate": 'Bearer realm="pes"'},
            )
        actor = tokens.actor_for(credentials.credentials)
        if actor is None:
            raise ApiProblem(
                NOT_AUTHENTICATED,
                "the bearer token is not valid",
                headers={"WWW-Authenticate": 'Bearer realm="pes", error="invalid_token"'},
            )
        return actor

    return authenticated_actor
