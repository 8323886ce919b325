"""Who may connect: a set of IP addresses and networks."""

from __future__ import annotations

from collections.abc import Collection
import ipaddress


class PeerFilter:
    """Allows peers whose address is in one of the given addresses or networks."""

    def __init__(self, allowed: Collection[str]) -> None:
        self.networks = [ipaddress.ip_network(item, strict=False) for item in allowed]

    def allows(self, remote: str | None) -> bool:
        """Whether a peer address (as the socket reports it) may connect."""
        try:
            address = ipaddress.ip_address(remote or "")
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)

    def __str__(self) -> str:
        return ", ".join(str(network) for network in self.networks)
