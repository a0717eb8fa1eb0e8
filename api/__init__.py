"""The HTTP API: commands and queries over the case management application (FastAPI)."""

from api.app import api_server, create_app, serve
from api.auth import TokenConfigurationError, TokenMap

__all__ = ["TokenConfigurationError", "TokenMap", "api_server", "create_app", "serve"]
