"""What every CSV import shares (places, the purchase catalogue, delivery records): reading an upload, the
header, the rows with their line numbers, and the refusal listing every problem, all or nothing.

A domain gives its columns, how to clean one row and its own messages; nothing is saved unless no line is wrong.
"""
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext

from portal.core.errors import ValidationFailed
from portal.core.web import submit_form


@dataclass
class RowError:
    line: int
    column: str
    message: str


class ImportRejected(ValidationFailed):
    """The CSV had bad rows; nothing was saved. `errors` lists every problem with its line number."""

    def __init__(self, errors: list[RowError]):
        super().__init__(ngettext("The file was not imported: %(num)d problem found. Nothing was saved.",
                                  "The file was not imported: %(num)d problems found. Nothing was saved.",
                                  len(errors)), field="file")
        self.errors = errors


def read_upload(form, max_bytes: int) -> bytes | str:
    """The uploaded file (read up to one byte over `max_bytes`, so a larger one is refused) or the pasted text."""
    upload = form.file.data
    data = upload.read(max_bytes + 1) if upload and upload.filename else (form.text.data or "")
    if not data or (isinstance(data, str) and not data.strip()):
        raise ValidationFailed(_("Choose a CSV file or paste its text."), field="file")
    return data


def submit_import(form, max_bytes: int, run_import: Callable, on_success: Callable, render: Callable):
    """The import page's form flow (portal/core/web.py `submit_form`): `run_import(data)` with the upload or
    pasted text; a refused file's problems go to `render(status, row_errors)` as a table of lines, columns and
    problems (so the file field does not say it again)."""
    row_errors: list[RowError] = []

    def import_rows():
        data = read_upload(form, max_bytes)
        try:
            return run_import(data)
        except ImportRejected as error:
            row_errors.extend(error.errors)
            raise

    def render_page(status):
        if row_errors:
            form.file.errors = []  # the table of lines says it, problem by problem
        return render(status, row_errors)

    return submit_form(form, import_rows, on_success, render_page)


def check_size(data: bytes | str, max_bytes: int) -> None:
    if isinstance(data, bytes) and len(data) > max_bytes:
        raise ImportRejected([RowError(1, "", _("The file is too large (at most %(kb)d KB).",
                                                kb=max_bytes // 1024))])


def decode_csv(data: bytes | str) -> str:
    """Text of an uploaded CSV: UTF-8 (with or without the BOM Excel adds), else GB18030."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ImportRejected([RowError(1, "", _("The file could not be read as text. Save it as "
                                                "\"CSV UTF-8\" and try again."))]) from None


def read_header(reader, required: tuple[str, ...], known: tuple[str, ...]) -> tuple[list[str], list[RowError]]:
    """The columns named on line 1 (lower case) and what is wrong with them: missing, unknown or twice."""
    try:
        header = next(reader)
    except StopIteration:
        return [], [RowError(1, "", _("The file is empty."))]
    columns = [cell.strip().lower() for cell in header]
    while columns and not columns[-1]:
        columns.pop()  # spreadsheets sometimes save empty trailing columns
    errors = []
    missing = [name for name in required if name not in columns]
    if missing:
        errors.append(RowError(1, ", ".join(missing), _("The header lacks the column(s) %(names)s. The first line "
                                                         "must be: %(header)s",
                                                         names=", ".join(missing), header=",".join(known))))
    unknown = [name for name in columns if name not in known]
    if unknown:
        errors.append(RowError(1, ", ".join(unknown), _("Unknown column(s): %(names)s.", names=", ".join(unknown))))
    duplicated = sorted({name for name in columns if columns.count(name) > 1})
    if duplicated:
        errors.append(RowError(1, ", ".join(duplicated), _("A column appears twice.")))
    return columns, errors


def parse_rows(text: str, *, required: tuple[str, ...], known: tuple[str, ...],
               clean_row: Callable[[int, dict, list[RowError]], object], max_rows: int, too_many: str,
               no_rows: str) -> tuple[list, list[RowError]]:
    """Check every row on its own and collect every problem.

    `clean_row(line, raw, errors)` gets each non-empty line's values by column, appends its problems to
    `errors` and returns what to keep (None keeps nothing). At most `max_rows` are kept (`too_many` then);
    `no_rows` is the problem of a file with a header and nothing kept and no other problem."""
    reader = csv.reader(io.StringIO(text, newline=""))
    columns, errors = read_header(reader, required, known)
    if errors:
        return [], errors
    rows = []
    previous_line = reader.line_num
    try:
        for cells in reader:
            line = previous_line + 1
            previous_line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= max_rows:
                errors.append(RowError(line, "", too_many))
                break
            if any(cell.strip() for cell in cells[len(columns):]):
                errors.append(RowError(line, "", _("This line has more values than the header has columns.")))
                continue
            row = clean_row(line, dict(zip(columns, cells, strict=False)), errors)
            if row is not None:
                rows.append(row)
    except csv.Error as error:
        errors.append(RowError(reader.line_num, "", _("The file is not valid CSV: %(reason)s", reason=str(error))))
    if not rows and not errors:
        errors.append(RowError(2, "", no_rows))
    return rows, errors


def reject_if_any(errors: list[RowError]) -> None:
    """Refuse the whole file when any line is wrong, its problems in line order."""
    if errors:
        errors.sort(key=lambda error: error.line)
        raise ImportRejected(errors)
