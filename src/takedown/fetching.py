"""Every outbound fetch of a url someone else gave us goes through here (issue 10.4).

A platform registers a url; Takedown fetches it to preserve evidence or to hash it. Without a
rule, that url can point Takedown at itself (`/metrics`), at the cloud's metadata service, at
the database's admin port, or at `file:` and `gopher:` schemes. The rule, TAKEDOWN_FETCH_ALLOW:

- http and https only;
- by default only public (globally routable) addresses; hosts, addresses or CIDR ranges listed
  in the setting are allowed too (a media host on the platform's private network, the demo);
- the host is resolved once, every address it resolves to is checked, and the connection goes
  to the checked address (the Host header and TLS SNI still name the host, so certificates are
  verified against it): a DNS answer that changes between check and connect gains nothing;
- every redirect is checked the same way before it is followed.

A refused url raises `FetchRefused` at once: it will never be fetched, so it is never retried.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

SCHEMES = ("http", "https")
MAX_REDIRECTS = 5


class FetchRefused(Exception):
    """The url may not be fetched under TAKEDOWN_FETCH_ALLOW; the message says why."""


def system_resolver(host: str, port: int) -> list[str]:
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        # Not a refusal: the name may resolve later, so the caller's retry rules apply.
        raise httpx.ConnectError(f"cannot resolve {host}: {exc}") from None
    return list(dict.fromkeys(str(a[4][0]) for a in answers))


def _address(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(text.strip("[]").split("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:127.0.0.1 is loopback, whatever it looks like
    return address


def in_networks(text: str, networks: str) -> bool:
    """Whether the address `text` is in one of the CIDR ranges (or addresses) in `networks`,
    comma or space apart; words that are not addresses or ranges match nothing."""
    address = _address(text)
    return address is not None and any(
        address in network for network in FetchPolicy.parse(networks).networks
    )


@dataclass(frozen=True)
class FetchPolicy:
    """What may be fetched: public addresses, plus the hosts and networks listed."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, text: str) -> FetchPolicy:
        """`TAKEDOWN_FETCH_ALLOW`: host names, addresses and CIDR ranges, comma or space apart."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for word in text.replace(",", " ").split():
            try:
                networks.append(ipaddress.ip_network(word.strip("[]"), strict=False))
            except ValueError:
                hosts.add(word.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows_address(self, address: IPAddress) -> bool:
        if any(address in network for network in self.networks):
            return True
        return address.is_global and not address.is_multicast

    def refusal(self, host: str, addresses: list[IPAddress]) -> str | None:
        """Why `host` (resolving to `addresses`) may not be fetched, or None when it may: every
        address must pass, so a name with one public and one private answer is refused."""
        for address in addresses:
            if not self.allows_address(address):
                return (
                    f"{host} is {address}, which is not a public address; "
                    "list it in TAKEDOWN_FETCH_ALLOW to fetch from it"
                )
        return None


@dataclass(frozen=True)
class Target:
    """A checked url and the address to connect to for it."""

    url: httpx.URL
    address: str | None  # None for a host listed by name: trusted whatever it resolves to


@dataclass
class Fetcher:
    """GET requests to platform-given urls under a `FetchPolicy`."""

    client: httpx.Client
    policy: FetchPolicy = field(default_factory=FetchPolicy)
    resolve: Resolver = system_resolver
    max_redirects: int = MAX_REDIRECTS

    def check(self, url: str | httpx.URL) -> Target:
        """The url's checked target, or FetchRefused saying why it may not be fetched."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise FetchRefused(f"{str(url)[:200]} is not a valid url: {exc}") from None
        if parsed.scheme not in SCHEMES:
            raise FetchRefused(
                f"{parsed.scheme or 'a relative'} url refused: only http and https are fetched"
            )
        host = parsed.host
        if not host:
            raise FetchRefused(f"{str(url)[:200]} names no host")
        if host.lower().rstrip(".") in self.policy.hosts:
            return Target(parsed, None)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        literal = _address(host)
        if literal is not None:
            resolved = [literal]
        else:
            found = [_address(a) for a in self.resolve(host, port)]
            resolved = [a for a in found if a is not None]
            if not resolved:
                raise httpx.ConnectError(f"{host} resolved to no address")
        why = self.policy.refusal(host, resolved)
        if why is not None:
            raise FetchRefused(why)
        return Target(parsed, str(resolved[0]))

    @contextmanager
    def stream(self, url: str) -> Iterator[httpx.Response]:
        """GET `url`, following redirects only to urls that pass the check themselves."""
        current: str | httpx.URL = url
        for _ in range(self.max_redirects + 1):
            target = self.check(current)
            response = self.client.send(self._pinned(target), stream=True, follow_redirects=False)
            if not response.is_redirect:
                try:
                    yield response
                finally:
                    response.close()
                return
            location = response.headers.get("location", "")
            response.close()
            current = target.url.join(location)
        raise FetchRefused(f"{url[:200]} redirected more than {self.max_redirects} times")

    def _pinned(self, target: Target) -> httpx.Request:
        url = target.url
        if target.address is None:
            return self.client.build_request("GET", url)
        # Connect to the address that was checked; the Host header and SNI keep the name so
        # virtual hosts answer and the certificate is verified against the name, not the IP.
        return self.client.build_request(
            "GET",
            url.copy_with(host=target.address),
            headers={"Host": url.netloc.decode("ascii")},
            extensions={"sni_hostname": url.host},
        )
