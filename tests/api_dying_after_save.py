"""Test-only launcher: the API (development tokens, settings from the environment) serving on a
listening socket inherited from the test, whose process SIGKILLs itself right after its first
successful save: the command's transaction is committed and no answer has been sent.

`python -m tests.api_dying_after_save <socket fd>`
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

import uvicorn

from api.app import create_app
from application.cases import CaseManagement
from application.settings import Settings


def die_after_the_first_save() -> None:
    save = CaseManagement.save

    def save_then_die(self: CaseManagement, *objs: Any, **kwargs: Any) -> Any:
        recordings = save(self, *objs, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
        return recordings

    CaseManagement.save = save_then_die  # type: ignore[method-assign]


def main(fd: int) -> None:
    die_after_the_first_save()
    app = create_app(Settings(), development=True)
    uvicorn.Server(uvicorn.Config(app, fd=fd, log_config=None)).run()


if __name__ == "__main__":
    main(int(sys.argv[1]))
