#!/usr/bin/env bash
# Extract UI strings, merge them into the Chinese catalogue (zh: found for zh_CN / zh_Hans_CN), compile.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
"$PYBABEL" extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 -k pgettext:1c,2 -k lazy_pgettext:1c,2 --no-location --sort-output \
  -o portal/translations/messages.pot .
for locale in zh; do
  if [ -f "portal/translations/$locale/LC_MESSAGES/messages.po" ]; then
    "$PYBABEL" update --no-fuzzy-matching -i portal/translations/messages.pot -d portal/translations -l "$locale"
  else
    "$PYBABEL" init -i portal/translations/messages.pot -d portal/translations -l "$locale"
  fi
done
"$PYBABEL" compile -d portal/translations
