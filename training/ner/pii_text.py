"""Personal-data training text: letters, forms, tickets, chats and addresses
of many countries, with the personal-data spans known by construction.

The general corpus (corpus.py) is edited prose: it has names in the news
register but almost no self-disclosed personal data, street addresses or
lowercase chat. This module writes such text from templates filled with
PyPI `faker` values (MIT) in many locales, and records where each value went.

    python pii_text.py --documents 5      # print a few, to read them
    (build_corpus.py appends them to work/corpus.jsonl)

Each document: its text and "gold": [[start, end, label], ...] (code points). Gold labels are PERSON, STREET_ADDRESS, ZIP_CODE and GPE
(cities, states, countries, as OntoNotes labels them), plus `O` for values the
student must leave to the pattern recognizers (e-mails, phones, cards,
IBANs): data.py drops the teacher's spans that overlap those. See
EXPERIMENTS.md for how gold and teacher labels are merged.

This set is for training only. Its templates and values are written
independently of the evaluation set in tools/pii-synthetic/src/lib.rs
(different wording, different name and street lists), so scores on that set
are not scores on training text.
"""

from __future__ import annotations

import argparse
import json
import random

from faker import Faker

# Locales whose names and addresses appear, weighted toward English-speaking
# countries (the service's language) but not only.
LOCALES = {
    "en_US": 6, "en_GB": 4, "en_CA": 2, "en_AU": 2, "en_IE": 1, "en_NZ": 1, "en_IN": 2,
    "de_DE": 1, "fr_FR": 1, "es_ES": 1, "it_IT": 1, "nl_NL": 1, "pt_BR": 1, "pl_PL": 1,
    "sv_SE": 1, "en_PH": 1,
}
COUNTRY = {
    "en_US": "USA", "en_GB": "United Kingdom", "en_CA": "Canada", "en_AU": "Australia",
    "en_IE": "Ireland", "en_NZ": "New Zealand", "en_IN": "India", "de_DE": "Germany",
    "fr_FR": "France", "es_ES": "Spain", "it_IT": "Italy", "nl_NL": "Netherlands",
    "pt_BR": "Brazil", "pl_PL": "Poland", "sv_SE": "Sweden", "en_PH": "Philippines",
}
# Postcode before the city (continental Europe, Brazil) or after it.
POSTCODE_FIRST = {"de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL", "sv_SE", "pt_BR"}
REGION_BEFORE_POSTCODE = {"en_US", "en_CA", "en_AU"}


class Writer:
    """Builds a text piece by piece, remembering the labelled pieces."""

    def __init__(self):
        self.parts: list[str] = []
        self.length = 0
        self.gold: list[list] = []

    def add(self, text: str, label: str | None = None) -> None:
        if label and text:
            self.gold.append([self.length, self.length + len(text), label])
        self.parts.append(text)
        self.length += len(text)

    def text(self) -> str:
        return "".join(self.parts)


_FAKERS: dict[str, Faker] = {}


def faker_for(locale: str) -> Faker:
    if locale not in _FAKERS:
        _FAKERS[locale] = Faker(locale)
    return _FAKERS[locale]


class Values:
    """One document's people and places, from one locale."""

    def __init__(self, rng: random.Random, seed: int):
        self.rng = rng
        self.locale = rng.choices(list(LOCALES), weights=list(LOCALES.values()))[0]
        self.fake = faker_for(self.locale)
        self.fake.seed_instance(seed)

    def given(self) -> str:
        return self.fake.first_name()

    def surname(self) -> str:
        return self.fake.last_name()

    def street(self) -> str:
        value = self.fake.street_address()
        if self.locale == "en_US" and self.rng.random() < 0.25:
            value += f", {self.fake.secondary_address()}"
        return value.replace("\n", ", ")

    def city(self) -> str:
        return self.fake.city()

    def region(self) -> str | None:
        for method in ("state_abbr", "province_abbr", "state", "county", "region"):
            if hasattr(self.fake, method):
                try:
                    return getattr(self.fake, method)()
                except (AttributeError, TypeError):
                    continue
        return None

    def postcode(self) -> str:
        return self.fake.postcode()

    def email(self, name: str = "") -> str:
        if name and self.rng.random() < 0.6:
            local = ".".join(p.lower() for p in name.split() if p.isalpha())
            if local.isascii() and local:
                return f"{local}@{self.fake.free_email_domain()}"
        return self.fake.email()

    def phone(self) -> str:
        # A few locales have no phone provider: write a US number there.
        fake = self.fake if hasattr(self.fake, "phone_number") else faker_for("en_US")
        return fake.phone_number()


