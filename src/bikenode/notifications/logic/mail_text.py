"""The e-mail of a notification, in plain text and HTML (every value escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from bikenode.notifications.logic.catalogue import Rendered

TEXT = """\
{title}

{text}

Open BikeNode: {link}

--
You get this e-mail because "{label}" is switched on for e-mail in your notification
settings ({settings}). Stop these e-mails with one click: {unsubscribe}
"""

HTML = """\
<!doctype html>
<html><body style="font-family: sans-serif; max-width: 36em">
<h1 style="font-size: 1.2em">{title}</h1>
<p>{text}</p>
<p><a href="{link}">Open BikeNode</a></p>
<hr>
<p style="font-size: 0.85em; color: #555">You get this e-mail because &ldquo;{label}&rdquo;
is switched on for e-mail in your <a href="{settings}">notification settings</a>.
<a href="{unsubscribe}">Stop these e-mails</a>.</p>
</body></html>
"""


@dataclass(frozen=True)
class MailBody:
    subject: str
    text: str
    html: str


def mail_body(rendered: Rendered, *, label: str, public_url: str, unsubscribe_url: str) -> MailBody:
    """Subject, plain text and HTML of one notification's e-mail."""
    base = public_url.rstrip("/")
    values = {
        "title": rendered.title,
        "text": rendered.text,
        "link": base + rendered.link,
        "label": label,
        "settings": base + "/settings#notifications",
        "unsubscribe": unsubscribe_url,
    }
    html = HTML.format(**{k: escape(v, quote=True) for k, v in values.items()})
    return MailBody(rendered.title, TEXT.format(**values), html)


DIGEST_TEXT = """\
{subject}

{items}
{more}
Open BikeNode: {notifications}

--
You get this e-mail because you chose digests for some notification types. Change that
in your notification settings ({settings}). Stop this digest with one click: {unsubscribe}
"""


def digest_mail_body(
    items: Sequence[Rendered], *, subject: str, total: int, public_url: str, unsubscribe_url: str
) -> MailBody:
    """Subject, plain text and HTML of a digest listing `items` out of `total`."""
    base = public_url.rstrip("/")
    more = f"... and {total - len(items)} more.\n" if total > len(items) else ""
    lines = "\n".join(f"- {i.title}: {i.text} {base + i.link}" for i in items)
    settings, notifications = base + "/settings#notifications", base + "/notifications"
    text = DIGEST_TEXT.format(
        subject=subject,
        items=lines,
        more=more,
        notifications=notifications,
        settings=settings,
        unsubscribe=unsubscribe_url,
    )
    rows = "".join(
        f'<li><a href="{escape(base + i.link, quote=True)}">{escape(i.title)}</a>: '
        f"{escape(i.text)}</li>"
        for i in items
    )
    html = (
        '<!doctype html>\n<html><body style="font-family: sans-serif; max-width: 36em">\n'
        f'<h1 style="font-size: 1.2em">{escape(subject)}</h1>\n<ul>{rows}</ul>\n'
        f"<p>{escape(more)}</p>"
        f'<p><a href="{escape(notifications, quote=True)}">Open BikeNode</a> &middot; '
        f'<a href="{escape(settings, quote=True)}">notification settings</a> &middot; '
        f'<a href="{escape(unsubscribe_url, quote=True)}">stop this digest</a></p>\n'
        "</body></html>\n"
    )
    return MailBody(subject, text, html)
