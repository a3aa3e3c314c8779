"""Where webhooks may POST: public http(s) addresses only (no SSRF into our own network).

Two checks. When a webhook is registered (or its URL changed) the URL must have the shape
`webhook_url_pattern()` states, which the API schema publishes as is: http(s), a DNS host
name (so no IP address, `localhost` or other single-label name), an optional port, a path and
a query. An IPv4 address is admitted only inside an operator's WEBHOOK_ALLOWED_NETWORKS.

Where the name points is checked on every delivery, inside the connection itself: the host is
resolved, every address must be public (not loopback, link-local, private, multicast,
reserved...) unless it falls in WEBHOOK_ALLOWED_NETWORKS, and the socket connects to the
address just checked, so a DNS answer that changes after registration or between check and
connect (DNS rebinding) cannot redirect the POST. A refused target is logged on the attempt
("refused target: ...") and retried like any failed attempt. Resolving at registration too
would add nothing against rebinding and make a valid request's answer depend on DNS."""

import ipaddress
import re
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


# The pieces of a webhook URL, in the regex dialect Python and ECMA-262 (JSON Schema) share:
# explicit ASCII classes (Python's \d would admit other scripts' digits).
_LABEL = "[a-zA-Z0-9](?:[-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?"
# The last label starts with a letter: a dotted-decimal address is not a host name.
_TOP_LABEL = "[a-zA-Z](?:[-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?"
HOST_NAME = rf"(?:{_LABEL}\.)+{_TOP_LABEL}"
PORT = (
    "(?::(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?"
)
# RFC 3986 path and query characters; a % only as an escape.
_CHAR = "(?:[-a-zA-Z0-9._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})"
PATH_AND_QUERY = rf"(?:/(?:{_CHAR}|/)*)?(?:\?(?:{_CHAR}|[/?])*)?"
URL_RULE = (
    "An http(s) URL with a DNS host name (not an IP address, not localhost or another "
    "single-label name), an optional port (1-65535), path and query; no user info or fragment. "
    "An IPv4 address is admitted only inside the networks an operator allows "
    "(WEBHOOK_ALLOWED_NETWORKS; the pattern then lists them)."
)


def _octet(low: int, high: int) -> str:
    """A regex for the decimal numbers low..high (0-255, no leading zeros)."""
    if (low, high) == (0, 255):
        return "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
    by_head: dict[str, list[int]] = {}
    for number in range(low, high + 1):
        text = str(number)
        by_head.setdefault(text[:-1], []).append(int(text[-1]))
    parts = [
        head + (str(d[0]) if len(d) == 1 else f"[{d[0]}-{d[-1]}]") for head, d in by_head.items()
    ]
    return "(?:" + "|".join(parts) + ")"


def ipv4_network_regex(network: ipaddress.IPv4Network) -> str:
    """A regex for the dotted-decimal addresses of `network`."""
    first, last = network.network_address.packed, network.broadcast_address.packed
    return r"\.".join(_octet(a, b) for a, b in zip(first, last, strict=True))


def webhook_url_pattern() -> str:
    """The URLs a webhook may be registered with (the schema's `pattern` for `url`)."""
    hosts = [HOST_NAME] + [ipv4_network_regex(n) for n in _allowed_networks() if n.version == 4]
    return rf"^https?://(?:{'|'.join(hosts)}){PORT}{PATH_AND_QUERY}$"


def webhook_url_check(url: str) -> None:
    """A field validator: the URL has the shape `webhook_url_pattern()` states (where its host
    points is checked at delivery)."""
    url = str(url)
    if re.fullmatch(webhook_url_pattern(), url):
        return
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed [IPv6] host
        raise ValidationError(f"This URL cannot receive webhooks. {URL_RULE}") from None
    if parts.scheme not in {"http", "https"}:
        raise ValidationError("Use an http:// or https:// URL.")
    host = parts.hostname or ""
    try:
        ipaddress.ip_address(host.strip("[]"))
        literal = True
    except ValueError:
        literal = False
    if literal or host == "localhost" or (host and "." not in host):
        raise ValidationError(
            "Use a host name: an IP address, localhost or a single-label name cannot receive "
            "webhooks (an operator can allow an internal network with WEBHOOK_ALLOWED_NETWORKS)."
        )
    raise ValidationError(f"This URL cannot receive webhooks. {URL_RULE}")


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
