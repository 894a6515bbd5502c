"""Events <-> stored rows, as JSON written by pydantic (our own small pydantic mapper).

The stored topic is the event's name from the catalogue (``BatonHanded``), not a Python
path, so the code can be reorganised without breaking the stored log.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent
from pydantic import BaseModel

from stafet.domain.administration import ADMIN_EVENT_TYPES
from stafet.domain.events import EVENT_TYPES, CaseOpened, PersonalDataErased
from stafet.storage import evolution
from stafet.storage.failures import StoreUnusable
from stafet.storage.keys import KeyErased, KeyStore, seal, unseal

# The log's events (snapshots have a mapper of their own: stafet.storage.snapshots).
TOPICS: dict[str, type[BaseModel]] = {**EVENT_TYPES, **ADMIN_EVENT_TYPES}
_ENVELOPE_KEYS = {"originator_id", "originator_version"}


class PydanticMapper(Mapper[Any]):
    """Personal fields (each event's PERSONAL) are sealed with the citizen's key on the way in
    and opened on the way out; once the key is erased they read "[erased]"."""

    def __init__(self, keys: KeyStore, compressor: Any = None, cipher: Any = None) -> None:
        super().__init__(transcoder=JSONTranscoder(), compressor=compressor, cipher=cipher)
        self.keys = keys

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        topic = type(domain_event).__name__
        if topic not in TOPICS:
            raise TypeError(f"{topic} is not in the event catalogue")
        paths: tuple[str, ...] = getattr(type(domain_event), "PERSONAL", ())
        if paths:
            case_id = domain_event.originator_id
            key = (self.keys.open_case(case_id, domain_event.subject_ref, domain_event.recorded_at)
                   if isinstance(domain_event, CaseOpened) else self.keys.key_for_case(case_id))
            if key is None:
                raise KeyErased(str(case_id))
            data = domain_event.model_dump(mode="json", exclude=_ENVELOPE_KEYS)
            seal(data, paths, key, case_id)
            evolution.stamp(type(domain_event), data)
            state = json.dumps(data, ensure_ascii=False).encode("utf-8")
        elif evolution.version_of(type(domain_event)) > 1:
            data = domain_event.model_dump(mode="json", exclude=_ENVELOPE_KEYS)
            evolution.stamp(type(domain_event), data)
            state = json.dumps(data, ensure_ascii=False).encode("utf-8")
        else:
            state = domain_event.model_dump_json(exclude=_ENVELOPE_KEYS).encode("utf-8")
        if self.compressor:
            state = self.compressor.compress(state)
        if self.cipher:
            state = self.cipher.encrypt(state)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=topic,
            state=state,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        try:
            return self._to_domain_event(stored_event)
        except (ValueError, KeyError, InvalidTag) as error:
            # Bytes that are no longer what was stored (a damaged disk, an edit behind the
            # ledger's back): one sentence, not a decoder's traceback. (KeyErased and
            # ErasedSnapshot are neither; they pass.)
            raise StoreUnusable(
                f"entry {stored_event.originator_version} of case {stored_event.originator_id} "
                f"cannot be read ({_kind(error)}); the database is damaged: run stafet "
                "verify, and restore it from a backup") from error

    def _to_domain_event(self, stored_event: StoredEvent) -> Any:
        state = stored_event.state
        if self.cipher:
            state = self.cipher.decrypt(state)
        if self.compressor:
            state = self.compressor.decompress(state)
        data = json.loads(state)
        cls = TOPICS[stored_event.topic]
        # An event of an earlier version, as the current class reads it (stored bytes unchanged).
        data = evolution.upcast(cls, data, stored_event.topic)
        if cls is PersonalDataErased:
            # Another process erased this citizen: stop using the key this process holds.
            self.keys.forget(UUID(str(stored_event.originator_id)))
        paths: tuple[str, ...] = getattr(cls, "PERSONAL", ())
        if paths:
            case_id = stored_event.originator_id
            assert isinstance(case_id, UUID)
            unseal(data, paths, self.keys.key_for_case(case_id), case_id)
        data["originator_id"] = stored_event.originator_id
        data["originator_version"] = stored_event.originator_version
        return cls.model_validate(data)

def _kind(error: BaseException) -> str:
    kind = type(error)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
