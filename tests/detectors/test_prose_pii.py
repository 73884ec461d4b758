"""Names, dates and addresses in running text: the general behaviour behind SINGLE_NAME, NAME, DATE /
DATE_TIME, STREET_ADDRESS and CORNER_ADDRESS (rule samples cover single strings; these check contexts)."""
from __future__ import annotations

import pytest

from detectors import get_engine, load_pack
from detectors.candidates import CANDIDATES

KEY = b"k"


@pytest.fixture(scope="module")
def engine():
    return get_engine(load_pack(selector="ALL"), KEY)


def _found(engine, text: str) -> set[tuple[str, str]]:
    return {(d.type, text[d.start:d.end]) for d in engine.detect(text)}


def _values(engine, text: str, *types: str) -> list[str]:
    return sorted(text[d.start:d.end] for d in engine.detect(text) if d.type in types)


def _lone(text: str) -> list[str]:
    return [text[s:e] for s, e in CANDIDATES["lone_name"].spans(text, text.encode("ascii", "replace"))]


def test_lone_names_need_a_name_like_context():
    assert _lone("Why is Katrine so impulsive?") == ["Katrine"]
    assert _lone("I'm so jealous! said Gladys to Logan") == ["Gladys", "Logan"]
    # part of a longer capitalised sequence, a street or a place: not a lone name
    assert _lone("The Victoria Street office") == []
    assert _lone("He lives at 6076 Piroska u. 97.") == []
    assert _lone("Dusino San Michele, AT 31295") == []
    assert _lone("Mora de Rubielos, Spain") == []
    # alone on the line after a street or unit line: the city of an address block
    assert _lone("224 Bond Street\n Suite 413\n Warwick\n United States") == []
    # words inside other tokens
    assert _lone("see catherine.example.org and Catherine_x and x-Catherine") == []


def test_lists_of_names_lend_each_other_context():
    text = "The idea is the brainchild of our 3 founders: Kónya, Becker and Vasquez."
    assert _lone(text) == ["Kónya", "Becker", "Vasquez"]
    # a list followed by a firm's word is the name of a firm
    assert _lone("The Davis, Reynolds and Williamson Orchestra was founded in 1977.") == []
    # a capitalised word before a name: only a greeting or a sentence-opening word lets it through
    assert _lone("Hi Freddy, I'm contacting you") == ["Freddy"]
    assert _lone("which later became Credit Karma in 1980") == []
    # one known name is not enough to make a list of English words names
    assert _lone("We sell Apples, Oranges and Catherine wheels") == ["Catherine"]
    # but it vouches for an unknown word of 4+ letters beside it that no dictionary holds
    assert _lone("Is there a better song? Lamovec and Morales were precision engineers.") == ["Lamovec", "Morales"]
    assert _lone("Is there a better song? Lam and Morales were precision engineers.") == ["Morales"]
    # or, in a pair, for a known surname of 4+ letters that is also a word
    assert _lone("Is there a better song? Dale and White were precision engineers.") == ["Dale", "White"]
    # two names found vouch for known names that are also words or places
    assert "Sherry" in _lone("They had 6: Hleb, Sheila, Donna, Sherry, Donald and Shane.")
    # but not for place words, though some are names too
    assert _lone("Our 3 founders: Rudi, Jackson and Campos.") == ["Rudi", "Campos"]
    assert _lone("We shipped to Rudi, Campos, Paris and Rome.") == ["Rudi", "Campos"]
    # a name and a street line: a street corner (Please return to Leon and Eyrarodda 66)
    assert _lone("Please return to Leon and Eyrarodda 66 in case of an issue.") == []
    assert _lone("How do I change my address to Katrina and Rúa do Paseo 46?") == []
    assert _lone("Send Maria and Lucas 10 dollars") == ["Maria", "Lucas"]  # Lucas is a known name