def person(w: Writer, v: Values, register: str = "normal") -> str:
    """Writes a person's name in one of the ways people write names; titles
    stay outside the span (OntoNotes convention). Returns the name."""
    rng = v.rng
    given, surname = v.given(), v.surname()
    style = rng.random()
    if style < 0.12:
        w.add(rng.choice(["Mr. ", "Mrs. ", "Ms. ", "Dr. ", "Prof. ", "Mr ", "Ms "]))
        name = surname if rng.random() < 0.5 else f"{given} {surname}"
    elif style < 0.2:
        name = f"{given} {rng.choice('ABCDEFGHJKLMNPRSTW')}. {surname}"
    elif style < 0.27:
        name = given
    elif style < 0.32:
        name = f"{surname}, {given}"
    else:
        name = f"{given} {surname}"
    if register == "lower":
        name = name.lower()
    elif register == "upper":
        name = name.upper()
    w.add(name, "PERSON")
    return name


# Street types as people abbreviate them (USPS and Royal Mail usage); faker
# writes most of them in full.
STREET_ABBREVIATIONS = {
    "Street": "St", "Avenue": "Ave", "Road": "Rd", "Drive": "Dr", "Lane": "Ln",
    "Boulevard": "Blvd", "Court": "Ct", "Place": "Pl", "Square": "Sq", "Parkway": "Pkwy",
    "Highway": "Hwy", "Circle": "Cir", "Crescent": "Cres", "Terrace": "Ter", "Trail": "Trl",
    "Mount": "Mt", "Apartment": "Apt", "Suite": "Ste",
}


def written(v: Values, value: str, register: str = "normal") -> str:
    """`value` as a person types it: street types sometimes abbreviated (with
    or without a full stop), and the register's case."""
    rng = v.rng
    if rng.random() < 0.35:
        dot = "." if rng.random() < 0.4 else ""
        value = " ".join(
            STREET_ABBREVIATIONS[word] + dot if word in STREET_ABBREVIATIONS else word
            for word in value.split(" ")
        )
    if register == "lower":
        value = value.lower()
    elif register == "upper":
        value = value.upper()
    return value


def street(w: Writer, v: Values, register: str = "normal") -> None:
    w.add(written(v, v.street(), register), "STREET_ADDRESS")


def address(w: Writer, v: Values, lines: str = ", ", register: str = "normal") -> None:
    """A postal address as that country writes it: street line, then city,
    region and postcode in the local order, each part labelled."""
    rng = v.rng
    case = (lambda text: text.lower()) if register == "lower" else (
        (lambda text: text.upper()) if register == "upper" else (lambda text: text))
    street(w, v, register)
    w.add(lines)
    if v.locale in POSTCODE_FIRST:
        w.add(case(v.postcode()), "ZIP_CODE")
        w.add(" ")
        w.add(case(v.city()), "GPE")
    else:
        w.add(case(v.city()), "GPE")
        region = v.region() if v.locale in REGION_BEFORE_POSTCODE or rng.random() < 0.3 else None
        if region:
            w.add(", ")
            w.add(case(region), "GPE")
        w.add(" " if v.locale in REGION_BEFORE_POSTCODE or v.locale == "en_GB" else ", ")
        w.add(case(v.postcode()), "ZIP_CODE")
    if rng.random() < 0.3:
        w.add(lines)
        w.add(case(COUNTRY[v.locale]), "GPE")


def pattern_value(w: Writer, value: str) -> None:
    """A value the validated patterns own: the student learns to leave it."""
    w.add(value, "O")


def letter(w: Writer, v: Values) -> None:
    rng = v.rng
    w.add(rng.choice(["Dear ", "Hello ", "To "]))
    person(w, v)
    w.add(rng.choice([",\n\n", ",\n", ", "]))
    w.add(rng.choice([
        "Thank you for your letter of ", "We received your application on ",
        "Following our conversation on ", "Your subscription was renewed on ",
    ]))
    w.add(v.fake.date(pattern=rng.choice(["%B %d, %Y", "%d %B %Y", "%d/%m/%Y"])))
    w.add(rng.choice([
        ". Please confirm that your address is still ",
        ". We will send the documents to ",
        ". The parcel will be delivered to ",
    ]))
    address(w, v)
    w.add(rng.choice([". ", ".\n"]))
    w.add(rng.choice(["If anything changed, call us on ", "Questions? Phone ", "You can reach our team on "]))
    pattern_value(w, v.phone())
    w.add(rng.choice([".\n\nKind regards,\n", ".\n\nSincerely,\n", ". Best wishes, "]))
    person(w, v)


