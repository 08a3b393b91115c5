"""Parsing hand-written messages: what the agent reads, what is kept, what is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from supportdesk.service.channels.mail import MailRejected, parse_mail

BASE = (
    "From: Marta Nowak <Marta.Nowak@Example.com>\r\n"
    "To: Support <support@desk.test>\r\n"
    "Subject: {subject}\r\n"
    "Message-ID: <m1@example.com>\r\n"
    "Date: Fri, 27 Nov 2026 15:42:00 +0100\r\n"
    "{extra}"
    "MIME-Version: 1.0\r\n"
)


def message(
    body: str, *, subject: str = "Code rejected", extra: str = "", ctype: str = ""
) -> bytes:
    head = BASE.format(subject=subject, extra=extra)
    head += ctype or "Content-Type: text/plain; charset=utf-8\r\n"
    head += "Content-Transfer-Encoding: 8bit\r\n"
    return (head + "\r\n" + body.replace("\n", "\r\n")).encode("utf-8")


def test_headers_are_decoded_and_normalised() -> None:
    raw = message(
        "Hello",
        subject="=?utf-8?q?Nie_dzia=C5=82a_kod?= [t-1042]",
        extra="In-Reply-To: <r1@desk.test>\r\nReferences: <a@x.test>\r\n <r1@desk.test>\r\n",
    )
    mail = parse_mail(raw)
    assert mail.subject == "Nie działa kod [t-1042]"
    assert mail.ticket_ref == "T-1042"
    assert mail.from_address == "marta.nowak@example.com"
    assert mail.from_name == "Marta Nowak"
    assert mail.reply_to == "marta.nowak@example.com"
    assert mail.to_addresses == ("support@desk.test",)
    assert mail.message_id == "<m1@example.com>"
    assert mail.in_reply_to == "<r1@desk.test>"
    assert mail.references == ("<a@x.test>", "<r1@desk.test>")
    assert mail.thread_ids == ("<r1@desk.test>", "<a@x.test>")
    assert mail.sent_at == datetime(2026, 11, 27, 14, 42, tzinfo=UTC)
    assert mail.size_bytes == len(raw)


def test_reply_to_wins_over_from_for_the_answer() -> None:
    mail = parse_mail(message("Hi", extra="Reply-To: Helpdesk Bot <bot@example.com>\r\n"))
    assert mail.reply_to == "bot@example.com"
    assert mail.from_address == "marta.nowak@example.com"


@pytest.mark.parametrize(
    "attribution",
    [
        "On Fri, 27 Nov 2026 at 15:00, Alvys Support <support@desk.test> wrote:",
        "On Fri, 27 Nov 2026 at 15:00, Alvys Support\n<support@desk.test> wrote:",
        "El vie, 27 nov 2026 a las 15:00, Soporte Alvys (<support@desk.test>) escribió:",
        "Am Fr., 27. Nov. 2026 um 15:00 Uhr schrieb Alvys Support <support@desk.test>:",
        "W dniu pt., 27 lis 2026 o 15:00 Alvys Support <support@desk.test> napisał(a):",
        "Dnia 27.11.2026 o 15:00 Alvys Support pisze:",
        "Le ven. 27 nov. 2026 à 15:00, Alvys Support <support@desk.test> a écrit\u00a0:",
        "Alvys Support <support@desk.test> wrote:",
    ],
)
def test_quoted_replies_in_each_language_are_cut(attribution: str) -> None:
    body = f"It works now, thank you.\n\n{attribution}\n> Please try the code again.\n> Alvys\n"
    mail = parse_mail(message(body))
    assert mail.ticket_text == "It works now, thank you."
    assert "Please try the code again" in mail.original_text


@pytest.mark.parametrize(
    "header_block",
    [
        "-----Original Message-----\nFrom: Alvys Support\nSent: Friday, November 27, 2026 3:00 PM",
        "________________________________\nFrom: Alvys Support <support@desk.test>\n"
        "Sent: Friday, November 27, 2026 3:00 PM\nTo: Marta\nSubject: RE: code",
        "-----Ursprüngliche Nachricht-----\nVon: Alvys Support\nGesendet: Freitag, 27. November",
        "Von: Alvys Support <support@desk.test>\nGesendet: Freitag, 27. November 2026 15:00\n"
        "An: Marta",
        "De: Soporte <support@desk.test>\nEnviado: viernes, 27 de noviembre de 2026 15:00",
        "Od: Alvys Support <support@desk.test>\nWysłano: piątek, 27 listopada 2026 15:00",
        "De : Alvys Support\nEnvoyé : vendredi 27 novembre 2026 15:00",
    ],
)
def test_outlook_headers_start_the_quoted_part(header_block: str) -> None:
    body = f"Still no SMS.\n\n{header_block}\n\nPlease check your phone number.\n"
    assert parse_mail(message(body)).ticket_text == "Still no SMS."


@pytest.mark.parametrize(
    "signature",
    [
        "-- \nMarta Nowak\nACME Sp. z o.o.\n+48 22 123 45 67",
        "--\nMarta",
        "Sent from my iPhone",
        "Sent from Outlook for Android",
        "Get Outlook for iOS",
        "Enviado desde mi iPhone",
        "Von meinem iPhone gesendet",
        "Wysłane z mojego iPhone'a",
        "Envoyé de mon iPhone",
    ],
)
def test_signatures_are_cut(signature: str) -> None:
    body = f"My new phone has no authenticator.\n\n{signature}\n"
    assert parse_mail(message(body)).ticket_text == "My new phone has no authenticator."


def test_a_trailing_disclaimer_is_cut_but_a_lone_paragraph_is_kept() -> None:
    body = (
        "I lost my security key.\n\n"
        "CONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and "
        "intended solely for the addressee.\n"
    )
    assert parse_mail(message(body)).ticket_text == "I lost my security key."
    german = "Mein Code geht nicht.\n\nDiese E-Mail enthält vertrauliche Informationen.\n"
    assert parse_mail(message(german)).ticket_text == "Mein Code geht nicht."
    only = "This message is confidential: my code does not work.\n"
    assert parse_mail(message(only)).ticket_text == only.strip()


def test_answers_written_between_quotes_are_kept() -> None:
    body = (
        "On Fri, 27 Nov 2026, Alvys Support <support@desk.test> wrote:\n"
        "> Which phone do you use?\n"
        "A Pixel 8.\n"
        "> Is the clock set automatically?\n"
        "Yes, it is.\n"
    )
    assert parse_mail(message(body)).ticket_text == "A Pixel 8.\nYes, it is."


def test_user_text_that_looks_like_a_marker_is_not_cut() -> None:
    body = (
        "On my phone the app says the code is wrong.\n"
        "From: the app store I installed it yesterday.\n\n"
        "---------- Forwarded message ---------\n"
        "The original alert from the bank.\n"
    )
    assert parse_mail(message(body)).ticket_text == body.strip()


def test_a_message_that_is_only_a_quote_keeps_its_text() -> None:
    body = "> I cannot sign in.\n> Please help.\n"
    assert parse_mail(message(body)).ticket_text == "> I cannot sign in.\n> Please help."


def test_html_only_mail_becomes_text_and_its_quote_is_cut() -> None:
    html = (
        "<html><head><style>p {color: red}</style></head><body>"
        "<div>Hola,</div><div>el c&oacute;digo <b>no</b> llega.<br></div>"
        "<div class='gmail_quote'><div class='gmail_attr'>El vie, 27 nov 2026 a las 15:00, "
        "Soporte &lt;support@desk.test&gt; escribi&oacute;:<br></div>"
        "<blockquote>Pruebe otra vez.</blockquote></div></body></html>"
    )
    mail = parse_mail(message(html, ctype="Content-Type: text/html; charset=utf-8\r\n"))
    assert mail.html_only
    assert mail.ticket_text == "Hola,\nel código no llega."
    assert "> Pruebe otra vez." in mail.original_text


def test_outlook_html_reply_is_cut_at_its_header_block() -> None:
    html = (
        "<p>The new code works.</p><hr><div id='divRplyFwdMsg'><b>From:</b> Alvys Support"
        "<br><b>Sent:</b> Friday, 27 November 2026 15:00<br><b>Subject:</b> RE: codes</div>"
        "<p>Please try again.</p>"
    )
    mail = parse_mail(message(html, ctype="Content-Type: text/html; charset=utf-8\r\n"))
    assert mail.ticket_text == "The new code works."


def test_plain_text_is_preferred_and_attachments_are_counted() -> None:
    raw = (
        BASE.format(subject="Screenshot", extra="")
        + 'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        "--outer\r\n"
        'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
        "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the picture.\r\n"
        "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML version</p>\r\n"
        "--alt--\r\n"
        "--outer\r\nContent-Type: image/png\r\n"
        'Content-Disposition: attachment; filename="prompt.png"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
        '--outer\r\nContent-Type: application/pdf; name="log.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n"
        "--outer--\r\n"
    ).encode()
    mail = parse_mail(raw)
    assert mail.ticket_text == "See the picture."
    assert not mail.html_only
    assert mail.attachments == 2


def test_an_unknown_charset_still_reads() -> None:
    raw = message("Zażółć", ctype="Content-Type: text/plain; charset=x-no-such-charset\r\n")
    assert parse_mail(raw).ticket_text == "Zażółć"


def test_automatic_mail_is_marked() -> None:
    assert parse_mail(message("Out of office", extra="Auto-Submitted: auto-replied\r\n")).automatic
    assert parse_mail(message("Digest", extra="Precedence: bulk\r\n")).automatic
    assert not parse_mail(message("Help", extra="Auto-Submitted: no\r\n")).automatic


def test_a_missing_message_id_gets_a_stable_one() -> None:
    raw = message("Hi").replace(b"Message-ID: <m1@example.com>\r\n", b"")
    first, again = parse_mail(raw), parse_mail(raw)
    assert first.message_id == again.message_id
    assert first.message_id.endswith("@no-message-id.invalid>")
    assert parse_mail(raw + b"more").message_id != first.message_id


def test_long_text_is_cut_and_says_so() -> None:
    mail = parse_mail(message("word " * 1000), max_text_chars=100)
    assert mail.truncated
    assert len(mail.original_text) == 100


def test_a_subject_alone_is_enough_text() -> None:
    mail = parse_mail(message("", subject="Please reset my MFA"))
    assert mail.ticket_text == "Please reset my MFA"


def test_oversize_is_refused_with_who_sent_it() -> None:
    raw = message("x\n" * 5000)
    with pytest.raises(MailRejected) as refused:
        parse_mail(raw, max_bytes=1000)
    assert refused.value.reason == "oversize"
    assert refused.value.sender == "marta.nowak@example.com"
    assert refused.value.message_id == "<m1@example.com>"
    assert f"{len(raw)} bytes" in refused.value.message


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "malformed"),
        (b"   \r\n", "malformed"),
        (b"\x00\x01\x02 not an e-mail at all", "malformed"),
        (b"Subject: hi\r\n\r\nno sender\r\n", "no_sender"),
        (b"From: undisclosed-recipients:;\r\nSubject: hi\r\n\r\nbody\r\n", "no_sender"),
        (b"From: a@example.com\r\nMessage-ID: <e@x>\r\n\r\n\r\n", "empty"),
    ],
)
def test_malformed_mail_is_refused_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(MailRejected) as refused:
        parse_mail(raw)
    assert refused.value.reason == reason
    assert refused.value.message
