"""The unified social credit code (统一社会信用代码, GB 32100-2015): format, checksum, and legal-form match."""
from flask_babel import gettext as _

from portal.core.errors import ValidationFailed
from portal.orgs.models import FOUNDATION, LEGAL_FORMS, PRIVATE_NON_ENTERPRISE, SOCIAL_GROUP

LENGTH = 18
# 31 characters: the digits and capital letters without I, O, Z, S and V (easily confused).
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

LOOKALIKES = {"O": "0", "I": "1"}  # letters people type for the digits they resemble

CIVIL_AFFAIRS = "5"  # registration authority of social groups, private non-enterprise units and foundations
# For codes issued by civil affairs, position 2 is the kind of organisation.
CIVIL_AFFAIRS_TYPES = {"1": SOCIAL_GROUP, "2": PRIVATE_NON_ENTERPRISE, "3": FOUNDATION, "9": None}
TYPE_OF_LEGAL_FORM = {form: digit for digit, form in CIVIL_AFFAIRS_TYPES.items() if form}


def normalise(code: str | None) -> str:
    return (code or "").strip().upper()


def check_character(body: str) -> str:
    """The 18th character for the first 17 (all from CHARSET)."""
    total = sum(CHARSET.index(character) * weight for character, weight in zip(body, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def validate_credit_code(code: str | None, legal_form: str | None = None, field: str = "credit_code") -> str:
    """Return the normalised code, or raise ValidationFailed saying what is wrong with it.

    With `legal_form`, a code issued by civil affairs must carry the matching type (position 2).
    """
    code = normalise(code)
    if not code:
        raise ValidationFailed(_("Enter the unified social credit code (18 characters)."), field=field)
    if len(code) != LENGTH:
        raise ValidationFailed(
            _("The code has %(count)d characters; a unified social credit code has exactly 18.", count=len(code)),
            field=field)
    for position, character in enumerate(code, start=1):
        if character not in CHARSET:
            message = _("Character %(position)d (“%(character)s”) is not allowed: a unified social credit code "
                        "uses digits and capital letters except I, O, Z, S and V.",
                        position=position, character=character)
            if character in LOOKALIKES:
                message += " " + _("Did you mean “%(digit)s”?", digit=LOOKALIKES[character])
            raise ValidationFailed(message, field=field)
    if not code[2:8].isdigit():
        raise ValidationFailed(
            _("Characters 3 to 8 are the registration area code and must be digits."), field=field)
    if check_character(code[:17]) != code[17]:
        raise ValidationFailed(
            _("The code's check character (the last one) does not match the rest: a character is probably "
              "mistyped. Copy the code from the registration certificate."), field=field)
    if legal_form is not None and code[0] == CIVIL_AFFAIRS:
        _check_type_matches(code, legal_form, field)
    return code


def _check_type_matches(code: str, legal_form: str, field: str) -> None:
    type_digit = code[1]
    if type_digit not in CIVIL_AFFAIRS_TYPES:
        raise ValidationFailed(
            _("The second character “%(digit)s” is not a kind of organisation registered by civil affairs "
              "(1 social group, 2 private non-enterprise unit, 3 foundation, 9 other).", digit=type_digit),
            field=field)
    expected = TYPE_OF_LEGAL_FORM.get(legal_form)
    if expected is not None and type_digit != expected:
        coded_form = CIVIL_AFFAIRS_TYPES[type_digit]
        coded_label = LEGAL_FORMS[coded_form] if coded_form else _("another kind of organisation (9)")
        raise ValidationFailed(
            _("The code's second character “%(digit)s” means %(coded)s, but the legal form chosen is "
              "%(chosen)s. Check the code, or choose the legal form shown on the registration certificate.",
              digit=type_digit, coded=coded_label, chosen=LEGAL_FORMS[legal_form]),
            field=field)
