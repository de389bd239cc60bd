"""The open-data rows of the authorization matrix (tests/test_authorization_matrix.py): everything is public and
read-only. A call's packages point at the procurement world's published call (a draft answers 404 to everyone,
its buyer included: tests/opendata/test_views.py)."""
from tests.procurement.matrix_expect import PUBLIC

OPENDATA_ROUTES = {
    "opendata.index": ("GET", "/opendata/", PUBLIC),
    "opendata.releases": ("GET", "/opendata/ocds/releases.json", PUBLIC),
    "opendata.records": ("GET", "/opendata/ocds/records.json", PUBLIC),
    "opendata.call_releases": ("GET", "/opendata/ocds/calls/{calls_published}/releases.json", PUBLIC),
    "opendata.call_record": ("GET", "/opendata/ocds/calls/{calls_published}/record.json", PUBLIC),
    "opendata.table_csv": ("GET", "/opendata/contracts.csv", PUBLIC),
    "opendata.table_xlsx": ("GET", "/opendata/payments.xlsx", PUBLIC),
}
# a published call's packages: read by everyone (their check refuses drafts, proved in test_views.py)
READ_BY_EVERYONE = {"opendata.call_releases", "opendata.call_record"}