def form(w: Writer, v: Values) -> None:
    rng = v.rng
    sep = rng.choice(["\n", "; ", " | "])
    upper = rng.random() < 0.15
    w.add(rng.choice(["Name: ", "Full name: ", "Patient: ", "Applicant: ", "Customer name: "]))
    name = person(w, v, "upper" if upper else "normal")
    w.add(sep)
    if rng.random() < 0.5:
        w.add(rng.choice(["Date of birth: ", "DOB: ", "Born: "]))
        w.add(v.fake.date_of_birth().strftime(rng.choice(["%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d", "%B %d, %Y"])))
        w.add(sep)
    w.add(rng.choice(["Address: ", "Home address: ", "Mailing address: ", "Street: "]))
    address(w, v)
    w.add(sep)
    w.add(rng.choice(["Email: ", "E-mail: ", "Contact: "]))
    pattern_value(w, v.email(name))
    w.add(sep)
    w.add(rng.choice(["Phone: ", "Tel: ", "Mobile: "]))
    pattern_value(w, v.phone())
    if rng.random() < 0.5:
        w.add(sep)
        w.add(rng.choice(["Emergency contact: ", "Next of kin: ", "Spouse: "]))
        person(w, v)


def ticket(w: Writer, v: Values) -> None:
    rng = v.rng
    w.add(rng.choice(["Ticket #", "Case ", "Request "]) + str(rng.randint(10000, 999999)))
    w.add(rng.choice([": ", " - "]))
    w.add(rng.choice([
        "Customer says the delivery to ", "Package not received at ", "Wrong billing address: ",
        "Please update the shipping address to ",
    ]))
    address(w, v)
    w.add(rng.choice([". Reported by ", ". Opened by ", ". Customer: "]))
    name = person(w, v)
    w.add(rng.choice([" (", ", contact "]))
    pattern_value(w, v.email(name))
    w.add(rng.choice([").", "."]))
    if rng.random() < 0.5:
        w.add(rng.choice([" Assigned to ", " Escalated to ", " Handled by "]))
        person(w, v)
        w.add(rng.choice([" in ", " from "]))
        w.add(rng.choice(["Billing", "Support", "Logistics", "the returns team"]))
        w.add(".")


def chat(w: Writer, v: Values) -> None:
    rng = v.rng
    lower = rng.random() < 0.6
    register = "lower" if lower else "normal"
    w.add(rng.choice(["hi ", "hey, ", "hello! ", "Hi, ", "good morning, "]))
    w.add(rng.choice(["this is ", "my name is ", "it's ", "im ", "I am ", "i'm ", "I'm ", "i am ",
                      "name's ", "me: "]))
    person(w, v, register)
    if rng.random() < 0.3:
        w.add(rng.choice([" and i have a question about my order", " and my card was charged twice",
                          " and i cant log in", ", i ordered last week", " here"]))
        w.add(rng.choice([". ", "! ", ", "]))
        w.add(rng.choice(["also ", "btw ", "oh and ", ""]))
        w.add(rng.choice(["i moved to ", "my address changed to ", "new address: "]))
    else:
        w.add(rng.choice([
            " and i moved to ", ", my new address is ", " - can you send it to ", ". I now live at ",
        ]))
    if rng.random() < 0.4:
        street(w, v, register)
    else:
        address(w, v, register=register)
    w.add(rng.choice([" thanks", "! thx", ".", " pls", ", cheers"]))
    if rng.random() < 0.5:
        w.add(rng.choice([" my friend ", " also ", " and "]))
        person(w, v, register)
        w.add(rng.choice([" says hi", " will pick it up", " needs one too", " is at "]))
        if rng.random() < 0.3:
            pattern_value(w, v.phone())


