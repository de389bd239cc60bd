"""Money: integer minor units (fen) with a currency code; parsing user input without floats."""
import re
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from portal.core.errors import ValidationFailed

SUPPORTED_CURRENCIES = {"CNY"}
# One gift, disbursement or goal above ten million yuan is a typo or an attack, not a community gift.
MAX_AMOUNT_MINOR = 10_000_000 * 100
_AMOUNT_RE = re.compile(r"^\d+(\.\d+)?$")


def parse_amount(text, field: str = "amount", minimum_minor: int = 1, maximum_minor: int = MAX_AMOUNT_MINOR) -> int:
    """'12.5' yuan -> 1250 fen. Refuses empty, negative, zero, more than two decimals and absurd amounts."""
    raw = str(text if text is not None else "").strip().replace(",", "").replace("，", "").replace("¥", "")
    if not raw:
        raise ValidationFailed(_("Enter an amount."), field=field)
    if raw.startswith("-"):
        raise ValidationFailed(_("The amount cannot be negative."), field=field)
    if not _AMOUNT_RE.match(raw):
        raise ValidationFailed(_("Enter the amount in yuan as a number, e.g. 50 or 12.50."), field=field)
    try:
        value = Decimal(raw)
    except InvalidOperation as error:
        raise ValidationFailed(_("Enter the amount in yuan as a number, e.g. 50 or 12.50."), field=field) from error
    minor = value * 100
    if minor != minor.to_integral_value():
        raise ValidationFailed(_("Amounts have at most two decimals (fen)."), field=field)
    minor = int(minor)
    if minor < minimum_minor:
        raise ValidationFailed(_("The amount must be more than zero.") if minimum_minor <= 1 else
                               _("The amount must be at least %(min)s yuan.", min=format_yuan(minimum_minor)),
                               field=field)
    if minor > maximum_minor:
        raise ValidationFailed(_("The amount is too large (at most %(max)s yuan).", max=format_yuan(maximum_minor)),
                               field=field)
    return minor


def check_amount_minor(amount_minor, field: str = "amount", maximum_minor: int = MAX_AMOUNT_MINOR) -> int:
    """For amounts already in minor units (JSON APIs, services): an int, positive, not absurd."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise ValidationFailed(_("The amount must be a whole number of fen."), field=field)
    if amount_minor <= 0:
        raise ValidationFailed(_("The amount must be more than zero."), field=field)
    if amount_minor > maximum_minor:
        raise ValidationFailed(_("The amount is too large (at most %(max)s yuan).", max=format_yuan(maximum_minor)),
                               field=field)
    return amount_minor


def check_currency(currency: str, field: str = "currency") -> str:
    code = (currency or "").upper()
    if code not in SUPPORTED_CURRENCIES:
        raise ValidationFailed(_("Only Chinese yuan (CNY) is accepted."), field=field)
    return code


def format_yuan(amount_minor: int) -> str:
    yuan, fen = divmod(abs(amount_minor), 100)
    text = f"{yuan:,}" if not fen else f"{yuan:,}.{fen:02d}"
    return ("-" if amount_minor < 0 else "") + text
