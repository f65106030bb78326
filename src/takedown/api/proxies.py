"""Who the client is: the peer address, or what a configured proxy says it forwarded for.

`X-Forwarded-For` is a claim anyone can send. Believed from everyone, it let one address rotate
forged addresses past the per-address limit and count as many reporters (issue 10, finding 3).
Only the proxies named in `TAKEDOWN_TRUSTED_PROXIES` vouch for addresses (DESIGN rule 12).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, text: str | Iterable[str]) -> TrustedProxies:
        """From a comma- or space-separated list of addresses and CIDR ranges.

        A typo must not silently trust nobody (or everybody): a bad entry is an error at start.
        """
        entries = text.replace(",", " ").split() if isinstance(text, str) else list(text)
        networks = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                raise ValueError(
                    f"TAKEDOWN_TRUSTED_PROXIES: {entry!r} is not an address or CIDR range"
                ) from None
        return cls(tuple(networks))

    def trusts(self, address: str) -> bool:
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(parsed in network for network in self.networks)

    def client(self, peer: str, forwarded_for: str | None) -> str:
        """The client's address: the peer, unless the peer is a trusted proxy.

        Behind trusted proxies the header is read from the right (each proxy appends the address
        it saw); the first address that is not itself a trusted proxy is the client. Entries to
        its left were written by the client and are not believed.
        """
        if not forwarded_for or not self.trusts(peer):
            return peer
        hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return _normalised(hop)
        # Every hop is a trusted proxy: the leftmost is as close to the client as we can know.
        return _normalised(hops[0]) if hops else peer


def _normalised(hop: str) -> str:
    """One spelling per address, so that `::ffff:1.2.3.4` and `1.2.3.4` count as one client."""
    try:
        address = ipaddress.ip_address(hop)
    except ValueError:
        return hop[:100]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(address)
