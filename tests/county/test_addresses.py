"""Address and owner-name normalisation: what must match, and near-misses that must not."""

import pytest

from pipelines.county.addresses import normalize_owner, normalize_street

# (street A, unit A, zip A, street B, unit B, zip B)
SAME = [
    ("123 N.W. 5th Street Apt 4", None, "33125", "123 NW 5TH ST #4", None, "33125"),
    ("123 Northwest 5 St., Unit 04", None, "33125", "123 NW 5TH ST", "4", "33125-1234"),
    ("123 N. W. Fifth St", None, None, "123 NW 5TH ST", None, "33125"),
    (
        "1500 Biscayne Boulevard Suite 300",
        None,
        "33132",
        "1500 BISCAYNE BLVD STE 300",
        None,
        "33132",
    ),
    ("1500 BISCAYNE BLVD", "Ste. 300", "33132", "1500 Biscayne Blvd #300", None, "33132"),
    ("77 S.W. 8 STREET #12-B", None, "33130", "77 SW 8TH ST APT 12B", None, "33130"),
    ("9 Coral Way", None, "33145", "9 CORAL WAY", None, "33145"),
    ("2100 Collins Avenue", "Apt 1001", "33139", "2100 COLLINS AVE #1001", None, "33139"),
    ("2100 Collins Av Apartment 1001", None, "33139", "2100 COLLINS AVE", "1001", "33139"),
    ("400 NE 2nd Ave", None, "33132", "400 Northeast Second Avenue", None, "33132"),
    ("15 SE 1st St", None, "33131", "15 SOUTHEAST FIRST STREET", None, "33131"),
    ("3501 SW 137th Ave", None, "33175", "3501 Southwest 137 Avenue", None, "33175"),
    ("880 West Flagler Street", None, "33130", "880 W FLAGLER ST", None, "33130"),
    ("880 W. Flagler St.", None, "33130", "880 W FLAGLER ST", None, "33130"),
    ("12 North Kendall Drive", None, "33176", "12 N KENDALL DR", None, "33176"),
    ("500 Brickell Key Dr Unit 2105", None, "33131", "500 BRICKELL KEY DR # 2105", None, "33131"),
    ("701 S Miami Ave, Apt. 305", None, "33130", "701 S MIAMI AVE APT 305", None, "33130"),
    ("6000 Sunset Drive", None, "33143", "6000 SUNSET DR", None, "33143"),
    ("18 Grand Bay Court", None, "33149", "18 GRAND BAY CT", None, "33149"),
    ("230 Ocean Lane Dr", None, "33149", "230 OCEAN LN DR", None, "33149"),
    ("10 Palm Terrace", None, "33176", "10 PALM TER", None, "33176"),
    ("10 Palm Terr", None, "33176", "10 PALM TER", None, "33176"),
    ("44 Sunrise Circle", None, "33176", "44 SUNRISE CIR", None, "33176"),
    ("1 Lincoln Road", "#5", "33139", "1 LINCOLN RD UNIT 5", None, "33139"),
    ("9500 Dixie Highway", None, "33156", "9500 DIXIE HWY", None, "33156"),
    ("7 Snapper Creek Trail", None, "33156", "7 SNAPPER CREEK TRL", None, "33156"),
    ("801 Brickell Plaza", None, "33131", "801 BRICKELL PLZ", None, "33131"),
    ("16 Pine Place", None, "33133", "16 PINE PL", None, "33133"),
    ("300 Alton Rd Bldg 2", None, "33139", "300 ALTON RD", "2", "33139"),
    ("4200 NW 7th Street", "apt 02", "33126", "4200 NW 7 ST", "2", "33126"),
    ("  123   nw   5th   st  ", None, "33125", "123 NW 5TH ST", None, "33125"),
    ("123 NW 5th St.", None, "33125", "123 N.W. 5TH STREET", None, None),
    ("2020 Ponce de Leon Boulevard", None, "33134", "2020 PONCE DE LEON BLVD", None, "33134"),
    ("1111 Kane Concourse", None, "33154", "1111 KANE CONCOURSE", None, "33154"),
    ("100 E Heights", None, "33030", "100 EAST HTS", None, "33030"),
    ("55 Merrick Way Suite 214", None, "33134", "55 MERRICK WAY # 214", None, "33134"),
    ("2901 Florida Ave #806", None, "33133", "2901 FLORIDA AVE UNIT 806", None, "33133"),
    ("13 Island Ave", None, "33139", "13 ISLAND AVENUE", None, "33139"),
    ("1200 Brickell Bay Dr Ph 4", None, "33131", "1200 BRICKELL BAY DR PH 4", None, "33131"),
    ("3 Grove Isle Drive", "Unit 1203", "33133", "3 GROVE ISLE DR APT 1203", None, "33133"),
    ("8701 Collins Ave", "unit 1-a", "33154", "8701 COLLINS AVE #1A", None, "33154"),
]
DIFFERENT = [
    ("123 NW 5th St Apt 4", None, "33125", "123 NW 5TH ST APT 5", None, "33125"),  # unit
    ("123 NW 5th St", None, "33125", "123 NE 5TH ST", None, "33125"),  # directional
    ("123 NW 5th St", None, "33125", "123 NW 5TH ST", None, "33126"),  # zip
    ("123 NW 5th St", None, "33125", "123 NW 5TH AVE", None, "33125"),  # suffix
    ("123 NW 5th St", None, "33125", "132 NW 5TH ST", None, "33125"),  # house number
    ("123 NW 5th St Apt 4", None, "33125", "123 NW 5TH ST", None, "33125"),  # unit vs none
    ("123 NW 5th St", None, "33125", "123 NW 15TH ST", None, "33125"),  # street number
    ("1500 Biscayne Blvd Ste 300", None, "33132", "1500 BISCAYNE BLVD STE 3000", None, "33132"),
    ("77 SW 8th St", None, "33130", "77 S 8TH ST", None, "33130"),  # SW vs S
    ("2100 Collins Ave #1001", None, "33139", "2100 COLLINS AVE #1010", None, "33139"),
]


