"""`/hma/c/exchange(s)`: HMA's exchange configuration routes (takedown.hma.exchanges)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from takedown.api.deps import runtime
from takedown.api.hma.app import CURATOR
from takedown.api.hma.curation import read_body
from takedown.hma import exchanges
from takedown.runtime import Runtime

router = APIRouter(dependencies=[Depends(CURATOR)], tags=["Exchanges"])


class ExchangeUpdateIn(BaseModel):
    enabled: bool | None = None


@router.get("/exchanges/apis")
def exchange_apis() -> list[str]:
    return list(exchanges.APIS)


@router.get("/exchanges/api/{api_name}")
def exchange_api_get(api_name: str, rt: Runtime = Depends(runtime)) -> dict[str, bool]:
    with rt.sessions() as session:
        return exchanges.api_status(session, api_name)


@router.post("/exchanges/api/{api_name}")
async def exchange_api_set(
    api_name: str, request: Request, rt: Runtime = Depends(runtime)
) -> dict[str, bool]:
    data, _ = await read_body(request)
    with rt.transaction() as session:
        exchanges.api_status(session, api_name)  # an unknown API is refused before the body
        exchanges.set_credentials(session, api_name, data, rt.clock.now())
        return exchanges.api_status(session, api_name)


@router.get("/exchanges/api/{api_name}/schema")
def exchange_api_schema(api_name: str) -> dict[str, Any]:
    return exchanges.api_schema(api_name)


@router.post("/exchanges", status_code=201)
async def exchange_create(
    request: Request, who: str = Depends(CURATOR), rt: Runtime = Depends(runtime)
) -> dict[str, str]:
    data, _ = await read_body(request)
    with rt.transaction() as session:
        exchanges.create_exchange(session, data, who, rt.clock.now())
    return {"message": "Created successfully"}


@router.get("/exchanges")
def exchange_list(rt: Runtime = Depends(runtime)) -> list[str]:
    with rt.sessions() as session:
        return exchanges.list_exchanges(session)


@router.get("/exchange/{exchange_name}")
def exchange_show(exchange_name: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    with rt.sessions() as session:
        return exchanges.exchange_json(exchanges.require_exchange(session, exchange_name))


@router.get("/exchange/{exchange_name}/status")
def exchange_status(exchange_name: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    with rt.sessions() as session:
        return exchanges.fetch_status(session, exchange_name, rt.clock.now())


@router.put("/exchange/{exchange_name}")
def exchange_update(
    exchange_name: str, body: ExchangeUpdateIn, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    with rt.transaction() as session:
        return exchanges.update_exchange(session, exchange_name, body.enabled)


@router.delete("/exchange/{exchange_name}")
def exchange_delete(exchange_name: str, rt: Runtime = Depends(runtime)) -> dict[str, str]:
    with rt.transaction() as session:
        exchanges.delete_exchange(session, exchange_name, rt.clock.now())
    return {"message": "Exchange deleted"}
