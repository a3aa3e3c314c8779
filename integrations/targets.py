"""Where webhooks may POST: public http(s) addresses only (no SSRF into our own network).

A target's host is resolved and every address must be public (not loopback, link-local,
private, multicast, reserved...) unless it falls in an operator's WEBHOOK_ALLOWED_NETWORKS.
It is checked when a webhook is registered and again on every delivery, inside the connection
itself: the socket connects to the address that was just checked, so a DNS answer that
changes between check and connect (DNS rebinding) cannot redirect the POST."""

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError
from urllib3.util import connection as urllib3_connection

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(ValueError):
    """The target resolves to an address webhooks may not reach."""


def _allowed_networks() -> list:
    networks = settings.WEBHOOK_ALLOWED_NETWORKS
    return [ipaddress.ip_network(n.strip(), strict=False) for n in networks if n.strip()]


def address_is_allowed(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if any(address in network for network in _allowed_networks()):
        return True
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to now (the system resolver)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def target_addresses(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, all of them allowed; TargetRefused otherwise."""
    host = (host or "").strip("[]").rstrip(".")
    if not host:
        raise TargetRefused("the URL has no host")
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise TargetRefused(f"{host} does not resolve ({exc})") from None
    refused = [a for a in addresses if not address_is_allowed(ipaddress.ip_address(a))]
    if refused or not addresses:
        raise TargetRefused(
            f"{host} resolves to {', '.join(refused) or 'nothing'}, not a public address "
            "(an operator can allow networks with WEBHOOK_ALLOWED_NETWORKS)"
        )
    return addresses


def webhook_target_check(url: str) -> None:
    """A field validator: http(s), and a host that resolves to allowed addresses only."""
    parts = urlsplit(str(url))
    if parts.scheme.lower() not in {"http", "https"}:
        raise ValidationError("Use an http:// or https:// URL.")
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        target_addresses(parts.hostname or "", port)
    except (TargetRefused, ValueError) as exc:
        raise ValidationError(f"This address cannot receive webhooks: {exc}.") from None


class _CheckedConnectionMixin:
    """Resolve, check, and connect to the checked address (the Host header and TLS name stay
    the URL's)."""

    def _new_conn(self):
        try:
            addresses = target_addresses(self._dns_host, self.port)
        except TargetRefused as exc:
            raise NewConnectionError(self, f"refused target: {exc}") from None
        error: OSError | None = None
        for address in addresses:
            try:
                return urllib3_connection.create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except OSError as exc:
                error = exc
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}")


class _CheckedHTTPConnection(_CheckedConnectionMixin, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_CheckedConnectionMixin, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _CheckedHTTPPool,
            "https": _CheckedHTTPSPool,
        }


def webhook_session() -> requests.Session:
    """A requests session that connects only to allowed addresses and ignores proxy settings
    from the environment (a proxy would connect on our behalf, unchecked)."""
    session = requests.Session()
    session.trust_env = False
    adapter = _CheckedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
