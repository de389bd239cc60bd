"""The unified social credit code validator (GB 32100-2015)."""
import pytest
from flask_babel import force_locale

from portal.core.errors import ValidationFailed
from portal.orgs.credit_code import CHARSET, WEIGHTS, check_character, validate_credit_code
from portal.orgs.models import FOUNDATION, PRIVATE_NON_ENTERPRISE, SOCIAL_GROUP
from tests.factories.orgs import credit_code


def _with_check(body: str) -> str:
    """Append the check character computed here, independently of the module under test."""
    total = sum(CHARSET.index(character) * weight for character, weight in zip(body, WEIGHTS, strict=True))
    return body + CHARSET[(31 - total % 31) % 31]


def _message(code, legal_form=None) -> str:
    with force_locale("en"), pytest.raises(ValidationFailed) as caught:
        validate_credit_code(code, legal_form)
    assert caught.value.field == "credit_code"
    return caught.value.message


def test_a_published_real_world_code_passes():
    # A widely published example code of a company (authority 9, type 1), valid by the standard's checksum.
    assert validate_credit_code("91350100M000100Y43") == "91350100M000100Y43"


@pytest.mark.parametrize("legal_form, type_digit", [(SOCIAL_GROUP, "1"), (PRIVATE_NON_ENTERPRISE, "2"),
                                                    (FOUNDATION, "3")])
def test_civil_affairs_codes_pass_for_their_legal_form(legal_form, type_digit):
    code = credit_code(type_digit)
    assert validate_credit_code(code, legal_form) == code


def test_check_character_can_be_zero():
    # a body whose weighted sum is a multiple of 31 has check character "0" ((31 - 0) mod 31 = 0)
    body = "0" * 17
    assert check_character(body) == "0"
    assert validate_credit_code(body + "0") == body + "0"


def test_check_character_matches_an_independent_computation():
    for seed in range(1, 200):
        body = f"52420500MJ{seed:07d}"[:17]
        assert check_character(body) == _with_check(body)[-1]


def test_lowercase_and_surrounding_spaces_are_normalised():
    code = credit_code("2")
    assert validate_credit_code(f"  {code.lower()}\t", PRIVATE_NON_ENTERPRISE) == code


@pytest.mark.parametrize("code", ["", "   ", None])
def test_empty_code_asks_for_one(code):
    assert "18" in _message(code)


@pytest.mark.parametrize("length", [17, 19])
def test_wrong_length_says_how_many_characters(length):
    code = (credit_code("2") * 2)[:length]
    message = _message(code)
    assert str(length) in message and "18" in message


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_letters_that_codes_never_use_are_named(letter):
    body = _with_check("52420500MJ000001X")
    code = body[:9] + letter + body[10:]
    message = _message(code)
    assert f"Character 10 (“{letter}”)" in message
    assert "I, O, Z, S and V" in message


def test_letter_o_typed_for_zero_gets_a_hint():
    code = credit_code("2")
    assert "Did you mean “0”?" in _message(code[:8] + "o" + code[9:])


def test_punctuation_is_refused_with_its_position():
    code = credit_code("2")
    assert "Character 18 (“-”)" in _message(code[:17] + "-")


def test_letters_in_the_area_code_are_refused():
    code = _with_check("52A20500MJ000001X")
    assert "3 to 8" in _message(code)


def test_wrong_check_character_is_refused():
    code = credit_code("2")
    wrong = CHARSET[(CHARSET.index(code[-1]) + 1) % 31]
    assert "check character" in _message(code[:17] + wrong)


def test_a_single_mistyped_character_is_caught():
    code = credit_code("2")
    typo = code[:12] + ("1" if code[12] != "1" else "2") + code[13:]
    assert "check character" in _message(typo)


def test_civil_affairs_type_must_match_the_legal_form():
    social_group_code = credit_code("1")
    message = _message(social_group_code, PRIVATE_NON_ENTERPRISE)
    assert "“1”" in message and "Social group" in message and "Private non-enterprise unit" in message


def test_civil_affairs_type_other_does_not_match_any_legal_form():
    assert "another kind of organisation" in _message(credit_code("9"), FOUNDATION)


def test_unknown_civil_affairs_type_is_refused():
    assert "not a kind of organisation" in _message(credit_code("7"), SOCIAL_GROUP)


def test_type_is_not_checked_without_a_legal_form():
    code = credit_code("1")
    assert validate_credit_code(code) == code


def test_codes_from_other_authorities_are_not_held_to_civil_affairs_types():
    # authority 1 (organisation establishment), type 1 (a government body): no civil-affairs type to compare
    code = _with_check("11420500MB1234567")
    assert validate_credit_code(code, FOUNDATION) == code