def test_the_one_addressed_in_a_text_with_names():
    assert _lone("Emma just has to get laid. Don't go to town, Mark!") == ["Emma", "Mark"]
    assert _lone("Ella: What a wife.\nDestiny: Remember me, Maria?") == ["Ella", "Destiny", "Maria"]
    assert _lone("Don't go to town, Mark!") == []  # no other name in the text
    assert _lone("Emma said so. Thanks, Will!") == ["Emma"]  # a stop word
    assert _lone("Emma said so. Is it far, Paris?") == ["Emma"]  # a place word
    assert _lone("Emma said so. Go to town Mark!") == ["Emma"]  # no comma: no address


def test_speakers_of_a_transcript():
    # one speaker is a known name: the others are names when no dictionary holds them
    assert _lone("Ubul: What a wife.\nNicole: Remember me, Mary?") == ["Ubul", "Nicole", "Mary"]
    assert _lone('mika: "who are you?"\ntracy:"i am her daughter".') == ["mika", "tracy"]
    # log or header labels stay out: English words, and one label alone is no transcript
    assert _lone("ERROR: disk full\nNicole: hi\nWarning: x") == ["Nicole"]
    assert _lone("Ubul: What a wife.") == []
    # no speaker found yet: all labels name words, one a known given name and another in no dictionary
    text = 'Vsevolod: "Who are you?"\nHeather:"I\'m Daniel\'s daughter".'
    assert _lone(text) == ["Vsevolod", "Heather", "Daniel"]
    assert _lone("Daniel wrote:\nMark: 5\nGrade: A") == ["Daniel"]  # Grade is a word: no transcript
    assert _lone("Daniel wrote:\nRedis: cache\nKafka: queue") == ["Daniel"]  # no given name among them


def test_names_cued_by_verbs_greetings_and_roles(engine):
    assert _values(engine, "Järvilehto began writing as a teenager", "SINGLE_NAME_CUED") == ["Järvilehto"]
    assert _values(engine, "Tomomi Nishiyama lives at 3 Rua do Arenque", "SINGLE_NAME_CUED") == ["Tomomi Nishiyama"]
    assert _values(engine, "Hi Manlio, I'm contacting you", "SINGLE_NAME_CUED") == ["Manlio"]
    # the cue vouches for a known given name that is also a word; not for other words
    assert _values(engine, "Hi Victor, I'm contacting you", "SINGLE_NAME_CUED") == ["Victor"]
    assert _values(engine, "Hi Team, I'm contacting you", "SINGLE_NAME_CUED") == []
    assert _values(engine, "Producer Liviana Palerma explained", "SINGLE_NAME_CUED") == ["Liviana Palerma"]
    # the cue must stand right there: not in the middle of a sentence, not an English word
    assert _values(engine, "then Järvilehto began writing", "SINGLE_NAME_CUED") == []
    assert _values(engine, "Construction began in 1977. Hello World!", "SINGLE_NAME_CUED") == []
    # a lower-case subject only in a lower-case line
    assert _values(engine, "cormac had given cormac his address", "SINGLE_NAME_CUED") == ["cormac", "cormac"]
    # one given something of their own
    assert _values(engine, "David had given Angel his address", "SINGLE_NAME_CUED", "SINGLE_NAME") == ["Angel", "David"]
    # a double name after an attribution
    assert _values(engine, 'moving in that direction," says Hauta-aho.', "SINGLE_NAME_CUED") == ["Hauta-aho"]
    assert _values(engine, "nginx began Serving requests", "SINGLE_NAME_CUED") == []


def test_a_full_name_lends_its_words_to_later_mentions():
    text = "the verses from Ayna Khadzhiyev's Cautionary Tales. Is there anything like early Khadzhiyev?"
    assert _lone(text) == ["Khadzhiyev"]  # the later mention only: the full name is the NAME rule's
    assert _lone("the verses from Cautionary Tales. Is there anything like early Khadzhiyev?") == []


def test_surname_endings_in_a_text_with_names():
    assert "Dratchev" in _lone("Unlike the Dratchev novel, it is not about Katrine.")
    assert _lone("Unlike the Dratchev novel, it is not about that.") == []  # no name in the text at all


