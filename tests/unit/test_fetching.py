"""The outbound-fetch rule (issue 10.4): public addresses only unless listed, http(s) only,
connect to the checked address, check every redirect."""

from __future__ import annotations

import httpx
import pytest

from takedown.fetching import Fetcher, FetchPolicy, FetchRefused

ADDRESSES = {
    "media.example": ["93.184.216.34"],
    "inside.example": ["10.0.0.7"],
    "split.example": ["93.184.216.34", "127.0.0.1"],
    "localhost.": ["127.0.0.1"],
}


def resolver(host: str, _port: int) -> list[str]:
    return ADDRESSES[host]


def fetcher(handler: httpx.MockTransport | None = None, allow: str = "") -> Fetcher:
    seen = handler or httpx.MockTransport(lambda request: httpx.Response(200, content=b"x"))
    return Fetcher(httpx.Client(transport=seen), FetchPolicy.parse(allow), resolver)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/metrics",
        "http://localhost.:8000/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://172.16.0.1/",
        "http://0.0.0.0/",
        "http://inside.example/a.png",
        "http://split.example/a.png",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_FLUSHALL",
        "ftp://media.example/a.png",
        "not a url",
    ],
)
def test_loopback_private_and_other_schemes_are_refused_by_default(url: str) -> None:
    with pytest.raises(FetchRefused):
        fetcher().check(url)


def test_listed_hosts_addresses_and_ranges_are_allowed() -> None:
    f = fetcher(allow="127.0.0.1, 10.0.0.0/8 inside.example")
    assert f.check("http://127.0.0.1:9/a.png").address == "127.0.0.1"
    assert f.check("http://10.9.9.9/a.png").address == "10.9.9.9"
    assert f.check("http://inside.example/a.png").address is None  # trusted by name
    with pytest.raises(FetchRefused):
        f.check("http://192.168.1.1/")
    with pytest.raises(FetchRefused):
        f.check("file:///etc/passwd")  # listing an address never allows another scheme


def test_the_connection_goes_to_the_checked_address_with_the_host_name_kept() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"media")

    f = fetcher(httpx.MockTransport(answer))
    with f.stream("https://media.example:8443/p/1.png") as response:
        assert response.read() == b"media"
    [request] = seen
    assert request.url.host == "93.184.216.34" and request.url.port == 8443
    assert request.headers["host"] == "media.example:8443"
    assert request.extensions["sni_hostname"] == "media.example"


def test_a_redirect_to_a_private_address_is_refused_before_it_is_followed() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://127.0.0.1:8000/metrics"})

    f = fetcher(httpx.MockTransport(answer))
    with pytest.raises(FetchRefused, match=r"127\.0\.0\.1"), f.stream("http://media.example/p.png"):
        pass
    assert seen == ["http://93.184.216.34/p.png"]


def test_public_redirects_are_followed_and_checked_each_time() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": "/new"})
        return httpx.Response(200, content=request.headers["host"].encode())

    with fetcher(httpx.MockTransport(answer)).stream("http://media.example/old") as response:
        assert response.read() == b"media.example"
    loop = httpx.MockTransport(lambda r: httpx.Response(302, headers={"Location": "/again"}))
    with (
        pytest.raises(FetchRefused, match="redirected"),
        fetcher(loop).stream("http://media.example/again"),
    ):
        pass
