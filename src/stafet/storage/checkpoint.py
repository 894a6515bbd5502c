"""Signed checkpoints: the log's size and head, signed with a key kept outside the database.

A checkpoint is a C2SP signed note (c2sp.org/signed-note) in the C2SP ``tlog-checkpoint``
layout (c2sp.org/tlog-checkpoint)::

    stafet-ledger/5d0c6f1b2a9e4c37           <- origin: the key's name
    90                                       <- size: events in the log
    qL0Fw3l1...9kM=                          <- root: base64 of the chain head after them
    taken-at 2026-11-30T02:00:00Z            <- extension lines (signed too)
    access-log 12 6f1c...e0                  <- the access log's newest entry: seq, hash
    subject-pepper-fingerprint 9a3b...77     <- SHA-256 fingerprint of the subject pepper
                                             <- a blank line
    — stafet-ledger/5d0c6f1b2a9e4c37 AbCd...==   <- base64(key id || Ed25519 signature)

The "root" is **not** a Merkle tree root: it is stafet's hash chain head after ``size`` events
(``stafet.storage.chain``), so a checkpoint proves a prefix of the log by recomputation, not by
an inclusion or consistency proof. The key id is C2SP's: the first four bytes of
SHA-256(name || 0x0A || 0x01 || public key). The public key is published as one line in the
Go ``note`` verifier-key form, ``<name>+<key id hex>+<base64(0x01 || public key)>``.

A verifier trusts only a public key given to it (a file kept beside the published checkpoints
or named on the command line), never one read from the ledger's database, and reads at most
``MAX_NOTE_BYTES`` of any file it is handed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import stat
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from stafet.domain.errors import cut
from stafet.storage.access import AccessHead

ORIGIN_PREFIX = "stafet-ledger/"
ED25519 = b"\x01"  # C2SP signed-note signature type
MAX_NOTE_BYTES = 8192  # ours are under 600 bytes; 16 Ed25519 signatures still fit
PUBLIC_KEY_FILE = "checkpoint-key.pub"
SUFFIX = ".checkpoint"
DEFAULT_KEY_SUFFIX = ".checkpoint-key"  # beside the SQLite file: stafet.db.checkpoint-key
_EM_DASH = "\u2014"
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


class CheckpointRefused(Exception):
    """A checkpoint (or a key) that cannot be used; the message is one sentence."""


@dataclass(frozen=True)
class Checkpoint:
    """What a checkpoint states about the log; ``origin`` and ``note`` once signed or read."""

    size: int  # events in the log
    root: bytes  # the chain head after them (32 bytes)
    taken_at: datetime | None = None
    access: AccessHead | None = None
    pepper: str | None = None  # hex SHA-256 fingerprint of the subject pepper
    origin: str = ""
    note: str | None = None  # the signed note's text, as signed or read
    source: str = ""  # where it was read from, for messages
    named: str | None = None  # how messages name it, when not "the checkpoint at ..."

    @property
    def head(self) -> str:
        return self.root.hex()

    @property
    def label(self) -> str:
        """How messages name it: ``the checkpoint at 90 events of 2026-11-30 02:00:00 UTC``."""
        if self.named:
            return self.named
        when = f" of {self.taken_at:%Y-%m-%d %H:%M:%S} UTC" if self.taken_at else ""
        where = f" ({self.source})" if self.source else ""
        return f"the checkpoint at {self.size} events{when}{where}"

    def body(self, origin: str) -> str:
        """The note text (what is signed): origin, size, root, then the extension lines."""
        lines = [origin, str(self.size), base64.b64encode(self.root).decode("ascii")]
        if self.taken_at is not None:
            lines.append("taken-at " + self.taken_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        if self.access is not None:
            lines.append(f"access-log {self.access.seq} {self.access.hash}")
        if self.pepper is not None:
            lines.append(f"subject-pepper-fingerprint {self.pepper}")
        return "\n".join(lines) + "\n"


# -- keys -------------------------------------------------------------------------------------


def key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + ED25519 + public).digest()[:4]


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    """A trusted public key: its name (the origin of its checkpoints), key id and key."""

    name: str
    key_id: bytes
    public: bytes  # 32 bytes

    @classmethod
    def of(cls, public: bytes) -> Verifier:
        name = ORIGIN_PREFIX + hashlib.sha256(public).hexdigest()[:16]
        return cls(name, key_id(name, public), public)

    def vkey(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(ED25519 + self.public).decode()}"

    @classmethod
    def parse(cls, line: str) -> Verifier:
        """A verifier key line (``name+keyid+base64``), checked against itself."""
        name, plus, rest = line.strip().partition("+")
        hex_id, plus2, data = rest.partition("+")
        try:
            raw = base64.b64decode(data, validate=True)
            wanted = bytes.fromhex(hex_id)
        except (binascii.Error, ValueError):
            raise CheckpointRefused("the public key is not a checkpoint key line "
                                    "(name+keyid+base64)") from None
        if not (name and plus and plus2) or len(raw) != 33 or raw[:1] != ED25519 \
                or len(wanted) != 4:
            raise CheckpointRefused("the public key is not an Ed25519 checkpoint key line "
                                    "(name+keyid+base64)")
        if key_id(name, raw[1:]) != wanted:
            raise CheckpointRefused("the public key line's key id does not match its key")
        return cls(name, wanted, raw[1:])

    def verify(self, text: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, text)
        except InvalidSignature:
            return False
        return True


class CheckpointKey:
    """The ledger's signing key (Ed25519), kept in a PEM file readable by its owner alone."""

    def __init__(self, private: Ed25519PrivateKey, path: Path | None = None) -> None:
        self._private = private
        self.path = path
        self.verifier = Verifier.of(_raw_public(private.public_key()))

    @property
    def name(self) -> str:
        return self.verifier.name

    @classmethod
    def load(cls, path: Path) -> CheckpointKey:
        try:
            info = path.stat()
        except FileNotFoundError:
            raise CheckpointRefused(f"the checkpoint key {cut(path)} does not exist (stafet init "
                                    "--checkpoint-key FILE makes one)") from None
        except OSError as error:
            raise CheckpointRefused(f"the checkpoint key {cut(path)} cannot be read "
                                    f"({error.strerror})") from None
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_NOTE_BYTES:
            raise CheckpointRefused(f"{cut(path)} is not a checkpoint key (a small PEM file)")
        if os.name == "posix" and info.st_mode & 0o077:
            raise CheckpointRefused(f"the checkpoint key {cut(path)} may be read by others; make it "
                                    f"its owner's alone (chmod 600 {path})")
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError, OSError):
            raise CheckpointRefused(f"{cut(path)} is not a checkpoint key (an Ed25519 private key "
                                    "in PEM)") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise CheckpointRefused(f"{cut(path)} is not an Ed25519 key")
        return cls(key, path)

    @classmethod
    def generate(cls, path: Path) -> CheckpointKey:
        """A new key, written to ``path`` (mode 0600); refuses to overwrite a file."""
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CheckpointRefused(f"{cut(path)} exists already; a checkpoint key is never "
                                    "overwritten") from None
        except OSError as error:
            raise CheckpointRefused(f"the checkpoint key {cut(path)} cannot be written "
                                    f"({error.strerror})") from None
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        return cls(key, path)

    def sign(self, checkpoint: Checkpoint) -> Checkpoint:
        """The checkpoint as a signed note (``note``), its origin this key's name."""
        body = checkpoint.body(self.name)
        signature = self._private.sign(body.encode("utf-8"))
        line = f"{_EM_DASH} {self.name} {base64.b64encode(self.verifier.key_id + signature).decode()}\n"
        return replace(checkpoint, origin=self.name, note=body + "\n" + line)




