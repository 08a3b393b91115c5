"""The help article's answers, worded as an agent pastes them into a reply to a user.

Each answer has a stable ``id`` (for the desk and its audit), a ``title`` (for the
palette), ``keywords`` (what agents and users type when they look for it, in the desk's
four languages where it helps) and the ``text`` to insert. ``branches`` says on which
branch of the tree the desk offers it first. Facts come only from the help article.

The SMS countries answer can be checked against a user's own country
(``sms_country_check``); ``search_quick_answers`` finds answers by words, forgiving
of case, accents and small typos. Pure data and functions: no I/O.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from supportdesk.rules.sms_countries import SMS_COUNTRY_NAMES, is_sms_country
from supportdesk.rules.tree import Branch

__all__ = [
    "QUICK_ANSWERS",
    "QuickAnswer",
    "SmsCountryCheck",
    "answers_for_branch",
    "quick_answer",
    "search_quick_answers",
    "sms_country_check",
]


@dataclass(frozen=True, slots=True)
class QuickAnswer:
    id: str
    title: str
    keywords: tuple[str, ...]
    text: str
    branches: tuple[Branch, ...] = ()


def _country_list() -> str:
    names = list(SMS_COUNTRY_NAMES.values())
    return ", ".join(names[:-1]) + f" and {names[-1]}"


_AUTHENTICATOR_APPS = (
    "Google Authenticator, Microsoft Authenticator, Authy, 1Password or any other TOTP app"
)

QUICK_ANSWERS: tuple[QuickAnswer, ...] = (
    QuickAnswer(
        id="sms_countries",
        title="Countries where SMS codes work",
        keywords=("sms", "text message", "country", "countries", "supported", "list", "país"),
        text=(
            "Codes by text message (SMS) are available for mobile numbers in these countries: "
            f"{_country_list()}. If your country is not on the list, please use an "
            f"authenticator app instead ({_AUTHENTICATOR_APPS}): it works everywhere and "
            "does not need mobile coverage."
        ),
        branches=(Branch.SMS_NOT_RECEIVED, Branch.SETUP_HELP),
    ),
    QuickAnswer(
        id="service_accounts",
        title="Service accounts, integrations and credential managers",
        keywords=(
            "service account",
            "integration",
            "api",
            "automation",
            "bot",
            "shared account",
            "credential manager",
            "keeper",
            "1password",
        ),
        text=(
            "MFA is designed for individual people signing in. Shared or service accounts "
            "that are used only for integrations and automations cannot use interactive "
            "MFA, because nobody is there to enter a code. Please keep those credentials in "
            "a credential management tool that supports 2FA codes, such as 1Password or "
            "Keeper, so the code is generated there rather than on one person's phone. "
            "Everyone who signs in as themselves needs their own login with MFA set up on it."
        ),
        branches=(Branch.SERVICE_ACCOUNT,),
    ),
    QuickAnswer(
        id="travelling",
        title="Travelling: signing in from new places",
        keywords=("travel", "trip", "abroad", "location", "viaje", "reise", "podróż", "blocked"),
        text=(
            "MFA will not stop you signing in while you travel. When you sign in from a new "
            "location, Alvys may see it as unusual and ask you to verify with one of your "
            "methods; once you have, you can use your account as normal. Before a trip, make "
            "sure you have a method that works where you are going: the authenticator app "
            "works anywhere, even without mobile coverage, while SMS works only in the "
            "supported countries."
        ),
        branches=(Branch.WHY_PROMPTED, Branch.SETUP_HELP),
    ),
    QuickAnswer(
        id="password_managers",
        title="Password managers as the authenticator (1Password, Keeper, Bitwarden)",
        keywords=("password manager", "bitwarden", "1password", "keeper", "totp", "vault"),
        text=(
            "Yes, you can. Any TOTP-compatible app or password manager works as your "
            "authenticator, including 1Password, Keeper and Bitwarden. During setup, when "
            "Alvys shows the QR code, add the Alvys MFA key to your password manager the same "
            "way you would in an authenticator app (scan the QR code, or enter the code shown "
            "by hand). It will then generate the 6-digit codes for you."
        ),
        branches=(Branch.SETUP_HELP,),
    ),
    QuickAnswer(
        id="adaptive_mfa",
        title="What adaptive MFA is (why you are asked sometimes)",
        keywords=("adaptive", "risk", "prompt", "why", "asked", "every time", "trusted device"),
        text=(
            "Alvys uses adaptive MFA: each sign-in is checked for risk signals, such as a new "
            "or unrecognised device, a new or unusual location (for example two sign-ins too "
            "far apart to travel between) or an untrusted IP address. When a risk signal is "
            "present, you are asked to verify; when there is none, you may sign in on a "
            "recognised, trusted device without a prompt. That is why you are asked "
            "sometimes and not always, and a prompt on its own does not mean anything is "
            "wrong with your account."
        ),
        branches=(Branch.WHY_PROMPTED, Branch.SETUP_HELP),
    ),
    QuickAnswer(
        id="setup_authenticator",
        title="Set up the authenticator app",
        keywords=("set up", "setup", "authenticator", "app", "qr code", "configure", "install"),
        text=(
            "To set up the authenticator app (our recommended method):\n"
            f"1. Install an authenticator app on your phone: {_AUTHENTICATOR_APPS}.\n"
            "2. Sign in to Alvys and choose Authenticator App when you are asked to set up "
            "MFA.\n"
            "3. Scan the QR code with the app. If it cannot scan, enter the code shown "
            "instead.\n"
            "4. Type the 6-digit code the app shows into Alvys to finish.\n"
            "From then on, open the app and enter its current code when Alvys asks; the code "
            "changes every 30 seconds."
        ),
        branches=(Branch.SETUP_HELP,),
    ),
    QuickAnswer(
        id="setup_sms",
        title="Set up codes by text message (SMS)",
        keywords=("set up", "setup", "sms", "text message", "phone number", "mobile"),
        text=(
            "To set up codes by text message:\n"
            "1. Sign in to Alvys and choose Phone (SMS) when you are asked to set up MFA.\n"
            "2. Enter your mobile number, including the country code.\n"
            "3. Alvys texts you a 6-digit code; enter it to finish.\n"
            "SMS is less secure than an authenticator app, so we recommend it as a backup "
            "rather than your main method. It is available only in the supported countries."
        ),
        branches=(Branch.SETUP_HELP, Branch.SMS_NOT_RECEIVED),
    ),
    QuickAnswer(
        id="setup_security_key",
        title="Set up a security key",
        keywords=("set up", "setup", "security key", "yubikey", "feitian", "fido2", "webauthn"),
        text=(
            "To set up a security key:\n"
            "1. Have your FIDO2/WebAuthn security key ready (for example a YubiKey or a "
            "Feitian key).\n"
            "2. Sign in to Alvys and choose Security Key when you are asked to set up MFA.\n"
            "3. Insert or tap the key and follow the on-screen steps to register it.\n"
            "Next time Alvys asks you to verify, insert or tap the key."
        ),
        branches=(Branch.SETUP_HELP, Branch.LOST_DEVICE),
    ),
    QuickAnswer(
        id="second_method",
        title="Add a second method (a backup)",
        keywords=("second method", "backup", "another method", "add", "more than one", "spare"),
        text=(
            "We recommend setting up at least two methods, for example the authenticator app "
            "plus SMS, so you still have a way in if one of them becomes unavailable (say, if "
            "you lose your phone). Once your first method is set up, you can add more from "
            "your profile in Alvys: choose the method and follow the same steps as for the "
            "first one."
        ),
        branches=(Branch.SETUP_HELP, Branch.LOST_DEVICE),
    ),
    QuickAnswer(
        id="security_keys",
        title="What a security key needs",
        keywords=("security key", "yubikey", "feitian", "fido2", "webauthn", "hardware key"),
        text=(
            "Alvys works with hardware security keys that support FIDO2/WebAuthn, such as "
            "YubiKey or Feitian keys; a key without FIDO2/WebAuthn support cannot be used. "
            "You register the key once, by inserting or tapping it when Alvys asks during "
            "setup, and afterwards you insert or tap it whenever you are asked to verify. As "
            "with any method, we recommend a second one beside it in case the key is lost."
        ),
        branches=(Branch.SETUP_HELP, Branch.LOST_DEVICE),
    ),
    QuickAnswer(
        id="mfa_required",
        title="Is MFA required? Can I skip it?",
        keywords=(
            "required",
            "mandatory",
            "skip",
            "optional",
            "turn off",
            "obligatorio",
            "pflicht",
        ),
        text=(
            "Yes, MFA is required for every Alvys user and cannot be skipped: you are asked "
            "to set it up the first time you sign in, and your account is not fully "
            "accessible until it is configured. You can choose an "
            "authenticator app, a text message to your mobile (in supported countries) or a "
            "security key."
        ),
        branches=(Branch.SETUP_HELP,),
    ),
    QuickAnswer(
        id="authenticator_time",
        title="Authenticator codes rejected: set the phone's time to automatic",
        keywords=("code", "invalid", "rejected", "incorrect", "time", "clock", "automatic"),
        text=(
            "Authenticator codes depend on your phone's clock: if it is more than about 30 "
            "seconds off, the codes it makes are rejected. Please open your phone's date and "
            "time settings and switch on automatic (network) time. If the time is right and "
            "codes still fail, remove your Alvys account from the authenticator app and add "
            "it again with a new QR code from Alvys."
        ),
        branches=(Branch.CODE_NOT_ACCEPTED,),
    ),
)

_BY_ID = {answer.id: answer for answer in QUICK_ANSWERS}


def quick_answer(answer_id: str) -> QuickAnswer:
    """The answer with ``answer_id``; ``KeyError`` for an unknown id."""
    return _BY_ID[answer_id]


def answers_for_branch(branch: Branch) -> tuple[QuickAnswer, ...]:
    """The answers the desk offers first on ``branch``, in the article's order."""
    return tuple(answer for answer in QUICK_ANSWERS if branch in answer.branches)