def test_names_of_streets_and_places_are_not_people(engine):
    found = _found(engine, "He lives on the north side of Joaquin Suarez 2906.")
    assert not any(t in ("NAME", "SINGLE_NAME") for t, _ in found)
    assert ("NAME", "Isaac Lodge") not in _found(engine, "these early shows on Isaac Lodge Street were important")
    assert ("NAME", "Bonifacy Kaczmarek") in _found(engine, "arranged and sung by Bonifacy Kaczmarek in 1977")
    assert ("NAME", "Hannah McConnan") in _found(engine, 'says Hannah McConnan in a song')


def test_lower_case_names(engine):
    assert ("PERSON_NAME", "lena andersson") in _found(engine, "my name is lena andersson.")
    assert _values(engine, "my name is not important", "PERSON_NAME") == []
    # without a cue only in a text with no capital at all (a lower-cased export), and only known names
    assert _values(engine, "Follow up with lena andersson", "PERSON_NAME", "NAME", "SINGLE_NAME") == []
    assert _values(engine, "follow up with lena andersson", "SINGLE_NAME") == ["lena andersson"]
    assert _values(engine, "follow up with rose garden and mark twain", "SINGLE_NAME") == []
    # possessive 's
    assert _values(engine, "olga krylova's killers were sentenced", "SINGLE_NAME") == ["olga krylova"]
    # a lower-case list of three or more words, at least two and half of them known given names (no English
    # word): its unknown items that are no English word are names too
    text = "they had 6: leonti, terrence, pamela, donna, andrea and brian."
    assert _values(engine, text, "SINGLE_NAME") == sorted(["leonti", "terrence", "pamela", "donna", "andrea", "brian"])
    assert _values(engine, "we need eggs, milk, pamela and bread", "SINGLE_NAME") == []  # one name in four words
    assert _values(engine, "we bought apples, pears, donna and andrea", "SINGLE_NAME") == ["andrea", "donna"]
    # a known given name that is also a word, in such a list (not a place: chad)
    text = "they had 6: hleb, sheila, donna, sherry, chad and shane."
    assert _values(engine, text, "SINGLE_NAME") == ["donna", "hleb", "shane", "sheila", "sherry"]
    # cues: a title, "named him"
    assert _values(engine, "mr. elliott flew to oslo on friday", "PERSON_NAME") == ["elliott"]
    assert _values(engine, "see dr. strange tonight", "PERSON_NAME") == []
    assert _values(engine, "She named him Frank", "PERSON_NAME") == ["Frank"]


def test_names_next_to_kinship_words(engine):
    assert _values(engine, "between him and Asya's kid", "KIN_NAME") == ["Asya"]
    assert _values(engine, "the Company's sister firm and the node's children", "KIN_NAME") == []
    # lower-case: in a lower-case line, and only a known name
    assert _values(engine, 'tracy:"i\'m roberto\'s daughter".', "KIN_NAME") == ["roberto"]
    assert _values(engine, "it is docker's son", "KIN_NAME") == []
    assert _values(engine, "but roberto's daughter met Anna", "KIN_NAME") == []
    assert _values(engine, "my grandmother was called Brosca Erdôs", "KIN_NAME") == ["Brosca Erdôs"]
    assert _values(engine, "the function was called Main", "KIN_NAME") == []


def test_names_with_particles_and_names_heading_a_contact_block(engine):
    assert _values(engine, "Willemine ten Pas will be talking", "NAME") == ["Willemine ten Pas"]
    assert _values(engine, "Take ten Steps to the left", "NAME") == []
    card = ">Gyala Antall\n>Google Public Data Explorer\n>Gyala Antall\n>3369 24 Clarke Avenue\n>Apt. 805"
    assert _values(engine, card, "CONTACT_NAME") == ["Gyala Antall", "Gyala Antall"]
    assert _values(engine, "Quarterly Results\n2024 Revenue grew 12 percent", "CONTACT_NAME") == []
    cv = "Einojuhani Pyysalo\n\nLocal transit bus driver\n\nE-mail:\nEinojuhaniPyysalo@gustr.com"
    assert _values(engine, cv, "CONTACT_NAME") == ["Einojuhani Pyysalo"]
    assert _values(engine, cv.replace("EinojuhaniPyysalo@", "jobs@"), "CONTACT_NAME") == []


