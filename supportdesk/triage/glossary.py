"""A small glossary of the help article's vocabulary in the desk's four languages.

The labelled set has a few hundred English tickets but only dozens per other language,
so on its own the classifier hears "perdí el celular" or "Handy verloren" too rarely to
learn them. Each entry below names a notion in English and the words that say it in
Spanish, Polish, German and English slang; a ticket that uses them gets the English
words appended, so what the model learned from English tickets carries over. The
glossary decides nothing by itself: it gives the classifier shared words, and the
classifier weighs them against everything else in the text (bench/triage.py measures
the model with and without it). Pure regular expressions: no third-party imports.
"""

from __future__ import annotations

import functools
import re

__all__ = ["gloss", "glossary"]

_ENTRIES: tuple[tuple[str, str], ...] = (
    (
        "lost",
        r"\bmisplac|\bcan'?t find (?:it|my)|\bleft (?:it|my phone)|perd[ií]|perdid|extravi|zgubi"
        r"|przepad|verlor|liegen lassen|olvid[eé] el (?:tel|cel|m[oó]v)",
    ),
    ("stolen", r"\bstolen|\bnicked|\brob(?:aron|ado|ó)|ukrad|gestohlen|geklaut"),
    (
        "broken",
        r"\bsmash|\bcrack|\bbroke|\bsnapped|\bdied\b|\bdead\b|romp|\brot[oa]\b|se me cay|zepsu"
        r"|rozbi|wpad\w* do wody|kaputt|gebrochen|runtergefallen|geht gar nicht mehr an"
        r"|dej[oó] de funcionar|przesta\w* dzia",
    ),
    ("phone", r"celular|tel[eé]fono|m[oó]vil|\btelefon\w*|\bhandy\w*|kom[oó]rk"),
    ("text message", r"\bmensaje|wiadomo[sś]|\bsms\w*"),
    (
        "not arriving",
        r"no (?:me )?(?:lleg|est[aá] llegando)|nunca lleg|no recib|no aparece"
        r"|nie (?:przy|do)chodz|nie przysz|nie dost|nie otrzym|\bbrak\b"
        r"|kommt\w* (?:einfach )?nicht|nicht an(?:gekommen)?\b|erhalte keine|bekomme keine"
        r"|keine (?:code-)?sms|erreicht mich nicht|nichts angekommen",
    ),
    ("code", r"c[oó]dig|\bkod\w*|\bcode\w*"),
    (
        "rejected invalid",
        r"inv[aá]lid|incorrect|err[oó]ne|rechaz|no (?:es )?v[aá]lid|no (?:me )?acepta"
        r"|no (?:son )?aceptad|no funcionan?|no sirve|odrzuc|nieprawid|niepoprawn|b[lł][eę]dn"
        r"|\bz[lł]y\b|nie dzia|nie przyjmuje|nie akceptuj|nie przechodz|abgelehnt|ablehn"
        r"|\blehnt|ung[uü]ltig|falsch|nicht akzeptiert|nicht angenommen|fehlgeschlagen"
        r"|funktionier\w* nicht|nicht mehr",
    ),
    ("authenticator app", r"autenticador|uwierzytelniaj|aplikac|aplicaci|\bapp\b"),
    ("time clock", r"\bhora\b|horario|godzin|zegar|\bczas|uhrzeit|\buhr\b|zeitumstellung"),
    ("why", r"por qu[eé]|dlaczego|czemu|warum|wieso|weshalb"),
    (
        "every time",
        r"cada vez|todo el tiempo|todos los d[ií]as|a cada rato|todas las ma[ñn]anas"
        r"|za ka[zż]dym razem|ci[aą]gle|codziennie|co rano|co chwil|jedes mal|bei jeder"
        r"|st[aä]ndig|jeden (?:tag|morgen)",
    ),
    (
        "asks for",
        r"\bpid[eoi]|pidiendo|\bprosi|poprosi|\bpyta|\bka[zż]e|[zż][aą]da|wymaga|\bfragt"
        r"|gefragt|verlangt|\bwollte",
    ),
    ("was not logging in", r"sin que yo|no estaba intentando|nie logowa|nicht angemeldet"),
    ("someone hacked", r"hacke|w[lł]ama|alguien|kto[sś]\b|jemand"),
    ("travel", r"viaj|delegac|podr[oó][zż]|wyje[zż]d|reise|unterwegs|fliege|hotel"),
    ("network vpn", r"\bvpn\b|wi-?fi|\bwlan\b"),
    (
        "integration sync",
        r"integra|schnittstelle|\bapi\b|sincroniz|synchroniz|abgleich|\bsync|konektor"
        r"|connector|conector",
    ),
    (
        "service account bot",
        r"cuenta de servicio|konto serwis|konto techniczn|servicekonto|dienstkont"
        r"|technische\w* benutzer|usuario (?:robot|del sistema)"
        r"|u[zż]ytkownik\w*[- ](?:bot|systemow)|systembenutzer"
        r"|\bbot\b|robot|skrypt|\bscript|\bskript",
    ),
    (
        "shared login",
        r"compartid|un solo (?:usuario|login)|wsp[oó]ln|jednego loginu|gemeinsam|teilen sich",
    ),
    ("set up", r"configur|skonfigur|\bustawi|einricht|\bset ?up\b"),
    (
        "add backup method",
        r"agreg|a[ñn]ad|doda[cćj]|hinzuf[uü]g|segundo m[eé]todo|drug\w* metod|zweite\w* methode"
        r"|respaldo|zapas|ersatz|reserve|backup",
    ),
    ("mandatory required", r"obligatori|obowi[aą]zkow|wymagan|pflicht"),
    ("security key", r"llave de seguridad|klucz\w* bezpiecz|sicherheitsschl[uü]ssel|yubikey"),
    (
        "password manager",
        r"gestor de (?:credenciales|contrase)|mened[zż]er\w* hase|passwortmanager|bitwarden"
        r"|1password|keeper|lastpass",
    ),
    ("password", r"contrase[ñn]a|\bhas[lł]|\bhase[lł]|passwort|kennwort"),
    ("forgot", r"olvid[eé] (?:la|mi) contra|zapomnia|vergessen"),
    ("reset", r"restablec|resete|\breset|zur[uü]cksetz|zresetowa|reinici"),
    (
        "invoice billing",
        r"factur|faktur|rechnung|\bcobr|mensualidad|abonament|geb[uü]hr|licenc|lizenz",
    ),
    ("driver", r"conductor|kierowc|\bfahrer"),
    ("load", r"\bcarga|[lł]adun|\bladung|auftr[aä]g"),
    ("report", r"reporte|raport|bericht"),
    ("locked", r"bloque|zablokow|gesperrt|ausgesperrt"),
    ("email", r"correo|\be-?mail"),
    (
        "question how",
        r"\bhow (?:do|can|should)|\bcan i\b|\bis it possible|\bwhich\b"
        r"|\bwhat (?:kind|type|do i need)|\bdoes (?!not\b)[^.!?]{0,30}\bwork"
        r"|c[oó]mo (?:configur|agreg|cambi|hago)|\bpuedo\b|se puede"
        r"|qu[eé] tipo|\bcu[aá]l|\bjak (?:doda|skonfig|zmieni|ustawi)|czy mog[eę]|czy mo[zż]na"
        r"|\bjaki\b|kt[oó]r[aey]|\bwie (?:richte|f[uü]ge|stelle|gebe)|kann ich|kann man|welche"
        r"|was brauche",
    ),
    (
        "user admin",
        r"\bnew user|\badd (?:a |our )?(?:new )?(?:user|dispatcher|driver)|permissions"
        r"|remove a user|nuevo despachador|nowego dyspozytora|neuen mitarbeiter",
    ),
)


@functools.cache
def glossary() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """English words, and the pattern of the words in the four languages that say them.

    Compiled on first use, not at import: importing triage stays cheap for the desk.
    """
    return tuple((words, re.compile(pattern, re.IGNORECASE)) for words, pattern in _ENTRIES)


def gloss(text: str) -> str:
    """``text`` with the English words of every notion it mentions appended."""
    notions = [words for words, pattern in glossary() if pattern.search(text)]
    return f"{text} || {' '.join(notions)}" if notions else text
