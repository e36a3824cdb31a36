"""Unit: the vendor is the brand or store name printed in the header, not a slogan, a legal-entity
line, an address, a label and its value or a department word. Receipts written for these tests."""

from __future__ import annotations

from receiptflow.extract import extract_receipt
from receiptflow.extract.header import LEGAL_FORM

from tests.unit.extract.layouts import receipt_lines


def _vendor(rows: list[str | tuple[str, float]]) -> str | None:
    return extract_receipt(receipt_lines(rows)).vendor_name.value


def test_german_brand_over_its_legal_entity_line() -> None:
    # GIVEN a brand printed large over the GmbH that runs the shop
    rows: list[str | tuple[str, float]] = [
        ("expert", 60.0),
        "TV-HIFI-ELEKTRO GMBH",
        "Bahnhofstr. 12",
        "91052 Erlangen",
        "Tel. 09131 123456",
        "Summe EUR 24,23",
    ]
    assert _vendor(rows) == "expert"


def test_german_slogan_is_not_the_name() -> None:
    rows: list[str | tuple[str, float]] = [
        ("wunschlos glücklich?", 30.0),
        ("ELEKTRO KRAUS", 40.0),
        "Hauptstr. 5",
        "80331 München",
        "SUMME EUR 9,99",
    ]
    assert _vendor(rows) == "ELEKTRO KRAUS"


def test_french_and_spanish_brand_over_legal_line_that_shares_its_name() -> None:
    # the brand printed over "... S.A." / "... SAS" with a word in common, at about the same size
    assert (
        _vendor(["MONOPRIX", "MONOPRIX EXPLOITATION SAS", "75008 PARIS", "TOTAL TTC 12,40 €"]) == "MONOPRIX"
    )
    assert (
        _vendor(["COSTA", "Costa Hosteleria S.L.", "C/ Mayor 3", "28013 Madrid", "TOTAL 8,50 €"]) == "COSTA"
    )


def test_polish_brand_over_sp_z_oo() -> None:
    rows: list[str | tuple[str, float]] = [
        ("Żabka", 50.0),
        "Zabka Polska sp. z o.o.",
        "ul. Stanisława Matyi 8",
        "61-586 Poznań",
        "PARAGON FISKALNY",
        "SUMA PLN 12,50",
    ]
    assert _vendor(rows) == "Żabka"


def test_malaysian_registered_name_stays_the_name() -> None:
    # Malaysian tax invoices print the registered name, and that is the vendor (as SROIE labels it)
    rows: list[str | tuple[str, float]] = [
        ("MYDIN", 50.0),
        "TRI SHAAS SDN BHD",
        "(535436-U)",
        "LOT 1, JALAN BESAR",
        "43000 KAJANG, SELANGOR",
        "TOTAL RM 9.00",
    ]
    assert _vendor(rows) == "TRI SHAAS SDN BHD"


def test_english_slogans_labels_and_departments_are_not_names() -> None:
    assert (
        _vendor(["YOUR GUEST NUMBER IS", "24", "IN-N-OUT BURGER DALLAS", "Cashier: ALEX", "Total 7.31"])
        == "IN-N-OUT BURGER DALLAS"
    )
    assert _vendor(["COSITAS RICAS", "79-19 Roosevelt Ave.", "Server:BAR Station:3", "Total 12.00"]) == (
        "COSITAS RICAS"
    )
    # (a department word under the name continues it)
    rite_aid = _vendor(["Station:", "RITE AID", "PHARMACY", "With us, it's personal.", "Total 5.00"])
    assert rite_aid == "RITE AID PHARMACY"
    # a tagline printed small under the brand is not part of it
    assert _vendor([("ROSS", 40.0), ("DRESS FOR LESS", 20.0), "SANTA CLARA, CA", "Total $13.03"]) == "ROSS"


def test_store_numbers_are_kept_and_greetings_dropped() -> None:
    assert _vendor(["Pizza Hut #744007", "870 W Rusk St", "Rockwall, TX 75087", "Total $20.00"]) == (
        "Pizza Hut #744007"
    )
    assert _vendor(["WELCOME TO BEST BUY #478", "50-01 NORTHERN BLVD", "Total $29.21"]) == "BEST BUY #478"
    assert (
        _vendor(["BIENVENUE A DISNEYLAND PARIS", "Caissier: 47492", "TOTAL 5,58 EUR"]) == "DISNEYLAND PARIS"
    )