@pytest.mark.parametrize("text, value", [
    ("She was born on 2/8/1935. Her maiden name is Clark", "2/8/1935"),
    ("The orchestra was founded in 1977. Since then it has grown", "1977"),
    ("Zoolander is a 2017 Polish action-comedy film", "2017"),
    ("When: 2000-04-16 11:34:35\nWhere: Oslo", "2000-04-16 11:34:35"),
    ("on the 3rd of March 2001 we left", "3rd of March 2001"),
    ("Invoice dated 14 Nov. 2001", "14 Nov. 2001"),
])
def test_dates_in_prose(engine, text, value):
    assert value in _values(engine, text, "DATE", "DATE_TIME", "DATE_OF_BIRTH")


@pytest.mark.parametrize("text", [
    "2024-01-15T10:00:00Z INFO request served in 12 ms",
    "2024-01-15 10:00:00,123 INFO worker started",
    "Mar 10 12:00:01 host sshd[42]: session opened",
    '127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326',
    "processed in 2048 bytes, page 3 of 2016",
    "https://example.com/2019/05/post",
])
def test_no_dates_in_log_time_stamps_and_quantities(engine, text):
    assert _values(engine, text, "DATE", "DATE_TIME") == []


def test_street_lines_after_an_address_cue(engine):
    t = "Kevin had given Alma his address: 5049 Harjukuja 54, SEINÄJOKI"
    assert "450 Præstevænget 15" in _values(engine, "his address: 450 Præstevænget 15, København V", "STREET_ADDRESS")
    assert any("Harjukuja 54" in v for v in _values(engine, t, "STREET_ADDRESS", "ADDRESS"))
    # the same shape without a cue is no address; nor is a version number after a cue
    assert _values(engine, "Kevin counted 5049 Holmatun 54 times", "STREET_ADDRESS", "ADDRESS") == []
    assert _values(engine, "the IP address 10.0.0.12 is blocked", "STREET_ADDRESS") == []


def test_address_blocks_with_a_region_line(engine):
    text = "Selina Eldarkhanov\nSmith Ltd.\n30102 Kaevu 94\nNicosia\n, NI\n 61089\n28-64-66-98 office"
    assert _values(engine, text, "POSTAL_ADDRESS_BLOCK") == ["30102 Kaevu 94\nNicosia\n, NI\n 61089"]
    text = "located at 389 167 king alexander\nlady frere\n, ec\n 76634. it serves great food"
    assert _values(engine, text, "POSTAL_ADDRESS_BLOCK") == ["389 167 king alexander\nlady frere\n, ec\n 76634"]
    # no postal code after the region line, or no number in the street line: no block
    assert _values(engine, "30102 Kaevu 94\nNicosia\n, NI\n tomorrow", "POSTAL_ADDRESS_BLOCK") == []
    assert _values(engine, "Kaevu road\nNicosia\n, NI\n 61089", "POSTAL_ADDRESS_BLOCK") == []


def test_street_corners(engine):
    t = "What is your address? it is the corner of Dalbraut 99 and Frederikke Coves"
    assert _values(engine, t, "CORNER_ADDRESS") == ["the corner of Dalbraut 99 and Frederikke Coves"]
    assert _values(engine, "the corner of the room and the window", "CORNER_ADDRESS") == []


def test_street_address_patterns(engine):
    for text, value in [
        ("It is at 846 31 Rue Al Imam Al Bakri, Cite Merzgui", "846 31 Rue Al Imam Al Bakri"),
        ("send it to 05405 Wesselényi u. 94.", "05405 Wesselényi u. 94."),
        ("4923 Parmova 109\n??? Suite 380\n??? Maribor", "4923 Parmova 109\n??? Suite 380"),
        ("Our offices are located at USNS Møller\nFPO AA 85844", "USNS Møller\nFPO AA 85844"),
        ("The title refers to Rua João Pessoa 1636 street in Recife.", "Rua João Pessoa 1636"),
    ]:
        assert value in _values(engine, text, "ADDRESS", "STREET_ADDRESS"), text
