"""Which addresses the server may call on a user's say-so (a webhook URL, a web push
endpoint): public unicast ones only (SSRF guard). Pure; shared by webhooks and notifications.

Loopback, private (RFC 1918, fc00::/7 including fd00::/8), link-local (169.254.0.0/16, where
cloud metadata services answer, and fe80::/10), multicast, reserved, unspecified, shared
(100.64.0.0/10) and other non-global ranges are refused; an IPv4 address mapped into IPv6
is judged as the IPv4 address it carries.
"""

from __future__ import annotations

import ipaddress

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def refused_reason(address: str) -> str | None:
    """Why a resolved address may not be called, or None if it is a public unicast one."""
    ip: Address = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for reason, hit in (
        ("loopback", ip.is_loopback),
        ("link-local or metadata", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("unspecified", ip.is_unspecified),
        ("not globally routable", not ip.is_global),
    ):
        if hit:
            return f"{ip} is a {reason} address"
    return None


def allowed_hosts(setting: str) -> frozenset[str]:
    """The host names of an allow-list setting ("a.example,10.0.0.5"), lower case."""
    return frozenset(h.strip().lower() for h in setting.split(",") if h.strip())
