"""The one thing a channel does: deliver a message, or say why it could not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sluiceway.observe.alerts.messages import Message


class Sender(Protocol):
    """Delivers messages to one channel.

    ``send`` raises :class:`~sluiceway.observe.alerts.errors.DeliveryFailed` when the
    message may get through later and
    :class:`~sluiceway.observe.alerts.errors.DeliveryRejected` when it never will; its
    error messages name the channel and host, never a secret.
    """

    name: str

    def check(self) -> None:
        """Resolve the channel's secrets and files; raises ``AlertConfigError`` if missing."""
        ...

    def send(self, message: Message, delivery_id: int) -> None:
        """Deliver ``message``; ``delivery_id`` lets a receiver drop a redelivery."""
        ...
