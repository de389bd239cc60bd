"""`portal opendata ocds --out DIR`: write the OCDS packages to files (for a static site or a data portal)."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("opendata")
def opendata_group():
    """Open data: OCDS packages and exports."""


@opendata_group.command("ocds")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write releases.json, records.json and one release package per call into.")
@click.option("--base-url", default=None,
              help="Public address of the portal for the links in the packages (default: SERVER_NAME, or "
                   "http://localhost).")
@with_appcontext
def ocds_command(out_dir: Path, base_url: str | None):
    """Write the release package and the record package of every published call, and each call's own."""
    import json

    from portal.extensions import db
    from portal.opendata import ocds, queries, validation

    if base_url is None:
        server = current_app.config.get("SERVER_NAME")
        base_url = f"{current_app.config.get('PREFERRED_URL_SCHEME', 'http')}://{server}" if server \
            else "http://localhost"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "calls").mkdir(exist_ok=True)
    with current_app.test_request_context(base_url=base_url):
        datas = queries.call_data(list(db.session.scalars(queries.public_call_ids_query())))
        root = base_url.rstrip("/")
        written = {"releases.json": ocds.release_package(datas, f"{root}/opendata/ocds/releases.json"),
                   "records.json": ocds.record_package(datas, f"{root}/opendata/ocds/records.json")}
        for data in datas:
            written[f"calls/{data.call.id}-releases.json"] = ocds.release_package(
                [data], f"{root}/opendata/ocds/calls/{data.call.id}/releases.json")
    problems = validation.errors(written["releases.json"]) + validation.errors(written["records.json"], "record")
    for name, package in written.items():
        (out_dir / name).write_text(json.dumps(package, ensure_ascii=False, indent=2), encoding="utf-8")
    click.echo(f"{len(datas)} call(s), {len(written['releases.json']['releases'])} release(s) written to {out_dir}")
    if problems:
        raise click.ClickException("the packages are not valid OCDS:\n" + "\n".join(problems[:20]))
