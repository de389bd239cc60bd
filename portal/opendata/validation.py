"""Validate packages against the OCDS schemas shipped in portal/opendata/schema/, offline.

The package schemas point at the release and record schemas by their canonical URLs (`$ref`:
https://standard.open-contracting.org/schema/1__1__5/release-schema.json, and the record package at a
record schema whose `id` is .../1__2__0/record-schema.json). A `referencing` registry holds every shipped
schema under its own `id`, so each `$ref` resolves to the local copy and nothing is fetched; a `$ref` to any
other URL fails instead of going to the network.
"""
from functools import cache

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from portal.opendata.ocds import SCHEMA_DIR, load_schema


@cache
def registry() -> Registry:
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        schema = load_schema(path.name)
        resources.append((schema["id"], Resource.from_contents(schema, default_specification=DRAFT4)))
    return Registry().with_resources(resources).crawl()


def _validator(name: str) -> Draft4Validator:
    return Draft4Validator(load_schema(name), registry=registry(), format_checker=Draft4Validator.FORMAT_CHECKER)


def errors(package: dict, kind: str = "release") -> list[str]:
    """Every schema error of a release package (`kind="release"`) or a record package (`"record"`), as
    readable lines (empty when valid)."""
    validator = _validator(f"{kind}-package-schema.json")
    return [f"{'/'.join(map(str, error.absolute_path)) or '(package)'}: {error.message}"
            for error in sorted(validator.iter_errors(package), key=lambda e: list(map(str, e.absolute_path)))]