def key(street, unit, zip_):
    s, u = normalize_street(street, unit)
    return s, u, (zip_ or "")[:5] or None


def matches(a, b) -> bool:
    sa, ua, za = key(*a)
    sb, ub, zb = key(*b)
    return sa is not None and sa == sb and ua == ub and (za is None or zb is None or za == zb)


def test_table_is_big_enough():
    assert len(SAME) + len(DIFFERENT) >= 40 and len(DIFFERENT) >= 8


@pytest.mark.parametrize("pair", SAME, ids=[p[0] for p in SAME])
def test_same_address(pair):
    assert matches(pair[:3], pair[3:]), (key(*pair[:3]), key(*pair[3:]))


@pytest.mark.parametrize("pair", DIFFERENT, ids=[p[0] + " / " + p[3] for p in DIFFERENT])
def test_near_misses_do_not_match(pair):
    assert not matches(pair[:3], pair[3:])


def test_exact_keys():
    assert normalize_street("123 N.W. 5th Street Apt 4") == ("123 NW 5 ST", "4")
    assert normalize_street("77 S.W. 8 STREET #12-B") == ("77 SW 8 ST", "12B")
    assert normalize_street("") == (None, None)


@pytest.mark.parametrize(
    "a, b",
    [
        ("SMITH JOHN", "John Smith"),
        ("SMITH, JOHN JR", "JOHN SMITH"),
        ("GARCIA MARIA III", "Maria Garcia"),
        ("ESTATE OF MARIA GARCIA", "GARCIA, MARIA"),
        ("MARIA GARCIA, DECEASED", "GARCIA MARIA"),
        ("O'BRIEN LUIS", "Luis OBrien"),
        ("JONES FAMILY REVOCABLE TRUST ROBERT", "ROBERT JONES"),
        ("ROBERT JONES TRUSTEE", "Jones Robert"),
        ("ACME HOLDINGS L.L.C.", "ACME HOLDINGS LLC"),
        ("PEREZ-GONZALEZ ANA", "Ana Perez Gonzalez"),
        ("SMITH JOHN ET AL", "JOHN SMITH"),
    ],
)
def test_owner_names_that_match(a, b):
    assert normalize_owner(a) == normalize_owner(b) is not None


@pytest.mark.parametrize(
    "a, b",
    [
        ("SMITH JOHN", "SMITH JANE"),
        ("GARCIA MARIA", "GARCIA MARIO"),
        ("ACME HOLDINGS LLC", "ACME PARTNERS LLC"),
    ],
)
def test_owner_names_that_differ(a, b):
    assert normalize_owner(a) != normalize_owner(b)


def test_a_surname_alone_is_no_key():
    assert normalize_owner("SMITH") is None
    assert normalize_owner("THE SMITH TRUST") is None