def test_shopping_centre_and_postcode_rows_are_places() -> None:
    assert _vendor(["SELFRIDGES", "The Trafford Centre Manchester M17 8DA", "Total £596.99"]) == "SELFRIDGES"


def test_legal_forms_of_many_countries() -> None:
    for name in (
        "TV-HIFI-ELEKTRO GMBH",
        "MERCADONA S.A.",
        "Mc Food S.R.L.",
        "Zabka Polska sp. z o.o.",
        "Albert Česká republika, s.r.o.",
        "Migros Ticaret A.Ş.",
        "ООО Ромашка",
        "ICA Sverige AB",
        "Premier Restaurants Eesti AS",
        "Costco Wholesale Australia Pty Ltd",
        "Albert Heijn B.V.",
    ):
        assert LEGAL_FORM.search(name.upper()), name
    # state codes and words are not legal forms
    for text in ("LAS VEGAS, NV", "AS YOU LIKE IT", "SPA"):
        assert not LEGAL_FORM.search(text), text


def test_street_lines_and_staff_lines_are_not_names() -> None:
    # a state code before its ZIP is no legal form (Nevada, not "N.V."); a house number opens an
    # address; a manager's line names a person
    assert _vendor(["ROCCO'S NY PIZZA PASTA", "580 E WINDMILL", "LAS VEGAS NV 89123", "Total $20.00"]) == (
        "ROCCO'S NY PIZZA PASTA"
    )
    assert _vendor([("GREEK", 60.0), "14-15 Hoxton Market", "London N1 6HG", "Total £20.00"]) == "GREEK"
    assert _vendor([("Albertsons", 60.0), "STORE DIRECTOR- Tom Fletsher", "Total $20.00"]) == "Albertsons"


def test_names_that_look_like_words_of_a_slogan_stay_names() -> None:
    for name in ("U.S. POSTAL SERVICE", "FRESH MARKET", "MY PLACE CAFE", "GO GREEN GROCER", "CLOCKED!"):
        assert _vendor([name, "12 Main St", "Springfield, IL 62701", "Total $5.00"]) == name, name


def test_brand_as_large_as_the_legal_line_under_it_is_the_name() -> None:
    # GIVEN a brand printed at the size of the legal-entity line below it, no word in common
    rows: list[str | tuple[str, float]] = [
        "Biedronka",
        "JERONIMO MARTINS POLSKA S.A.",
        "ul. Żniwna 5, 62-025 Kostrzyn",
        "NIP 779-10-11-327",
        "PARAGON FISKALNY",
        "SUMA PLN 31,21",
    ]
    assert _vendor(rows) == "Biedronka"
    # a smaller line above it is no brand
    assert _vendor([("Kasa 3", 16.0), "JERONIMO MARTINS POLSKA S.A.", "SUMA PLN 31,21"]) != "Kasa 3"


def test_the_brand_is_not_joined_to_its_branch_line() -> None:
    # GIVEN the brand, then the brand again with the branch's name
    assert _vendor([("Woolworths", 40.0), "Woolworths Town Hall", "Sydney NSW 2000", "TOTAL $23.40"]) == (
        "Woolworths"
    )
    assert _vendor([("netto", 40.0), "Netto Vesterbrogade", "1620 København V", "I ALT 82,95"]) == "netto"


def test_the_legal_or_branch_line_under_a_brand_is_not_part_of_its_name() -> None:
    rows: list[str | tuple[str, float]] = [
        ("MIGROS", 40.0),
        "Genossenschaft Migros Zürich",
        "Limmatplatz, 8005 Zürich",
        "Total CHF 14.35",
    ]
    assert _vendor(rows) == "MIGROS"
    rows = [
        ("ICA Supermarket", 40.0),
        "ICA Nära Södermalm",
        "Götgatan 40, 118 26 Stockholm",
        "Att betala 127,70",
    ]
    assert _vendor(rows) == "ICA Supermarket"
    rows = [("COOP", 40.0), "Coop Alleanza 3.0 Soc. Coop.", "Via Emilia 12, 40121 Bologna", "TOTALE 17,18"]
    assert _vendor(rows) == "COOP"