# -- reading ----------------------------------------------------------------------------------


def read_small(path: Path, what: str = "checkpoint") -> str:
    """A file's text, refused quickly when it cannot be a checkpoint: never reads more than
    ``MAX_NOTE_BYTES`` (so /dev/zero or a huge file cost nothing) and never waits on a pipe."""
    try:
        info = path.stat()
        if stat.S_ISFIFO(info.st_mode) or stat.S_ISSOCK(info.st_mode) or stat.S_ISDIR(info.st_mode):
            raise CheckpointRefused(f"{cut(path)} is not a {what} file")
        with path.open("rb") as f:
            data = f.read(MAX_NOTE_BYTES + 1)
    except FileNotFoundError:
        raise CheckpointRefused(f"{cut(path)} does not exist") from None
    except OSError as error:
        raise CheckpointRefused(f"{cut(path)} cannot be read ({error.strerror})") from None
    if len(data) > MAX_NOTE_BYTES:
        raise CheckpointRefused(f"{cut(path)} is larger than any {what} (over {MAX_NOTE_BYTES} "
                                "bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise CheckpointRefused(f"{cut(path)} is not a {what} (not UTF-8 text)") from None


def read_verifiers(path: Path) -> list[Verifier]:
    """The public keys in a key file (one verifier key line each; blank lines and # notes
    ignored), e.g. ``DIR/checkpoint-key.pub``."""
    text = read_small(path, "public key")
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            try:
                found.append(Verifier.parse(line))
            except CheckpointRefused as refused:
                raise CheckpointRefused(f"{cut(path)}: {refused}") from None
    if not found:
        raise CheckpointRefused(f"{cut(path)} holds no public key")
    return found


def _refuse(source: str, why: str) -> CheckpointRefused:
    return CheckpointRefused(f"{source} is not a checkpoint of this ledger: {why}")


def open_note(text: str, trusted: list[Verifier], source: str = "the checkpoint") -> Checkpoint:
    """Parse a signed checkpoint and check its signature against the trusted keys.

    Refused (one sentence) unless it is well formed and signed by one of them; a signature by a
    trusted key that fails to verify refuses the whole note (C2SP)."""
    if len(text.encode("utf-8")) > MAX_NOTE_BYTES:
        raise _refuse(source, f"it is over {MAX_NOTE_BYTES} bytes")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise _refuse(source, "it holds control characters")
    cut = text.rfind("\n\n")
    if cut < 0 or not text.endswith("\n"):
        raise _refuse(source, "it is not a signed note (text, a blank line, signature lines)")
    body, signatures = text[:cut + 1], text[cut + 2:].splitlines()
    lines = body[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise _refuse(source, "a checkpoint has an origin, a size and a root hash, "
                              "one a line, and no empty lines")
    origin, size_text, root_text, *extensions = lines
    if not _DECIMAL.fullmatch(size_text):
        raise _refuse(source, f"its size '{size_text[:20]}' is not a number")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error:
        root = b""
    if len(root) != 32:
        raise _refuse(source, "its root hash is not 32 bytes in base64")
    if not signatures:
        raise _refuse(source, "it is not signed")
    verified = None
    names = []
    for line in signatures:
        dash, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        if dash != _EM_DASH or not name or not encoded or " " in encoded:
            raise _refuse(source, "a signature line is malformed")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise _refuse(source, "a signature is not base64") from None
        names.append(name)
        for verifier in trusted:
            if (name, raw[:4]) != (verifier.name, verifier.key_id):
                continue
            if not verifier.verify(body.encode("utf-8"), raw[4:]):
                raise _refuse(source, "its signature does not verify: it was forged or altered")
            verified = verifier
    if verified is None:
        raise _refuse(source, "it is not signed by the ledger's checkpoint key (signed by "
                              f"{', '.join(n[:60] for n in names)})")
    if origin != verified.name:
        raise _refuse(source, f"its origin '{origin[:60]}' is not the key's name")
    checkpoint = Checkpoint(size=int(size_text), root=root, origin=origin, note=text,
                            source=source)
    return _extensions(checkpoint, extensions, source)


def _extensions(checkpoint: Checkpoint, lines: list[str], source: str) -> Checkpoint:
    """Our extension lines (signed with the rest); others are ignored, as C2SP says."""
    found: dict[str, object] = {}
    for line in lines:
        word, _, value = line.partition(" ")
        if word == "taken-at":
            try:
                found["taken_at"] = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(
                    tzinfo=UTC)
            except ValueError:
                raise _refuse(source, "its taken-at line is not a UTC time") from None
        elif word == "access-log":
            seq, _, hash_ = value.partition(" ")
            if not _DECIMAL.fullmatch(seq) or not _HEX64.fullmatch(hash_):
                raise _refuse(source, "its access-log line is not a number and a hash")
            found["access"] = AccessHead(int(seq), hash_)
        elif word == "subject-pepper-fingerprint":
            if not _HEX64.fullmatch(value):
                raise _refuse(source, "its subject-pepper-fingerprint line is not a hash")
            found["pepper"] = value
    return replace(checkpoint, **found)  # type: ignore[arg-type]


def read_checkpoint(path: Path, trusted: list[Verifier]) -> Checkpoint:
    """A checkpoint file, refused in one sentence unless it is one and signed by a trusted key;
    a file named ``<size>.checkpoint`` must hold the checkpoint at that size."""
    checkpoint = open_note(read_small(path), trusted, str(path))
    stem = path.name.removesuffix(SUFFIX)
    if path.name.endswith(SUFFIX) and stem.isdigit() and int(stem) != checkpoint.size:
        raise _refuse(str(path), f"it holds the checkpoint at {checkpoint.size} events, but its "
                                 f"name says {stem}")
    return checkpoint


def read_series(folder: Path, trusted: list[Verifier] | None = None,
                ) -> tuple[list[Verifier], list[Checkpoint]]:
    """Every checkpoint kept in a folder, oldest first, with the keys they were checked
    against (``trusted``, else the folder's ``checkpoint-key.pub``)."""
    if not folder.is_dir():
        raise CheckpointRefused(f"{folder} is not a folder of checkpoints")
    if trusted is None:
        published = folder / PUBLIC_KEY_FILE
        if not published.exists():
            raise CheckpointRefused(f"{folder} holds no {PUBLIC_KEY_FILE}; give the ledger's "
                                    "public checkpoint key with --key FILE")
        trusted = read_verifiers(published)
    checkpoints = [read_checkpoint(path, trusted) for path in sorted(folder.glob("*" + SUFFIX))]
    # Operations (issue 19): a restore note sets aside the checkpoints of events it lost.
    from stafet.storage.backup import binding

    return trusted, binding(folder, trusted, sorted(checkpoints, key=lambda c: c.size))
