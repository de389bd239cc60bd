"""The certificate of volunteer service: a PDF (fpdf2) listing verified hours per project, in Chinese or English.

Chinese needs a CJK font embedded in the PDF. A fresh machine has none that we can rely on, so the font
comes from a PyPI package the project installs (cvttf-NotoSansCJK-Regular ships Noto Sans CJK as an
OpenType file), found by the same helper the donation receipts use; fpdf2 embeds only the glyphs used,
so a certificate stays a few dozen kilobytes.
"""
from datetime import datetime

from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from portal.core.pdf import font_path as cjk_font_path

FONT_NAME = "NotoSansCJK"


def hours_text(minutes: int) -> str:
    """Minutes as hours with at most one decimal, in the user's language: 90 -> '1.5'."""
    return format_decimal(round(minutes / 60, 1), format="#,##0.#")


def _period(line) -> str:
    if line.first_day is None:
        return ""
    first, last = format_date(line.first_day, "medium"), format_date(line.last_day, "medium")
    return first if first == last else f"{first} – {last}"


class _CertificatePDF(FPDF):
    def footer(self):
        self.set_y(-19)
        self.set_font(FONT_NAME, size=8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, _("Community Services Portal · page %(page)d", page=self.page_no()), align="C")


def certificate_pdf(volunteer_name: str, lines: list, issued_at: datetime, reference: str) -> bytes:
    """The certificate as PDF bytes. `lines` are hours.ServiceLine rows (verified minutes per project)."""
    pdf = _CertificatePDF(format="A4")
    pdf.set_title(_("Certificate of volunteer service"))
    pdf.set_author(_("Community Services Portal"))
    pdf.set_creator("community-portal")
    pdf.add_font(FONT_NAME, fname=str(cjk_font_path()))
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=22)
    pdf.add_page()
    red = (196, 18, 47)

    pdf.set_draw_color(*red)
    pdf.set_line_width(0.8)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.2)
    pdf.set_font(FONT_NAME, size=24)
    pdf.set_text_color(*red)
    pdf.ln(8)
    pdf.cell(0, 14, _("Certificate of volunteer service"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(30, 30, 30)
    pdf.ln(6)
    pdf.set_font(FONT_NAME, size=12)
    total = sum(line.minutes for line in lines)
    pdf.multi_cell(0, 8, _("This certifies that %(name)s has served as a volunteer in the community service "
                           "projects below, for %(hours)s hours in total. Only hours verified by the "
                           "organisation that ran each project are counted.",
                           name=volunteer_name, hours=hours_text(total)),
                   align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)

    pdf.set_font(FONT_NAME, size=10.5)
    plain = FontFace(emphasis="", fill_color=(240, 242, 245))
    with pdf.table(col_widths=(62, 50, 40, 18), headings_style=plain, line_height=7, padding=1.5,
                   text_align=("LEFT", "LEFT", "LEFT", "RIGHT")) as table:
        heading = table.row()
        for text in (_("Project"), _("Organisation"), _("Dates"), _("Hours")):
            heading.cell(text)
        for line in lines:
            row = table.row()
            row.cell(line.project_title)
            row.cell(line.organisation_name)
            row.cell(_period(line))
            row.cell(hours_text(line.minutes))
        if not lines:
            row = table.row()
            row.cell(_("No verified hours yet."), colspan=4)
        row = table.row()
        row.cell(_("Total"), colspan=3)
        row.cell(hours_text(total))

    pdf.ln(10)
    pdf.set_font(FONT_NAME, size=10)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(0, 6, _("Issued on %(date)s by the Community Services Portal from its volunteer hour ledger. "
                           "Reference: %(reference)s.", date=format_date(issued_at, "long"), reference=reference),
                   align="L", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
