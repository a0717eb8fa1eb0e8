"""The HTTP API: commands and queries over the case management application (FastAPI)."""

from api.app import create_app, serve
from api.auth import TokenConfigurationError, TokenMap

__all__ = ["TokenConfigurationError", "TokenMap", "create_app", "serve"]
