"""Table-driven tests for detectors.validators: valid and invalid vectors per validator.

Valid vectors are published specimen algorithms' outputs or values generated with the algorithm
(all fake). Invalid vectors cover failed check digits, structure errors and suppressed samples.
"""
from __future__ import annotations

import random

import pytest

from detectors.validators import VALIDATORS, _luhn_ok, _luhn_reference, shannon_entropy

CASES: dict[str, tuple[list[str], list[str]]] = {
    "luhn": (["4012 8888 8888 1881", "4539-5787-6362-1486", "371449635398431"],
             ["4012 8888 8888 1882", "1234 5678 9012 3456", "0000 0000 0000 0000", "12345", "4012a888888881881"]),
    "card_number": (["3589834788783848", "5126 5020 1462 0168", "4539-5787-6362-1486", "180016070420458",
                     "3714 398259 79199", "3056-074833-7885", "6250 7623 2860 1290 404", "4539 4796 6697 9",
                     "6759 6091 3902"],
                    ["404 232405 1349", "45391043 3218 1967", "4539 104332 181967", "4539 1043 32181967",
                     "4111 1111 1111 1111", "4012888888881881", "5555555555554444", "378282246310005",
                     "9539578763621486", "4539578763621487", "4000000000000002"]),
    # True = not a GS1 EAN-13 (4006381333931 and 5901234123457 are GS1's published example codes)
    "not_gtin13": (["4589062762230", "4539-5787-6362-1486", "4007789136019", "12345"],
                   ["4007789136018", "4006381333931", "5901234123457", "400 638 133 393 1"]),
    "card_expiration": (["02/26", "12/2029", "Feb 2026", "2027-03", "exp 11-28"],
                        ["13/26", "00/25", "02/1850", "1234", "hello"]),
    "card_security_code": (["123", "4321"], ["000", "12", "12345"]),
    "magnetic_stripe": (["%B5126502014620168^DOE/JANE^2812101000000000000?",
                         ";5126502014620168=28121010000000000000?"],
                        ["%B4111111111111111^DOE/JANE^2812101?", ";5126502014620169=2812101?",
                         ";5126502014620168=2813101?"]),
    "ssn": (["526-01-8159", "083 01 6613", "526018159"],
            ["000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000", "078-05-1120",
             "219-09-9999", "123-45-6789", "526-01 8159", "526.01-8159", "111-11-1111"]),
    "itin": (["918-60-9139", "909-96-0308"], ["918-93-9139", "812-70-1234", "918-60-0000", "918-60 9139"]),
    "aws_secret_key": (["Zx8kP2mQ7vR4nT9wL3cY6hJ1bF5gD0sA2eK8uI7o", "k3J9+Q2mWz7/pLr5Xv1NcYt8HbGe4UaDf6Ks0oTi"],
                       ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "Zx8kP2mQ7vR4nT9wL3cY6hJ1bF5gD0sA2eK8uI7",
                        "abcdefabcdefabcdefabcdefabcdefabcdefabcd"]),
    "aws_access_key_id": (["AKIAZ7Q3XK5M2P4W6R7T", "ASIAQ2W3E4R5T6Y7U2I3"],
                          ["AKIAIOSFODNN7EXAMPLE", "AKIA1234567890123456", "AKIAAAAAAAAAAAAAAAAA"]),
    "high_entropy": (["h7Gk2pQ9zL4xV8mN3bR6", "4f9a7c2e1b8d3f6a0c5e9b7d2a4f8c1e"],
                     ["changeme-changeme-changeme", "aaaaaaaaaaaaaaaaaaaa", "short", "your_api_key_here_123",
                      "requests_kerberos.HTTPKerberosAuth", "self._get_signature",
                      "${SECRET_FROM_ENV_VAR}"]),
    "email": (["jane.doe@acme-corp.io", "j+tag@mail.co.uk"],
              ["jane@example.com", "foo@bar", "icon@2x.png", "a@b@c.com", "user@test"]),
    "iban": (["GB26NWBK93818919323439", "GB26 NWBK 9381 8919 3234 39", "FR1484798487492689922712026",
              "BR7804746289277471859735141C1", "MU53BOMM5562606066317836867MUR", "DE44500105175407324931",
              "IBAN GB29NWBK60161331926819"],
             ["GB27NWBK93818919323439", "GB26NWBK9381891932343", "XX26NWBK93818919323439",
              "DE89370400440532013000", "GB82WEST12345698765432", "GB2612349381891932343A",
              "NL91ABNA0417164300"]),
    "bban_fr": (["30006000012243547009322", "30006 00001 22435470093 22"],
                ["30006000012243547009323", "3000600001224354700932"]),
    "bban_de": (["370400440532013000", "3704 0044 0532 0130 00"], ["070400440532013000", "370400440000000000"]),
    "bban_it": (["L0306909606642207448230", "X0542811101000000123456"],
                ["A0306909606642207448230", "L030690960664220744823"]),
    "bban_es": (["21000418408875383151", "2100-0418-45-0200051332"],
                ["21000418418875383151", "21000418400000000000"]),
    "bban_uk": (["NWBK60161331926819", "60-16-13 31926819"], ["60-16-13 00000000", "00000031926819", "601613319268"]),
    "bank_account_us": (["123456780123", "00457800312"], ["111111111111", "123456789", "12345678"]),
    "aba_routing": (["011000015", "021000021", "010735873"], ["011000016", "991000015", "123456780", "01100001"]),
    "sin_ca": (["691 564 041", "347-861-221"], ["046 454 286", "691 564 042", "891564041", "000000000"]),
    "npi": (["1800239042", "1064003761"], ["1234567893", "1800239043", "3800239042"]),
    "dea": (["BC3734337", "BG0926002"], ["BC3734338", "AB1234563", "B13734337", "IC3734337"]),
    "mbi": (["1EG4TE5MK74", "1EG4-TE5-MK74"], ["1EG4TE5MK73", "0EG4TE5MK74", "1SG4TE5MK74", "1EG4TE5MK7"]),
    "hicn": (["123456789A", "526018159B1"], ["000456789A", "123456789", "12345678AA"]),
    "ndc": (["0777-3105-02", "50580-506-01", "00777310502"], ["0777-31-05", "0000-0000-00", "123456789"]),
    "hcpcs": (["J3490", "G0008", "99213", "0001F"], ["I1234", "00000", "A12345", "12"]),
    "udi": (["(01)01335906664995", "(01)03724728124363(17)251231"], ["(01)01335906664996", "(01)00000000000000"]),
    "canada_health": (["4943250649AB", "9713507128", "DOEJ85121512"],
                      ["4943250648AB", "1111111111", "DOEJ85131512"]),
    "vin": (["1HGCM8265AA092544", "1M8GDM9AXKP042788", "WVWZZZ1JZXW000001"],
            ["1HGCM8266AA092544", "1HGCM8265AI092544", "11111111111111111", "1HGCM8265A092544"]),
    "spain_dni": (["64502415L", "81505865-Y"], ["64502415M", "12345678Z", "00000000T", "6450241L"]),
    "spain_nie": (["Z3133179D", "Z-4870455-A"], ["Z3133179E", "X1234567L", "W3133179D"]),
    "spain_cif": (["A70435268", "B01643899"], ["A70435269", "I70435268"]),
    "spain_nif": (["64502415L", "Z3133179D", "A70435268"], ["64502415M", "A70435269"]),
    "spain_ssn": (["289711162313", "28/97111623/13"], ["289711162314", "999711162313", "280000000000"]),
    "codice_fiscale": (["BNCGNN45A01F205R", "BNCGNN27A01F205P"],
                       ["BNCGNN45A01F205S", "RSSMRA85T10A562S", "BNCGNN45Z01F205R", "BNCGNN45A01F205"]),
    "italy_vat": (["00743110157"], ["00743110158", "00000000000"]),
    "insee": (["122052A90841805", "2 71 11 75 488 052 56", "271117548805256"],
              ["122052A90841806", "271117548805257", "571117548805256", "271137548805256"]),
    "france_tin": (["1779072332282", "1 77 90 723 322 82"], ["1779072332283", "4779072332282", "0000000000000"]),
    "steuer_id": (["82531604910", "50 240 906 830", "65929970489"],
                  ["82531604911", "86095742719", "01234567896", "11134567895", "12345678903"]),
    "germany_id_card": (["LC73957437", "L3M2943945", "T22000129"], ["LC73957438", "AB1234567", "LLLLLLLLL"]),
    "uk_nino": (["AB123654C", "JG 10 37 82 A", "CE281093"], ["QQ123456C", "GB123654C", "AB123654E", "DA123654A"]),
    "nhs": (["2651233080", "220 327 1124"], ["9434765919", "2651233081", "1111111111"]),
    "uk_utr": (["1955839661", "19558 39661K"], ["1111111111", "195583966"]),
    "uk_driving_licence": (["MORGA753116SM9IJ", "SMITH861224J99AB"], ["MORGA713116SM9IJ", "MORGA753416SM9IJ"]),
    "uk_electoral_roll": (["AB123", "KZC7791"], ["A123", "ABCD1234"]),
    "uk_passport": (["541726309", "AB7412536"], ["123456789", "111111111", "A12345"]),
    "icao_passport": (["C01X00T47", "L8988901C"], ["123456789", "AAAAAAAA", "A1"]),
    "cpf": (["100.085.771-96", "87730335611", "529.982.247-25"],
            ["111.444.777-35", "100.085.771-97", "111.111.111-11", "1000857719"]),
    "cnpj": (["29.552.536/0001-00", "18426779000177", "NI.828.014/0001-25"],
             ["11.222.333/0001-81", "29.552.536/0001-01", "00000000000000"]),
    "brazil_rg": (["24.678.131-9", "1234567"], ["24.678.131-4", "11111111"]),
    "brazil_cep": (["01310-100", "20040020"], ["00000-000", "11111-111", "0131-100"]),
    "chile_rut": (["22.549.939-K", "10586124-9"], ["22.549.939-1", "11.111.111-1", "1234"]),
    "cuit": (["20-52016851-7", "30703885272"], ["20-52016851-8", "40703885272", "20-00000000-1"]),
    "cuit_individual": (["20-52016851-7"], ["30703885272"]),
    "cuit_organization": (["30703885272"], ["20-52016851-7"]),
    "argentina_dni": (["25.678.432", "7654321"], ["99.999.999", "00.000.000", "12345678", "123456"]),
    "sube": (["6061938387641495", "6061 4907 8995 8747"], ["6061938387641496", "6062938387641495"]),
    "colombia_nit": (["9912349147", "800.197.268-4"], ["9912349148", "1111111111"]),
    "colombia_cc": (["1032456789", "79.456.123"], ["11111111", "12345"]),
    "curp": (["GOMC800101HDFRRR00", "PEGJ920315MJCRRN01"],
             ["GOMC800101HDFRRR01", "GOMC801301HDFRRR00", "GOMC800101HXXRRR00"]),
    "rfc": (["GOMC8001019V2", "ABC850101DC7"], ["GOMC8001019V3", "XAXX010101000", "GOMC8013019V2"]),
    "rfc_individual": (["GOMC8001019V2"], ["ABC850101DC7"]),
    "rfc_organization": (["ABC850101DC7"], ["GOMC8001019V2"]),
    "aadhaar": (["9800 6394 3699", "881570893194"], ["9800 6394 3698", "234123412346", "180063943699"]),
    "india_pan": (["AFZPK7190K"], ["AFZXK7190K", "AFZPK0000K", "AFZPK7190"]),
    "tfn": (["500 044 621", "401525327"], ["123 456 782", "500 044 622", "5000446"]),
    "abn": (["51 824 753 556", "51442655037"], ["51824753557", "01824753556"]),
    "medicare_au": (["2006377819", "2670 95146 9"], ["2006377829", "7006377819"]),
    "ehic": (["80276628848385769354"], ["80276628848385769355", "70276628848385769354"]),
    "finland_ehic": (["80246370907704857879"], ["80276628848385769354", "80246370907704857870"]),
    "france_ehic": (["271117548805256", "80250000000000000012"], ["271117548805257"]),
    "nanp_phone": (["(415) 867-2309", "+1 212-639-1234", "800-742-4519"],
                   ["(415) 555-0123", "(015) 867-2309", "(415) 167-2309", "123-456-7890", "911-234-5678"]),
    "e164_phone": (["+44 20 7946 0321", "+49 30 9018 2244"], ["+1 11", "+33 1234567890", "+44 0000 000000"]),
    "latitude_longitude": (["41.948614,-87.655311", "(-33.8688, 151.2093)"],
                           ["91.000,10.000", "41.9,-87.6", "0.000,0.000", "41.948614,-187.655311"]),
    "ipv4": (["203.0.113.45", "10.1.2.3"], ["256.1.1.1", "1.2.3", "01.2.3.4", "0.0.0.0", "1.2.3.4"]),
    "ipv6": (["2001:db8:85a3::8a2e:370:7334", "fe80::1ff:fe23:4567:890a"],
             ["::1", "::", "12:34", "2001:db8::zz", "be::", "2::3"]),
    "ip_address": (["203.0.113.45", "2001:db8::8a2e:370:7334"], ["999.1.1.1", "::1"]),
    "jwt": (["eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlc2lnbmF0dXJl"],
            ["eyJub3RqdXN0Ijp0cnVlfQ.eyJzdWIiOiI0MiJ9.c2ln", "abc.def.ghi", "eyJhbGciOiJIUzI1NiJ9"]),
    "basic_auth": (["Authorization: Basic ZGJhZG1pbjpTM2NyM3QhcGFzcw==", "Basic ZGVwbG95OmhuN3BRMnZM"],
                   ["Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Basic bm9jb2xvbg==", "Basic ????"]),
    "password_value": (["'Tr0ub4dor&3x'", "hunter2-Prod!", "s3cr3tP@ss"],
                       ["'changeme'", "${DB_PASSWORD}", "os.environ['PW']", "'password'", "'<your-password>'",
                        "columns", "abc"]),
    "url_credentials": (["postgres://app:Sup3rS3cret@db.internal:5432/app", "https://bob:hn7pQ2vL@git.acme.io/x"],
                        ["postgres://app:password@db/app", "https://user:${PASS}@host/", "https://host/path"]),
    "http_cookie": (["Cookie: session=9f8e7d6c5b4a; theme=dark", "Set-Cookie: sid=31d4d96e407aad42; Path=/"],
                    ["Cookie: ", "cookie monster"]),
    "private_key_block": ([("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi8Z3b7"
                            "aK9Jm0q8Lr2XcVbNnQw\n-----END RSA PRIVATE KEY-----")],
                          ["-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----"]),
    "not_placeholder": (["ghp_4bD9xK2mQ7vR1nT8wL3cY6hJ0fG5sA9eK2uI"],
                        ["ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "sk_live_EXAMPLEEXAMPLE"]),
    "stripe_live": (["sk_live_51HqLyjWDarjtT1zdp7dcQ2mW9"], ["sk_test_4eC39HqLyjWDarjtT1zdp7dc"]),
    "token_sanity": (["ghp_00000000000000000000000000000004WZ4EQ", "glpat-h7Gk2pQ9zL4xV8mN3bR6"],
                     ["ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "glpat-<your-token>", "ghp_aaaa"]),
    "private_key_any": (["LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NBUUVBM1R6Mm1yN1NaaUFNZlF5dXZCak05",
                         '"kty": "EC", "crv": "P-256", "d": "slaQqyHQPudOpq2mbDskum8rOu9IMkLGjINAFWwfqr"'],
                        ["LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUZhekNDQTFPZ0F3SUJBZ0lVSjJ0",
                         '"kty": "EC", "d": "aaaaaaaaaaaaaaaaaaaaaa"']),
    "url_password": (["Vq7#kL2pZ9", "p4Dsr8b"],
                     ["password", "${DB_PASS}", "%(pw)s", "<password>", "example123", "bar"]),
    "btc_address": (["1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"],
                    ["1BoatSLRHtKNngkdXEeobR76b53LETtpyU", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdz", "0BoatSLRH"]),
    "eth_address": (["0x52908400098527886E0F7030069857D2E4169EE7"],
                    ["0x0000000000000000000000000000000000000000", "0x5290840009852788", "52908400098527886E0F70"]),
    "bank_fr": (["FR1484798487492689922712026", "30006000012243547009322"], ["FR1584798487492689922712026"]),
    "bank_de": (["DE44500105175407324931", "370400440532013000"], ["DE45500105175407324931", "070400440532013000"]),
    "bank_it": (["X0542811101000000123456"], ["A0542811101000000123456"]),
    "bank_es": (["2100-0418-45-0200051332"], ["21000418418875383151"]),
    "bank_uk": (["GB26NWBK93818919323439", "60-16-13 31926819"], ["GB27NWBK93818919323439", "60-16-13 00000000"]),
    "phone_uk": (["+44 20 7123 4567", "07911 123456", "+44 (0)161 496 1234"],
                 ["+44 7700 900123", "020 7946 0321", "7911 123456", "+33 1 42 68 53 00"]),
    "phone_fr": (["+33 1 42 68 53 00", "06 12 34 56 78", "0033 6 12 34 56 78"], ["06 12 34 56", "+44 20 7123 4567"]),
    "phone_de": (["+49 30 901820", "030 90182077"], ["30 90182077", "+49 0"]),
    "phone_it": (["+39 06 6988 4857", "347 812 3456"], ["547 812 3456", "+39 12"]),
    "phone_es": (["+34 912 34 56 78", "612 345 678"], ["512 345 678", "+34 12 345 678"]),
    "phone_br": (["+55 11 98765-4321", "(21) 3456-7890"], ["(01) 98765-4321", "(11) 88765-4321"]),
    "id_sanity": (["GA302922", "F162823540116"], ["AAAAAAAA", "12345678", "A1"]),
    "colombia_nit_individual": (["1032456789-7"], ["800.197.268-4", "1032456789-3"]),
    "colombia_nit_organization": (["800.197.268-4"], ["800.197.268-5", "1032456789-7"]),
    "person_name": (["Laura Carvalho", "Krisztián Szöllösy", "Mary Ann Smith", "Ludwig van Beethoven",
                     "Maika van de Noort", "Vojtěška K Zdráhalová", "Brannoc T. Quillfeather"],
                    ["Thank You", "New York", "Main Street", "Dear John", "Entertainment Weekly", "Laura",
                     "Costa del Sol", "Mora de Rubielos", "Laura van", "Laura de van Smith", "Appendix B Results",
                     "Calle B Norte", "Santa B Clara", "Zdráhalová K Road"]),
    "name_in_context": (["Rubija", "Faina D. Yefremova", "Maika van de Noort"], ["The", "Team", "x", "Happy New Year"]),
    "street_address": (["Koskikatu 25 Apt. 864", "11 Botley Road"], ["During 1971", "Main Street"]),
    "phone_generic": (["(37) 788-063", "0378 3549890", "60-56-85-91", "+46 (0)8 928 571 38"],
                      ["2024-01-15", "1234567", "000 0000", "12"]),
    "plausible_date": (["1985-03-14", "14/03/1985", "March 14, 1985", "3 Jan 1990"],
                       ["1985-13-45", "32/13/1985", "14/03/1750"]),
    "nordic_pin": (["131052-308T"], ["131052-308U", "131352-308T"]),
    "calendar_date": (["Tuesday", "1977", "2/8/1935", "2000-04-16 11:34:35", "March 3, 1985", "3rd of March 2001"],
                      ["1850", "2000-02-30", "13/13/1981", "March 45, 2001", "Someday"]),
    # (lower case: an item of a lower-case list of names, which the candidate pass finds)
    "lone_name": (["Catherine", "Bergqvist", "Željko", "Gladys", "catherine"],
                  ["Paris", "Will", "The", "CATHERINE", "paris", "will", "table", "Macintosh", "English"]),
    "cued_name": (["Järvilehto", "Liviana Palerma", "Brad Key", "Jildau S Kowalski", "cormac", "Hauta-aho"],
                  ["Construction", "General Motors", "The Beatles", "Paris", "S Bouts", "a b c d", "Well-known",
                   "hauta-aho"]),
    # a lone name, or a known name that is also a word or a place (the candidate pass judged the context)
    "name_word": (["Catherine", "Sherry", "White", "Jackson", "sherry", "Vsevolod"],
                  ["Will", "May", "Apples", "Sherry Lee", "SHERRY", "O'Neil"]),
    "kin_name": (["Asya", "Brosca Erdôs", "roberto", "Daniel"], ["docker", "Company", "roberto smith", "Main Street"]),
    "contact_name": (["Gyala Antall", "Csenger Gábor", "Einojuhani Pyysalo", "Sherry White"],
                     ["Overture Technologies", "Google Public Data", "Fletcher Hill", "Gyala", "New Zealand",
                      "Paris Jackson"]),
    "iban_any_case": (["gb24midl94580730215736", "GB24MIDL94580730215736", "de04 8193 0364 2621 2997 22"],
                      ["gb25midl94580730215736", "de89370400440532013000", "xx12abcdefghijklmno"]),
    "street_line": (["450 Præstevænget 15", "Μεγάλη Άμμος 184", "255 hersnapvej 18"],
                    ["IP address 10", "Windows 10", "page 12", "at 12", "Cyprus 36903"]),
}


def _params() -> list[tuple[str, str, bool]]:
    out = []
    for name, (valid, invalid) in CASES.items():
        out += [(name, v, True) for v in valid]
        out += [(name, v, False) for v in invalid]
    return out


@pytest.mark.parametrize(("name", "value", "expected"), _params())
def test_validator_vector(name: str, value: str, expected: bool) -> None:
    assert VALIDATORS[name](value) is expected, f"{name}({value!r}) should be {expected}"


def test_every_validator_has_vectors() -> None:
    missing = sorted(set(VALIDATORS) - set(CASES))
    assert not missing, f"validators without test vectors: {missing}"


def test_validators_never_raise_on_garbage() -> None:
    junk = ["", " ", "\x00", "ü" * 40, "-" * 30, "9" * 200, "eyJ.", "A" * 17, "+", "1.2.3.4.5", "()"]
    for name, fn in VALIDATORS.items():
        for j in junk:
            assert fn(j) in (True, False), name


def test_shannon_entropy() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert abs(shannon_entropy("abcd") - 2.0) < 1e-9


def test_luhn_equals_the_digit_by_digit_reference() -> None:
    """The byte-sum Luhn (ASCII digits) gives the digit-by-digit result for every length and digit; other
    strings (Unicode digits, which ``\\d`` lets through) take the reference path."""
    rng = random.Random(5)
    cases = ["", "0", "18", "4539104332181967", "4539104332181968", "٣٣٣", "12a4"]
    cases += ["".join(rng.choice("0123456789") for _ in range(rng.randint(1, 25))) for _ in range(20000)]
    for d in cases:
        assert _luhn_ok(d) == _luhn_reference(d), d
    assert sum(map(_luhn_ok, cases)) > 1000  # about one in ten random strings is Luhn-valid
