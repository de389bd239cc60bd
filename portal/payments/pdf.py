"""PDF receipts and yearly statements that show Chinese on any machine.

The font is embedded (subset) from Noto Sans CJK, which the `cvttf-notosanscjk-regular` package
installs into the virtualenv (NotoSansCJKtc-Regular.otf, CFF outlines; it covers simplified Chinese
as well), so no system font is needed. fpdf2 does the subsetting with fontTools.
"""

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from portal.core.formatting import money
from portal.core.pdf import font_path
from portal.core.time import utcnow
from portal.payments.models import MONTHLY, OFFLINE, OFFLINE_METHODS, PROVIDERS
from portal.payments.service import public_donor_name, status_label

FONT = "NotoSansCJK"
RED = (180, 52, 45)
MUTED = (92, 101, 112)
LINE = (190, 197, 205)




def _document(title: str) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_author(_("Community Services Portal"))
    pdf.set_creator("community-portal")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font(FONT, "", str(font_path()))
    pdf.add_page()
    pdf.set_margins(18, 18, 18)
    pdf.set_xy(18, 18)
    pdf.set_font(FONT, size=10)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 6, _("Community Services Portal"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.6)
    pdf.line(18, pdf.get_y() + 1, 192, pdf.get_y() + 1)
    pdf.set_draw_color(*LINE)
    pdf.set_line_width(0.2)
    pdf.ln(6)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, size=20)
    pdf.cell(0, 12, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return pdf


def _rows(pdf: FPDF, rows: list[tuple[str, str]]) -> None:
    for label, value in rows:
        if not value:
            continue
        pdf.set_font(FONT, size=10)
        pdf.set_text_color(*MUTED)
        pdf.cell(45, 8, label)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(FONT, size=12)
        pdf.multi_cell(0, 8, value, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _paragraph(pdf: FPDF, text: str, size: int = 10) -> None:
    pdf.set_font(FONT, size=size)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 6, text, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)


def _method(donation) -> str:
    method = str(PROVIDERS.get(donation.provider, donation.provider))
    if donation.provider == OFFLINE and donation.offline_method:
        method = f"{OFFLINE_METHODS.get(donation.offline_method, donation.offline_method)}"
        if donation.offline_receipt_ref:
            method += f" ({donation.offline_receipt_ref})"
    return method


def receipt_pdf(donation, verify_url: str) -> bytes:
    pdf = _document(_("Donation receipt"))
    pdf.set_subject(donation.receipt_number)  # searchable in the file as plain text, besides the page
    pdf.set_font(FONT, size=12)
    pdf.set_text_color(*RED)
    pdf.cell(0, 9, _("Receipt number: %(number)s", number=donation.receipt_number),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)
    target = donation.campaign.title if donation.campaign else _("The fund's general purpose")
    _rows(pdf, [
        (_("Donor"), donation.donor_name),
        (_("Shown in public as"), public_donor_name(donation)),
        (_("Amount"), money(donation.amount_minor, donation.currency)),
        (_("Refunded"), money(donation.refunded_minor, donation.currency) if donation.refunded_minor else ""),
        (_("Received on"), format_datetime(donation.succeeded_at, "medium") if donation.succeeded_at else ""),
        (_("Fund"), donation.fund.name),
        (_("For"), target),
        (_("Team"), donation.team.name if donation.team else ""),
        (_("Paid with"), _method(donation)),
        (_("Frequency"), _("Monthly gift") if donation.frequency == MONTHLY else _("One-off gift")),
        (_("Status"), status_label(donation.status)),
    ])
    pdf.ln(6)
    _paragraph(pdf, _("Thank you. This receipt confirms that the fund named above received this gift. Every gift "
                      "and every payment out of the fund is on the fund's public ledger."), size=11)
    pdf.ln(2)
    _paragraph(pdf, _("Check this receipt online: %(url)s", url=verify_url))
    _paragraph(pdf, _("Printed on %(date)s.", date=format_date(utcnow(), "long")))
    return bytes(pdf.output())


def statement_pdf(user, year: int, rows: list, total_minor: int) -> bytes:
    pdf = _document(_("Giving statement %(year)d", year=year))
    _rows(pdf, [(_("Donor"), user.display_name), (_("Year"), str(year)), (_("Total given"), money(total_minor)),
                (_("Number of gifts"), str(len(rows)))])
    pdf.ln(4)
    if rows:
        pdf.set_font(FONT, size=9)
        with pdf.table(col_widths=(20, 28, 48, 24, 25, 25),
                       text_align=("LEFT", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT"),
                       line_height=6, first_row_as_headings=True, wrapmode=WrapMode.CHAR,
                       headings_style=FontFace(emphasis="NONE", fill_color=(240, 242, 245))) as table:
            table.row([_("Date"), _("Receipt number"), _("Fund and campaign"), _("Paid with"), _("Amount"),
                       _("Counted")])
            for donation in rows:
                what = donation.fund.name + (f" · {donation.campaign.title}" if donation.campaign else "")
                table.row([format_date(donation.succeeded_at, "short"), donation.receipt_number or "", what,
                           _method(donation), money(donation.amount_minor),
                           money(donation.amount_minor - donation.refunded_minor)])
    else:
        _paragraph(pdf, _("No gifts in this year."), size=11)
    pdf.ln(6)
    _paragraph(pdf, _("Counted: the gift less any refund. Each gift has its own receipt with its number."))
    return bytes(pdf.output())
