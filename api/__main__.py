"""`python -m api [--host H] [--port P] [--development]`: serve the HTTP API with uvicorn."""

from __future__ import annotations

import argparse
import logging
import os

from adapters.private_files import PRIVATE_UMASK
from api.app import serve
from application.bootstrap import check_keys
from application.settings import ConfigurationError, load_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m api", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--development",
        action="store_true",
        help="accept the fixed dev tokens (dev-caseworker, dev-supervisor, ...); never with real data",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    os.umask(PRIVATE_UMASK)  # what the API creates is its owner's only, as under `pes serve`
    try:
        settings = load_settings()
        check_keys(settings)
        serve(settings, args.host, args.port, development=args.development)
    except ConfigurationError as error:
        parser.exit(2, f"python -m api: {error}\n")


if __name__ == "__main__":
    main()
