"""Signing in to the staff pages from a test client, and reading tokens out of the pages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.support.review import PASSWORD


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden field {name} in the page"
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Sign in and return the session's CSRF token (read from the queue page)."""
    form = client.get("/staff/login")
    assert form.status_code == 200
    response = client.post(
        "/staff/login",
        data={"name": name, "password": password, "login_token": hidden(form.text, "login_token")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    queue = client.get("/staff")
    assert queue.status_code == 200, queue.text
    return hidden(queue.text, "csrf_token")


def media_urls(html: str) -> list[str]:
    return re.findall(r'src="(/staff/media/[^"]+)"', html)
