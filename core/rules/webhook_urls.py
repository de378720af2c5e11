"""R-ev2 the SSRF guard's rules: which webhook URLs and which addresses may be called.

An endpoint must be `https://` and every address its host resolves to must be public: not
loopback, private, link-local, unique-local, shared (100.64/10), multicast, reserved or
unspecified (0.0.0.0, ::), including such an address inside an IPv6 one (IPv4-mapped
`::ffff:127.0.0.1`, 6to4, NAT64 `64:ff9b::/96`) or written oddly (`2130706433`, `0x7f.1`,
`0177.0.0.1`, which the C resolver reads as 127.0.0.1). The check runs at registration and
again at every delivery, after DNS resolution, on the address actually connected to.
`WEBHOOK_ALLOW_PRIVATE=true` lifts it (and allows `http://`) for local receivers.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from core.errors import ValidationFailed, invalid

MAX_URL = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64), if any."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    inner = embedded_ipv4(ip)
    if inner is not None and not is_public(inner):
        return False
    return bool(ip.is_global) and not ip.is_multicast and not ip.is_unspecified


def literal_address(host: str) -> IPAddress | None:
    """The address a host names by itself, in any spelling the C resolver accepts
    (`127.0.0.1`, `2130706433`, `0x7f.1`, `[::1]`); None for a name."""
    bare = host.strip("[]")
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(bare))
    except OSError:
        return None


def check_shape(url: object, *, allow_private: bool, field: str = "url") -> tuple[str, str]:
    """The URL's (scheme, host) when its form is acceptable; 422 naming `field` otherwise."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise invalid(field, f"must be a URL of at most {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (a bad port raises here)
    except ValueError as exc:
        raise invalid(field, "must be a valid URL", "url_invalid") from exc
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise invalid(field, "must be an https:// URL", "url_not_https")
    if parts.username or parts.password:
        raise invalid(field, "must not contain a user name or password", "url_invalid")
    literal = literal_address(parts.hostname)
    if literal is not None and not allow_private and not is_public(literal):
        raise invalid(field, "must point to a public address", "url_not_public")
    return parts.scheme, parts.hostname


def refused_addresses(addresses: list[str], *, allow_private: bool) -> list[str]:
    """The resolved addresses the guard refuses (empty: the host may be called)."""
    if allow_private:
        return []
    refused = []
    for text in addresses:
        try:
            ip = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            refused.append(text)
            continue
        if not is_public(ip):
            refused.append(text)
    return refused


def not_public(field: str = "url") -> ValidationFailed:
    return invalid(field, "must resolve to public addresses only", "url_not_public")
