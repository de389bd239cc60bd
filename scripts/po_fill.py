"""Translation helper: list untranslated Chinese strings, or merge translations from a JSON file.

    python scripts/po_fill.py --missing            # JSON of untranslated msgids -> ""
    python scripts/po_fill.py translations.json    # fill them in, then run scripts/i18n.sh
"""
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "portal/translations/zh/LC_MESSAGES/messages.po"


def main() -> None:
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="zh")
    if sys.argv[1:] == ["--missing"]:
        missing = {}
        for message in catalog:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            text = message.string if isinstance(message.string, str) else (message.string or [""])[0]
            if not text:
                missing[key] = ""
        print(json.dumps(missing, ensure_ascii=False, indent=1))
        return
    translations = json.loads(Path(sys.argv[1]).read_text())
    filled = 0
    for message in catalog:
        key = message.id if isinstance(message.id, str) else (message.id[0] if message.id else None)
        if key in translations and translations[key]:
            value = translations[key]
            message.string = value if isinstance(message.id, str) else (value,) * catalog.num_plurals
            message.flags.discard("fuzzy")
            filled += 1
    with PO.open("wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False, sort_output=True)
    print(f"filled {filled} strings")


if __name__ == "__main__":
    main()
