"""Outgoing mail through the SMTP server named by PANEL_SMTP_URL (smtp://, smtp+starttls://
or smtps://)."""

import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from flask import current_app


class MailError(RuntimeError):
    """The mail could not be handed to the SMTP server."""


class MailNotConfigured(MailError):
    pass


def send_mail(to: str, subject: str, body: str) -> None:
    url = current_app.config.get("SMTP_URL")
    if not url:
        raise MailNotConfigured("PANEL_SMTP_URL is not set")
    parts = urlsplit(url)
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        _deliver(parts, message)
    except (smtplib.SMTPException, OSError) as exc:
        # Callers decide what a failed delivery means; a bare socket error would be a 500.
        raise MailError(f"mail to the SMTP server failed: {exc}") from exc


def _deliver(parts, message: EmailMessage) -> None:
    host = parts.hostname or "localhost"
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, parts.port or 465, context=ssl.create_default_context(), timeout=10
        )
    else:
        client = smtplib.SMTP(host, parts.port or 25, timeout=10)
    with client:
        if parts.scheme == "smtp+starttls":
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)
