"""A real SMTP server on loopback (aiosmtpd in a thread) that keeps what it receives."""

from __future__ import annotations

import contextlib
import email
import email.policy
import re
import socket
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiosmtpd.controller import Controller

from _support.redis_server import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator
    from email.message import EmailMessage

LINK = re.compile(r"https?://\S+/callback/\S+")


@dataclass
class Inbox:
    """Messages received, parsed."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        self.recipients.append(list(envelope.rcpt_tos))
        self.arrived.set()
        return "250 OK"

    def link(self, index: int = -1) -> str:
        """The sign-in link of a received message (from its text part)."""
        text = self.messages[index].get_body(("plain",))
        assert text is not None
        found = LINK.search(text.get_content())
        assert found, "no link in the mail"
        return found.group()


@contextlib.contextmanager
def running_smtp() -> Iterator[tuple[int, Inbox]]:
    """An aiosmtpd server on 127.0.0.1:<free port>; yields the port and its inbox."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A TCP server that accepts connections and never says a word (an SMTP timeout)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()