def sentence(w: Writer, v: Values) -> None:
    """Self-disclosure and third-party mentions in plain prose."""
    rng = v.rng
    kind = rng.random()
    if kind < 0.3:
        w.add(rng.choice(["I was born in ", "My family comes from ", "She grew up in "]))
        w.add(v.city(), "GPE")
        w.add(rng.choice([" and now I live at ", "; today the address is ", ", but her flat is at "]))
        street(w, v)
        w.add(".")
    elif kind < 0.6:
        person(w, v)
        w.add(rng.choice([
            " signed the lease for ", " has lived at ", " bought the house at ", " rents a room at ",
        ]))
        street(w, v)
        w.add(rng.choice([" since ", " in ", " last "]))
        w.add(rng.choice([str(rng.randint(1990, 2025)), "March", "spring", "year"]))
        w.add(".")
    else:
        w.add(rng.choice(["Please forward my mail to ", "Send the invoice to ", "Our new office: "]))
        person(w, v)
        w.add(rng.choice([", ", " at ", ", c/o "]))
        address(w, v)
        w.add(".")


RELATIONS = [
    "sister", "brother", "mum", "dad", "wife", "husband", "partner", "son", "daughter", "friend",
    "colleague", "manager", "boss", "neighbour", "neighbor", "landlord", "cousin", "aunt", "uncle",
    "flatmate", "doctor", "lawyer", "teacher",
]


def mention(w: Writer, v: Values) -> None:
    """Names where messages put them: after a preposition or a verb, after a
    relation word, possessive, in a greeting or a sign-off; often lowercase.
    The possessive 's stays outside the span (OntoNotes convention)."""
    rng = v.rng
    register = rng.choices(["lower", "normal", "upper"], weights=[5, 6, 1])[0]

    def name() -> None:
        person(w, v, register)

    for index in range(rng.randint(1, 3)):
        if index:
            w.add(rng.choice([" ", ". ", "\n", " btw "]))
        kind = rng.randrange(9)
        if kind == 0:
            w.add(rng.choice(["can you forward this to ", "please send it to ", "give it to ",
                              "i gave the keys to ", "talk to ", "reply to "]))
            name()
            w.add(rng.choice(["?", ".", "", " asap", " tomorrow"]))
        elif kind == 1:
            w.add(rng.choice(["my ", "our ", "your ", "his ", "her "]) + rng.choice(RELATIONS) + " ")
            name()
            w.add(rng.choice([" lives at ", " moved to ", " is staying at ", " works near "]))
            if rng.random() < 0.5:
                street(w, v, register)
            else:
                address(w, v, register=register)
        elif kind == 2:
            name()
            w.add("'s " + rng.choice(["number is ", "phone: ", "new mobile is ", "cell is "]))
            pattern_value(w, v.phone())
        elif kind == 3:
            name()
            w.add(rng.choice([" and ", " & ", ", "]))
            name()
            w.add(rng.choice([" will join the call", " are coming on friday", " signed the form",
                              " were there too"]))
        elif kind == 4:
            w.add(rng.choice(["thanks ", "thank you ", "cheers ", "ok ", "sorry "]))
            name()
            w.add(rng.choice(["!", ".", " :)", ",", ""]))
        elif kind == 5:
            w.add(rng.choice(["cc ", "cc: ", "attn: ", "ask ", "tell ", "call "]))
            name()
            w.add(rng.choice(["", ".", " about it", " when you can"]))
        elif kind == 6:
            w.add(rng.choice(["i spoke with ", "met ", "had lunch with ", "just saw ", "i was with "]))
            name()
            w.add(rng.choice([" yesterday", " this morning", " at the office", "", " last week"]))
        elif kind == 7:
            w.add(rng.choice(["- ", "-- ", "regards,\n", "best,\n", "xx "]))
            name()
        else:
            w.add(rng.choice(["is ", "was ", "has "]))
            name()
            w.add(rng.choice([" still at ", " moving out of ", " back at "]))
            street(w, v, register)
            w.add(rng.choice(["?", ""]))


GENRES = [(letter, 2), (form, 3), (ticket, 2), (chat, 3), (sentence, 3), (mention, 3)]


def document(rng: random.Random, seed: int) -> tuple[str, list[list]]:
    v = Values(rng, seed)
    w = Writer()
    genre = rng.choices([g for g, _ in GENRES], weights=[n for _, n in GENRES])[0]
    genre(w, v)
    return w.text(), [g for g in w.gold if g[0] < g[1]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    for index in range(args.documents):
        text, gold = document(rng, args.seed * 1_000_003 + index)
        print(json.dumps({"text": text, "gold": [[s, e, label, text[s:e]] for s, e, label in gold]},
                         ensure_ascii=False))


if __name__ == "__main__":
    main()