# --- the user's own country on the SMS list ---------------------------------------------


@dataclass(frozen=True, slots=True)
class SmsCountryCheck:
    """Whether SMS works for the user's country, and the reply that says so."""

    region: str | None
    country: str | None
    supported: bool
    text: str


def sms_country_check(region: str | None = None, *, phone: str | None = None) -> SmsCountryCheck:
    """The SMS countries answer, opened with a sentence about the user's own country.

    ``phone`` (any notation; ``region`` helps read a national number) takes precedence:
    the number's country is what decides whether a text can arrive. Without either,
    or when neither can be placed, the answer is the plain list.
    """
    from supportdesk.rules.phone import PhoneParseError, analyse_phone, region_name

    code = (region or "").strip().upper() or None
    if phone is not None:
        try:
            code = analyse_phone(phone, code).region
        except PhoneParseError:
            code = None
    name = region_name(code)
    supported = is_sms_country(code)
    plain = quick_answer("sms_countries").text
    if name is None:
        return SmsCountryCheck(region=None, country=None, supported=False, text=plain)
    if supported:
        opening = f"{name} is on the list, so codes by text message should reach you there. "
    else:
        opening = (
            f"{name} is not on the list of countries where we can send codes by text "
            "message, so SMS cannot work there; the authenticator app is the way to go. "
        )
    return SmsCountryCheck(region=code, country=name, supported=supported, text=opening + plain)


