"""Test-only launcher: the API (development tokens, settings from the environment) serving on a
listening socket inherited from the test, whose process SIGKILLs itself right after its first
command's transaction commits (its save, or on SQLite its batch): no answer has been sent.

`python -m tests.api_dying_after_save <socket fd>`
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from adapters.group_commit import GroupCommit
from api.app import create_app
from application.cases import CaseManagement
from application.settings import Settings


def die_after_the_first_commit(settings: Settings) -> None:
    if settings.event_store == "sqlite":
        # The API records its commands in batches there: a save is committed with its batch.
        batch = GroupCommit.batch

        @contextmanager
        def batch_then_die(self: GroupCommit) -> Iterator[None]:
            with batch(self):
                yield
            os.kill(os.getpid(), signal.SIGKILL)

        GroupCommit.batch = batch_then_die  # type: ignore[assignment, method-assign]
        return
    save = CaseManagement.save

    def save_then_die(self: CaseManagement, *objs: Any, **kwargs: Any) -> Any:
        recordings = save(self, *objs, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
        return recordings

    CaseManagement.save = save_then_die  # type: ignore[method-assign]


def main(fd: int) -> None:
    settings = Settings()
    die_after_the_first_commit(settings)
    app = create_app(settings, development=True)
    uvicorn.Server(uvicorn.Config(app, fd=fd, log_config=None)).run()


if __name__ == "__main__":
    main(int(sys.argv[1]))
