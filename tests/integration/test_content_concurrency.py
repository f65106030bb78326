"""A registration's database work never holds up the rest of the process (issue 15).

`POST /v1/content` once did its database work on the event loop: while one registration waited
on the database, no other request of the process was answered. Here the database is made to
wait inside a registration, and another request must be answered meanwhile.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from sqlalchemy import event

from tests.support.factories import Api

# Long enough that a blocked event loop shows, never reached when the code is right.
GUARD_SECONDS = 10.0


def test_another_request_is_answered_while_a_registration_waits_on_the_database(
    api: Api,
) -> None:
    headers = api.key("platform")
    entered, release = threading.Event(), threading.Event()

    def hold(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "INSERT INTO CONTENT_ITEMS" in statement.upper():
            entered.set()
            release.wait(GUARD_SECONDS)

    event.listen(api.runtime.engine, "before_cursor_execute", hold)
    answers: dict[str, int] = {}

    def register() -> None:
        response = api.client.post(
            "/v1/content",
            data={
                "content_id": "p-slow",
                "account_id": "acct-1",
                "signals": json.dumps({"md5": "a" * 32}),
            },
            headers=headers,
        )
        answers["register"] = response.status_code

    writer = threading.Thread(target=register)
    try:
        writer.start()
        assert entered.wait(GUARD_SECONDS), "the registration never reached the database"
        other = api.client.get("/openapi.json")
        # Answered while the registration is still held: the event loop was free.
        still_held = "register" not in answers
        release.set()
        writer.join(GUARD_SECONDS)
    finally:
        release.set()
        event.remove(api.runtime.engine, "before_cursor_execute", hold)
    assert other.status_code == 200
    assert still_held
    assert answers == {"register": 200}
