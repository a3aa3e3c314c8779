"""A real SMTP server (aiosmtpd over TCP on 127.0.0.1) that keeps what it accepts."""

import email
import email.policy
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller


class Mailbox:
    """What the SMTP server accepted: one parsed message per DATA command."""

    def __init__(self):
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []
        self.port = 0

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def wait_for(self, predicate, timeout: float) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [item for item in self.received if predicate(item)]
            if found:
                return found
            time.sleep(0.2)
        return []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def smtp_server_running() -> Iterator[Mailbox]:
    """An SMTP server listening on 127.0.0.1 while the block runs; yields its mailbox."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    mailbox.port = controller.port
    try:
        yield mailbox
    finally:
        controller.stop()
