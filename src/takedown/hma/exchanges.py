"""HMA's exchange configuration routes over python-threatexchange's exchange APIs.

This stores what `/hma/c/exchanges` configures: which API, its settings (python-threatexchange's
config dataclass for that API, parsed and serialised by the library itself), whether it is
enabled, and each API's credentials. As in HMA, creating an exchange creates the bank of the
same name that the exchange fills, and deleting it deletes that bank. Fetching is the
exchanges package's job (issue 11, item 2); `fetch_status` reports its health in HMA's shape.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
import typing
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from threatexchange.exchanges import auth
from threatexchange.exchanges.impl.fb_threatexchange_api import FBThreatExchangeSignalExchangeAPI
from threatexchange.exchanges.impl.file_api import LocalFileSignalExchangeAPI
from threatexchange.exchanges.impl.ncmec_api import NCMECSignalExchangeAPI
from threatexchange.exchanges.impl.static_sample import StaticSampleSignalExchangeAPI
from threatexchange.exchanges.impl.stop_ncii_api import StopNCIISignalExchangeAPI
from threatexchange.utils import dataclass_json

from takedown.hma import banks as hma_banks
from takedown.hma.errors import HmaError
from takedown.store.banks import HmaExchange, HmaExchangeApi

# The exchange APIs offered, by python-threatexchange's names. `sample` (a fixed sample list)
# is what HMA's own development setup and its clients' recorded tests configure.
APIS: dict[str, Any] = {
    api.get_name(): api
    for api in (
        FBThreatExchangeSignalExchangeAPI,
        NCMECSignalExchangeAPI,
        StopNCIISignalExchangeAPI,
        LocalFileSignalExchangeAPI,
        StaticSampleSignalExchangeAPI,
    )
}
EXCHANGE_NAME = re.compile(r"[A-Z0-9_]+")
CONFIG_SET_BY_ROUTE = frozenset({"name", "api", "enabled"})


def _api(name: str) -> Any:
    api = APIS.get(name)
    if api is None:
        raise HmaError(400, f"no such Exchange API '{name}'", "unknown_exchange_api")
    return api


def _takes_credentials(api: Any) -> bool:
    return isinstance(api, type) and issubclass(api, auth.SignalExchangeWithAuth)


def api_status(session: Session, name: str) -> dict[str, bool]:
    api = _api(name)
    row = session.get(HmaExchangeApi, name)
    return {
        "supports_authentification": _takes_credentials(api),
        "has_set_authentification": row is not None and row.credentials is not None,
    }


def set_credentials(session: Session, name: str, body: object, now: datetime) -> None:
    """`{"credential_json": {...}}` sets the API's credentials (checked against the library's
    credential class); an empty one clears them. Credentials are never answered back."""
    api = _api(name)
    if not isinstance(body, dict):
        raise HmaError(400, "this endpoint expects a json object payload", "invalid_request")
    if "credential_json" not in body or body["credential_json"] is None:
        return
    credentials = body["credential_json"]
    row = session.get(HmaExchangeApi, name) or HmaExchangeApi(api=name, updated_at=now)
    if not credentials:
        row.credentials = None
    else:
        if not _takes_credentials(api):
            raise HmaError(400, f"Exchange API '{name}' takes no credentials", "invalid_request")
        if not isinstance(credentials, dict):
            raise HmaError(400, "credential_json must be an object", "invalid_request")
        try:
            api.get_credential_cls()(**credentials)
        except TypeError as exc:
            raise HmaError(
                400, f"invalid credentials for '{name}': {exc}", "invalid_request"
            ) from None
        row.credentials = credentials
    row.updated_at = now
    session.add(row)
    session.flush()


# -- the schema HMA's UI and Coop build their forms from ------------------------------------------


def _kind(annotation: Any) -> tuple[str, list[Any] | None]:
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "enum", [m.value for m in annotation]
    if origin is typing.Union and len(args) == 1:
        return _kind(args[0])
    if origin in (set, frozenset, list) and args:
        inner, _ = _kind(args[0])
        return f"{'list' if origin is list else 'set'}_of_{inner}", None
    if annotation in (int, float):
        return "number", None
    if annotation is bool:
        return "boolean", None
    return "string", None


def _default(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset, list, tuple)):
        return [_default(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _fields(cls: Any, ignore: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    if not dataclasses.is_dataclass(cls):
        return []
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if not f.init or f.name in ignore:
            continue
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        default = None
        if f.default is not dataclasses.MISSING:
            default = _default(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = _default(f.default_factory())
        kind, choices = _kind(hints.get(f.name, str))
        out.append(
            {
                "name": f.name,
                "type": kind,
                "required": required,
                "default": default,
                "help": str(f.metadata.get("help", "")) if f.metadata else "",
                "choices": choices,
            }
        )
    return out


def api_schema(name: str) -> dict[str, Any]:
    api = APIS.get(name)
    if api is None:
        raise HmaError(404, f"Exchange API '{name}' not found", "unknown_exchange_api")
    credentials = None
    if _takes_credentials(api):
        credentials = {"fields": _fields(api.get_credential_cls())}
    return {
        "config_schema": {"fields": _fields(api.get_config_cls(), CONFIG_SET_BY_ROUTE)},
        "credentials_schema": credentials,
    }


# -- exchanges ---------------------------------------------------------------------------------


def create_exchange(session: Session, body: object, actor: str, now: datetime) -> None:
    if not isinstance(body, dict):
        raise HmaError(400, "this endpoint expects a json object payload", "invalid_request")
    bank = body.get("bank")
    if bank is None:
        raise HmaError(400, "bank is required", "invalid_request")
    if not isinstance(bank, str) or not EXCHANGE_NAME.fullmatch(bank):
        raise HmaError(400, "Field `bank` must match /^[A-Z0-9_]+$/", "invalid_bank_name")
    api_json = body.get("api_json", {})
    if not isinstance(api_json, dict):
        raise HmaError(400, "Field `api_json` must be object", "invalid_request")
    api_name = body.get("api")
    if api_name is None:
        raise HmaError(400, "Field `api_type` is required", "invalid_request")
    if api_name not in APIS:
        raise HmaError(400, f"No such exchange type '{api_name}'", "unknown_exchange_api")
    config = {**api_json, "name": bank, "api": api_name}
    config.setdefault("enabled", True)
    try:
        parsed = dataclass_json.dataclass_load_dict(config, APIS[api_name].get_config_cls())
    except Exception as exc:  # the library raises whatever its field types raise
        raise HmaError(400, f"Failed to parse `api_json` - {exc}", "invalid_request") from None
    if session.get(HmaExchange, bank) is not None:
        raise HmaError(403, "Exchange already exists", "exchange_exists")
    hma_banks.create_bank(session, bank, 1.0, actor, now)
    session.add(
        HmaExchange(
            name=bank,
            api=api_name,
            enabled=bool(parsed.enabled),
            config=json.loads(dataclass_json.dataclass_dumps(parsed)),
            created_at=now,
            created_by=actor,
        )
    )
    session.flush()


def list_exchanges(session: Session) -> list[str]:
    return list(session.scalars(select(HmaExchange.name).order_by(HmaExchange.created_at)))


def require_exchange(session: Session, name: str) -> HmaExchange:
    exchange = session.get(HmaExchange, name)
    if exchange is None:
        raise HmaError(404, f"Exchange '{name}' not found", "exchange_not_found")
    return exchange


def exchange_json(exchange: HmaExchange) -> dict[str, Any]:
    return {
        **exchange.config,
        "name": exchange.name,
        "api": exchange.api,
        "enabled": exchange.enabled,
    }


def update_exchange(session: Session, name: str, enabled: bool | None) -> dict[str, Any]:
    exchange = require_exchange(session, name)
    if enabled is not None:
        exchange.enabled = enabled
        exchange.config = {**exchange.config, "enabled": enabled}
    session.flush()
    return exchange_json(exchange)


def delete_exchange(session: Session, name: str, now: datetime) -> None:
    exchange = session.get(HmaExchange, name)
    if exchange is None:
        return
    session.delete(exchange)
    hma_banks.delete_bank(session, name, now)
    session.flush()


def fetch_status(session: Session, name: str, now: datetime) -> dict[str, Any]:
    """HMA's FetchStatus, from the exchanges package's record of its fetches."""
    from takedown.exchanges.health import health

    return health(session, require_exchange(session, name)).as_fetch_status(now)
