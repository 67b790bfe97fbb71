"""E-mail over SMTP: plain text, with STARTTLS or implicit TLS, and a login if configured.

The message's title is the subject and the rest of its text the body.

Certificates are verified (against the system's CAs or ``ca_file``): a relay that cannot
prove its name would receive the password. A server's 5xx answer, a refused login, a
refused recipient list or a server without STARTTLS when it is asked for are permanent
(:class:`DeliveryRejected`); anything else — no connection, a 4xx, a dropped line — is
tried again. Error messages name the channel and the server, never the password.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from sluiceway.observe.alerts.channels.secrets import resolved
from sluiceway.observe.alerts.errors import (
    AlertConfigError,
    DeliveryFailed,
    DeliveryRejected,
    scrub,
)

if TYPE_CHECKING:
    from sluiceway.observe.alerts.messages import Message
    from sluiceway.spec.alerts import EmailChannel

log = logging.getLogger(__name__)


def email_message(message: Message, sender: str, to: list[str], delivery_id: int) -> EmailMessage:
    """The e-mail for ``message``."""
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    mail["Date"] = formatdate(usegmt=True)
    # The sender's domain, not socket.getfqdn(): a DNS lookup could stall every send.
    domain = sender.rpartition("@")[2].strip(" >") or "sluiceway.invalid"
    mail["Message-ID"] = make_msgid("sluiceway-alert", domain=domain)
    mail["X-Sluiceway-Delivery"] = str(delivery_id)
    mail["X-Sluiceway-Kind"] = message.kind
    mail.set_content(message.body())
    return mail


class EmailSender:
    """Sends messages as e-mail through one SMTP server."""

    def __init__(
        self,
        name: str,
        spec: EmailChannel,
        *,
        timeout: float,
        root: Path,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self._spec = spec
        self._timeout = timeout
        self._root = root
        self._environ = environ
        self._where = f"channel '{name}' ({spec.host}:{spec.port})"

    def check(self) -> None:
        """Resolve the login and read the CA file once, so a problem shows at start."""
        self._login()
        self._tls_context()

    def send(self, message: Message, delivery_id: int) -> None:
        """Send ``message`` to the channel's recipients."""
        spec = self._spec
        username, password = self._login()
        mail = email_message(message, spec.sender, spec.to, delivery_id)
        hidden = [password or ""]
        try:
            refused = self._deliver(mail, username, password)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryRejected(
                f"{self._where}: login as {username} refused ({exc.smtp_code})"
            ) from None
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryRejected(f"{self._where}: every recipient was refused") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryRejected(
                f"{self._where}: {scrub(str(exc), hidden)}",
                hint="set tls: ssl or tls: none if the server does not offer STARTTLS",
            ) from None
        except smtplib.SMTPResponseException as exc:
            raw = exc.smtp_error
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
            error = f"{self._where} answered {exc.smtp_code} {scrub(text, hidden)}".strip()
            if exc.smtp_code >= 500:
                raise DeliveryRejected(error) from None
            raise DeliveryFailed(error) from None
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryRejected(
                f"{self._where}: certificate not trusted ({exc.verify_message})",
                hint="set ca_file to the CA that signed the server's certificate",
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            reason = scrub(str(exc) or type(exc).__name__, hidden)
            raise DeliveryFailed(f"{self._where}: {reason}") from None
        if refused:
            log.warning("%s refused recipients %s", self._where, ", ".join(sorted(refused)))

    def _deliver(
        self, mail: EmailMessage, username: str | None, password: str | None
    ) -> dict[str, tuple[int, bytes]]:
        spec = self._spec
        context = self._tls_context()
        client: smtplib.SMTP
        if spec.tls == "ssl":
            client = smtplib.SMTP_SSL(spec.host, spec.port, timeout=self._timeout, context=context)
        else:
            client = smtplib.SMTP(spec.host, spec.port, timeout=self._timeout)
        with client:
            client.ehlo()
            if spec.tls == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if username is not None:
                client.login(username, password or "")
            return client.send_message(mail)

    def _login(self) -> tuple[str | None, str | None]:
        spec = self._spec
        username = (
            None if spec.username is None else resolved(self.name, spec.username, self._environ)
        )
        password = (
            None if spec.password is None else resolved(self.name, spec.password, self._environ)
        )
        return username, password

    def _tls_context(self) -> ssl.SSLContext | None:
        spec = self._spec
        if spec.tls == "none":
            return None
        cafile = None if spec.ca_file is None else self._root / spec.ca_file
        try:
            return ssl.create_default_context(cafile=cafile)
        except (OSError, ssl.SSLError) as exc:
            raise AlertConfigError(
                f"channel '{self.name}': cannot read ca_file {spec.ca_file}: {exc}"
            ) from None
