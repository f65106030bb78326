"""python-threatexchange's exchange APIs, built for one configured exchange.

The library's own classes do the talking (NCMEC's XML v2 client, StopNCII's JSON client,
ThreatExchange's Graph API client, the local file reader). Two things are added here: a base
URL that settings can point elsewhere (a staging server, or the fakes the tests run), and
StopNCII deletions: the library compares the hash *value* with the withdrawn and deleted
statuses, so a withdrawn hash would never leave the bank; here the record's `hashStatus` decides.
"""

from __future__ import annotations

import dataclasses
import typing as t
from typing import Any

from threatexchange.exchanges import fetch_state
from threatexchange.exchanges.auth import SignalExchangeWithAuth
from threatexchange.exchanges.clients.ncmec import hash_api
from threatexchange.exchanges.clients.stopncii import api as stopncii
from threatexchange.exchanges.impl.fb_threatexchange_api import FBThreatExchangeSignalExchangeAPI
from threatexchange.exchanges.impl.file_api import LocalFileSignalExchangeAPI
from threatexchange.exchanges.impl.ncmec_api import NCMECCheckpoint, NCMECSignalExchangeAPI
from threatexchange.exchanges.impl.static_sample import StaticSampleSignalExchangeAPI
from threatexchange.exchanges.impl.stop_ncii_api import (
    StopNCIICheckpoint,
    StopNCIICredentials,
    StopNCIISignalExchangeAPI,
)
from threatexchange.exchanges.signal_exchange_api import SignalExchangeAPI
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal
from threatexchange.signal_type.signal_base import SignalType
from threatexchange.utils import dataclass_json

from takedown.config import Settings

# The signal types Takedown banks from exchanges (python-threatexchange's classes).
SIGNAL_TYPES: list[type[SignalType]] = [PdqSignal, VideoMD5Signal]
REMOVED_STATUSES = (stopncii.StopNCIICaseStatus.Withdrawn, stopncii.StopNCIICaseStatus.Deleted)


class NcmecExchange(NCMECSignalExchangeAPI):
    """NCMEC hash sharing at the configured base URL instead of the environment's."""

    base_url: str = ""

    def get_client(self, environment: hash_api.NCMECEnvironment) -> hash_api.NCMECHashAPI:
        client = super().get_client(environment)
        if self.base_url:
            client._base_url = self.base_url.rstrip("/")
        return client


class StopNciiExchange(StopNCIISignalExchangeAPI):
    """StopNCII whose deltas carry the client's records, None for a withdrawn or deleted hash."""

    def fetch_iter(
        self,
        _supported_signal_types: t.Sequence[type[SignalType]],
        checkpoint: StopNCIICheckpoint | None,
    ) -> t.Iterator[fetch_state.FetchDelta[Any, Any, Any]]:
        start = stopncii.StopNCIIAPI.DEFAULT_START_TIME
        if checkpoint is not None:
            start = checkpoint.update_time
        for page in self.api.fetch_hashes_iter(start_timestamp=start):
            updates: dict[tuple[str, str], stopncii.StopNCIIHashRecord | None] = {}
            for record in page.hashRecords:
                removed = record.hashStatus in REMOVED_STATUSES
                updates[record.signalType.value, record.hashValue] = None if removed else record
            yield fetch_state.FetchDelta(updates, StopNCIICheckpoint.from_stopncii_fetch(page))


APIS: dict[str, type[SignalExchangeAPI[Any, Any, Any, Any, Any]]] = {
    "ncmec": NcmecExchange,
    "stop_ncii": StopNciiExchange,
    "fb_threatexchange": FBThreatExchangeSignalExchangeAPI,
    "local_file": LocalFileSignalExchangeAPI,
    "sample": StaticSampleSignalExchangeAPI,
}


def collab_config(api: str, config: dict[str, Any]) -> Any:
    return dataclass_json.dataclass_load_dict(config, APIS[api].get_config_cls())


def build(
    api: str, config: dict[str, Any], credentials: dict[str, Any] | None, settings: Settings
) -> SignalExchangeAPI[Any, Any, Any, Any, Any]:
    """The library's API object for this exchange, authenticated from the stored credentials
    (never from the environment or home directory, as its own discovery would)."""
    cls = APIS.get(api)
    if cls is None:
        raise LookupError(f"no exchange API {api!r}")
    collab = collab_config(api, config)
    if not issubclass(cls, SignalExchangeWithAuth):
        return cls.for_collab(collab)
    if not credentials:
        raise PermissionError(f"no credentials set for exchange API {api!r}")
    creds = cls.get_credential_cls()(**credentials)
    if isinstance(creds, StopNCIICredentials) and not creds.base_url_override:
        creds = dataclasses.replace(creds, base_url_override=settings.stopncii_url or None)
    instance = cls.for_collab(collab, creds)
    if isinstance(instance, NcmecExchange):
        instance.base_url = settings.ncmec_hash_sharing_url
    if isinstance(instance, FBThreatExchangeSignalExchangeAPI) and settings.threatexchange_url:
        instance.client._base_url = settings.threatexchange_url.rstrip("/")
    return instance


def load_checkpoint(api: str, stored: dict[str, Any] | None) -> Any:
    if stored is None:
        return None
    return dataclass_json.dataclass_load_dict(stored, APIS[api].get_checkpoint_cls())


def dump_checkpoint(checkpoint: Any) -> dict[str, Any]:
    return dataclass_json.dataclass_dump_dict(checkpoint)


def without_cursor(checkpoint: Any) -> Any:
    """The checkpoint less any paging link, so a fetch after a failure starts its time window
    again rather than trusting a link that may have gone stale (facebook/ThreatExchange #1679,
    #1744: NCMEC's `next` links are only good for the exact query that made them)."""
    if isinstance(checkpoint, NCMECCheckpoint) and checkpoint.paging_info is not None:
        return dataclasses.replace(checkpoint, paging_info=None)
    return checkpoint


def is_snapshot(api: str) -> bool:
    """Whether each fetch returns the whole list (a file, the sample): then a record missing
    from a complete fetch has been removed upstream."""
    return APIS[api].get_checkpoint_cls() is fetch_state.FetchCheckpointBase