# --- search -----------------------------------------------------------------------------

_STOP_WORDS = frozenset(
    {"a", "about", "an", "and", "are", "be", "can", "do", "does", "for", "get", "how", "i"}
    | {"in", "is", "it", "me", "my", "of", "on", "or", "our", "the", "this", "to", "use"}
    | {"using", "we", "what", "when", "with", "you", "your"}
)
_FIELD_WEIGHTS = (("title", 3.0), ("keywords", 2.0), ("text", 1.0))


def search_quick_answers(query: str, limit: int | None = None) -> list[QuickAnswer]:
    """Answers matching the words of ``query``, best first; all of them for no words.

    Forgiving: case and accents do not matter, a word matches the start of a longer one
    ("pass" finds "password"), and one typo is allowed in words of four letters or more
    (two from eight). A word weighs most in the title, then in the keywords, then in
    the text; ties keep the article's order.
    """
    words = [w for w in _words(query) if w not in _STOP_WORDS]
    if not words:
        return list(QUICK_ANSWERS[:limit])
    scored: list[tuple[float, int, QuickAnswer]] = []
    for order, answer in enumerate(QUICK_ANSWERS):
        fields = _fields(answer)
        score = sum(
            max(weight * _match(word, fields[name]) for name, weight in _FIELD_WEIGHTS)
            for word in words
        )
        if score > 0:
            scored.append((-score, order, answer))
    scored.sort(key=lambda row: row[:2])
    return [row[2] for row in scored[:limit]]


def _fields(answer: QuickAnswer) -> dict[str, frozenset[str]]:
    return {
        "title": frozenset(_words(answer.title)),
        "keywords": frozenset(w for k in answer.keywords for w in _words(k)),
        "text": frozenset(_words(answer.text)),
    }


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    cleaned = "".join(c if c.isalnum() else " " for c in plain)
    return [w for w in cleaned.split() if len(w) > 1]


def _match(word: str, vocabulary: frozenset[str]) -> float:
    """1 for the word itself, 0.8 for a prefix of a longer word, 0.6 for a typo, else 0."""
    if word in vocabulary:
        return 1.0
    if len(word) >= 3 and any(v.startswith(word) for v in vocabulary):
        return 0.8
    allowed = 2 if len(word) >= 8 else 1 if len(word) >= 4 else 0
    if allowed and any(_within_edits(word, v, allowed) for v in vocabulary):
        return 0.6
    return 0.0


def _within_edits(a: str, b: str, limit: int) -> bool:
    """Whether the edit distance between ``a`` and ``b`` is at most ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit
