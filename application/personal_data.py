"""Personal data: kept apart from the case history, encrypted per client, erasable.

Events and Kafka messages name a client only by `client_ref`. Names, contact details and
identifiers live here, each client's record encrypted with its own random data key, and that key
encrypted (wrapped) with the master key from `PES_PERSONAL_DATA_KEY`. Erasure deletes the record
and its wrapped key (crypto-shredding: without the key no copy of the ciphertext is readable) and
keeps only who erased it, when and why. See docs/personal-data.md.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict, Field

from adapters.private_files import PRIVATE_FILE, private_directory, tighten
from adapters.view_database import ViewDatabase
from application.settings import ConfigurationError
from domain.base import Actor, Role
from domain.inputs import Day

if TYPE_CHECKING:
    from application.settings import Settings

log = logging.getLogger(__name__)

KEY_BYTES = 32
NONCE_BYTES = 12
PERSONAL_DATA_KEY_ENV = "PES_PERSONAL_DATA_KEY"
DEVELOPMENT_KEY_FILE = "personal_data.dev-key"
ERASURE_REASON_MAX_LENGTH = 500


class PersonalData(BaseModel):
    """What identifies or reaches a client. Only the names are required."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    given_name: str = Field(min_length=1, max_length=200)
    family_name: str = Field(min_length=1, max_length=200)
    date_of_birth: Day | None = None
    phone: str | None = Field(None, min_length=1, max_length=50)
    email: str | None = Field(None, min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    address: str | None = Field(None, min_length=1, max_length=500)
    national_id: str | None = Field(None, min_length=1, max_length=50)


class Access(StrEnum):
    PUT = "put"
    GET = "get"
    ERASE = "erase"


@dataclass(frozen=True)
class Erasure:
    """What is kept of an erased client's record: no personal data, only the erasure itself."""

    client_ref: str
    erased_at: datetime
    erased_by: Actor
    reason: str


class PersonalDataError(Exception):
    """Base of the store's refusals."""


class PersonalDataKeyError(PersonalDataError, ConfigurationError):
    """The master key is missing or malformed; the store refuses to open."""


class PersonalDataNotFound(PersonalDataError):
    """Nothing was ever stored for the client."""


class PersonalDataErased(PersonalDataError):
    """The client's personal data was erased; it cannot be read or stored again."""

    def __init__(self, erasure: Erasure) -> None:
        super().__init__(
            f"the personal data of {erasure.client_ref} was erased on "
            f"{erasure.erased_at.isoformat()} by {erasure.erased_by.id}"
        )
        self.erasure = erasure


def _schema(binary: str) -> str:
    return f"""
    CREATE TABLE IF NOT EXISTS personal_data (
        client_ref TEXT PRIMARY KEY,
        wrapped_key {binary} NOT NULL,
        ciphertext {binary} NOT NULL,
        recorded_at TEXT NOT NULL,
        recorded_by TEXT NOT NULL,
        recorded_by_role TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS personal_data_erasures (
        client_ref TEXT PRIMARY KEY,
        erased_at TEXT NOT NULL,
        erased_by TEXT NOT NULL,
        erased_by_role TEXT NOT NULL,
        reason TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS personal_data_access_log (
        accessed_at TEXT NOT NULL,
        client_ref TEXT NOT NULL,
        access TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        actor_role TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS personal_data_access_log_by_client
        ON personal_data_access_log (client_ref)
    """


class PersonalDataStore:
    """Each client's personal data, encrypted with its own key; one database connection."""

    def __init__(self, database: ViewDatabase, master_key: bytes) -> None:
        if len(master_key) != KEY_BYTES:
            raise PersonalDataKeyError(f"the master key must be {KEY_BYTES} bytes")
        self._database = database
        self._master = AESGCM(master_key)
        # FastAPI runs sync endpoints on a thread pool; one connection must not interleave
        # two transactions.
        self._lock = threading.Lock()
        if database.dialect == "sqlite":
            # Deleted rows are overwritten with zeros, not left in free pages of the file.
            database.execute("PRAGMA secure_delete=ON")
            database.create(_schema("BLOB"))
        else:
            database.create(_schema("BYTEA"))

    def close(self) -> None:
        self._database.close()

    def put(self, client_ref: str, data: PersonalData, actor: Actor) -> None:
        """Stores (or replaces) the client's record under a fresh data key."""
        data_key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        ciphertext = _seal(AESGCM(data_key), data.model_dump_json().encode(), _aad(client_ref))
        wrapped_key = _seal(self._master, data_key, _aad(client_ref, "key"))
        now = _now()
        with self._lock, self._database.transaction():
            self._refuse_if_erased(client_ref)
            self._database.execute(
                "INSERT INTO personal_data (client_ref, wrapped_key, ciphertext, recorded_at, "
                "recorded_by, recorded_by_role) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (client_ref) DO UPDATE SET wrapped_key = excluded.wrapped_key, "
                "ciphertext = excluded.ciphertext, recorded_at = excluded.recorded_at, "
                "recorded_by = excluded.recorded_by, "
                "recorded_by_role = excluded.recorded_by_role",
                (client_ref, wrapped_key, ciphertext, now.isoformat(), actor.id, actor.role.value),
            )
            self._log(client_ref, Access.PUT, actor, now)

    def get(self, client_ref: str, actor: Actor) -> PersonalData | None:
        """The client's record; None if never stored; raises `PersonalDataErased` if erased."""
        with self._lock, self._database.transaction():
            self._refuse_if_erased(client_ref)
            rows = self._database.execute(
                "SELECT wrapped_key, ciphertext FROM personal_data WHERE client_ref = ?",
                (client_ref,),
            )
            if not rows:
                return None
            self._log(client_ref, Access.GET, actor, _now())
        wrapped_key, ciphertext = (bytes(value) for value in rows[0])
        data_key = _open(self._master, wrapped_key, _aad(client_ref, "key"))
        return PersonalData.model_validate_json(
            _open(AESGCM(data_key), ciphertext, _aad(client_ref))
        )

    def erase(self, client_ref: str, actor: Actor, reason: str) -> Erasure:
        """Destroys the client's data key and ciphertext; keeps who erased it, when and why."""
        reason = reason.strip()
        if not reason or len(reason) > ERASURE_REASON_MAX_LENGTH:
            raise ValueError(f"an erasure needs a reason of 1..{ERASURE_REASON_MAX_LENGTH} chars")
        erasure = Erasure(client_ref=client_ref, erased_at=_now(), erased_by=actor, reason=reason)
        with self._lock:
            with self._database.transaction():
                self._refuse_if_erased(client_ref)
                deleted = self._database.execute(
                    "DELETE FROM personal_data WHERE client_ref = ? RETURNING client_ref",
                    (client_ref,),
                )
                if not deleted:
                    raise PersonalDataNotFound(f"no personal data is stored for {client_ref}")
                self._database.execute(
                    "INSERT INTO personal_data_erasures (client_ref, erased_at, erased_by, "
                    "erased_by_role, reason) VALUES (?, ?, ?, ?, ?)",
                    (client_ref, erasure.erased_at.isoformat(), actor.id, actor.role.value, reason),
                )
                self._log(client_ref, Access.ERASE, actor, erasure.erased_at)
            self._purge_deleted_pages()
        return erasure

    def erasure(self, client_ref: str) -> Erasure | None:
        rows = self._database.execute(
            "SELECT erased_at, erased_by, erased_by_role, reason "
            "FROM personal_data_erasures WHERE client_ref = ?",
            (client_ref,),
        )
        if not rows:
            return None
        erased_at, erased_by, role, reason = rows[0]
        return Erasure(
            client_ref=client_ref,
            erased_at=datetime.fromisoformat(erased_at),
            erased_by=Actor(id=erased_by, role=Role(role)),
            reason=reason,
        )

    def access_log(self, client_ref: str) -> list[tuple[datetime, Access, Actor]]:
        """Who put, read or erased the client's record, oldest first."""
        rows = self._database.execute(
            "SELECT accessed_at, access, actor_id, actor_role FROM personal_data_access_log "
            "WHERE client_ref = ? ORDER BY accessed_at",
            (client_ref,),
        )
        return [
            (datetime.fromisoformat(at), Access(access), Actor(id=actor, role=Role(role)))
            for at, access, actor, role in rows
        ]

    def _refuse_if_erased(self, client_ref: str) -> None:
        erasure = self.erasure(client_ref)
        if erasure is not None:
            raise PersonalDataErased(erasure)

    def _log(self, client_ref: str, access: Access, actor: Actor, at: datetime) -> None:
        self._database.execute(
            "INSERT INTO personal_data_access_log (accessed_at, client_ref, access, actor_id, "
            "actor_role) VALUES (?, ?, ?, ?, ?)",
            (at.isoformat(), client_ref, access.value, actor.id, actor.role.value),
        )

    def _purge_deleted_pages(self) -> None:
        if self._database.dialect == "sqlite":
            # The WAL still holds the pages as they were before the delete; truncating it after
            # the checkpoint leaves the erased bytes nowhere in the database's files.
            busy, *_ = self._database.execute("PRAGMA wal_checkpoint(TRUNCATE)")[0]
            if busy:
                log.warning(
                    "an erasure's old pages stay in the personal data WAL until the next "
                    "checkpoint: another connection is reading"
                )
        else:
            # Lets PostgreSQL reuse the dead row versions; it does not overwrite them on disk
            # (docs/personal-data.md says what that means for erasure).
            self._database.execute("VACUUM personal_data")


def _aad(client_ref: str, purpose: str = "record") -> bytes:
    # Binds each ciphertext to its client and purpose, so rows cannot be swapped undetected.
    return f"pes-personal-data:{purpose}:{client_ref}".encode()


def _seal(cipher: AESGCM, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + cipher.encrypt(nonce, plaintext, aad)


def _open(cipher: AESGCM, sealed: bytes, aad: bytes) -> bytes:
    try:
        return cipher.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except InvalidTag:
        raise PersonalDataKeyError(
            "a personal data record does not decrypt: wrong PES_PERSONAL_DATA_KEY or a damaged row"
        ) from None


def _now() -> datetime:
    return datetime.now(UTC)


def decode_master_key(encoded: str) -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise PersonalDataKeyError(f"{PERSONAL_DATA_KEY_ENV} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise PersonalDataKeyError(
            f"{PERSONAL_DATA_KEY_ENV} must be base64 of {KEY_BYTES} bytes, not {len(key)}"
        )
    return key


def new_master_key() -> str:
    """A fresh master key, base64, as `PES_PERSONAL_DATA_KEY` expects it."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def master_key_from_settings(settings: Settings, *, development: bool = False) -> bytes:
    """`PES_PERSONAL_DATA_KEY`; without it only development mode opens, with a generated key
    kept (unprotected) in the data folder."""
    if settings.personal_data_key is not None:
        return decode_master_key(settings.personal_data_key.get_secret_value())
    if not development:
        raise PersonalDataKeyError(
            f"{PERSONAL_DATA_KEY_ENV} is not set: the personal data store needs a master key "
            f'(base64 of {KEY_BYTES} random bytes, e.g. `python -c "import base64, os; '
            f'print(base64.b64encode(os.urandom(32)).decode())"`), or development mode'
        )
    path = settings.data_dir / DEVELOPMENT_KEY_FILE
    log.warning(
        "DEVELOPMENT MODE: personal data is encrypted with a generated key kept beside it in %s; "
        "anyone who can read the data folder can read the personal data. Never run it like "
        "this with real data: set %s.",
        path,
        PERSONAL_DATA_KEY_ENV,
    )
    return decode_master_key(_development_key(path))


def _development_key(path: Path) -> str:
    if path.exists():
        return tighten(path).read_text().strip()
    private_directory(path.parent)
    key = new_master_key()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(descriptor, "w") as file:
        file.write(key + "\n")
    return key
