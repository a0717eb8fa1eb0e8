"""The data folder and the files in it are readable by their owner only (docs/operations.md).

Files are created 0600 and folders 0700 whatever the process umask. A file or folder found with
wider modes is tightened on open, with a warning naming it: the application owns its data
folder, and a copy of the case history or of a key readable by other local users is the thing
to prevent. A folder the process does not own, or a shared one (sticky bit, like /tmp), is left
as it is, with a warning.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
PRIVATE_DIRECTORY = 0o700
PRIVATE_FILE = 0o600
# SQLite gives these the mode of the database file when it creates them; ones left by an
# earlier run (or another tool) keep theirs, so they are checked too.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_directory(path: Path) -> Path:
    """Creates the folder (0700) or tightens the existing one; returns it."""
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(PRIVATE_DIRECTORY)
        return path
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077 == 0:
        return path
    if path.stat().st_mode & stat.S_ISVTX:
        log.warning(
            "the data folder %s is shared (mode %o, sticky): other users may list it; "
            "use a folder of its own (PES_DATA_DIR)",
            path,
            mode,
        )
        return path
    try:
        path.chmod(PRIVATE_DIRECTORY)
    except PermissionError:
        log.warning(
            "the data folder %s has mode %o and cannot be tightened to %o (not its owner)",
            path,
            mode,
            PRIVATE_DIRECTORY,
        )
        return path
    log.warning("tightened the data folder %s from mode %o to %o", path, mode, PRIVATE_DIRECTORY)
    return path


def private_file(path: Path) -> Path:
    """Creates the (empty) file 0600 in a private folder, or tightens the existing one."""
    private_directory(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        tighten(path)
    else:
        path.chmod(PRIVATE_FILE)  # in case the umask took more than group and others
    return path


def private_sqlite(path: Path) -> Path:
    """A SQLite database file and its companions, private before SQLite opens them."""
    private_file(path)
    for suffix in SQLITE_COMPANIONS:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            tighten(companion)
    return path


def tighten(path: Path) -> Path:
    """Takes every permission of group and others off an existing file, with a warning."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        path.chmod(mode & ~0o077)
        log.warning(
            "tightened %s from mode %o to %o: data and key files are readable by their owner only",
            path,
            mode,
            mode & ~0o077,
        )
    return path
