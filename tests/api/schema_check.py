"""Validates an answer against the schema the OpenAPI document gives for it (OpenAPI 3.0 schema objects:
nullable, $ref into components), with openapi-schema-validator."""
from openapi_schema_validator import OAS30Validator, oas30_format_checker


def response_schema(document: dict, path: str, method: str, status: int) -> dict:
    response = document["paths"][path][method]["responses"][str(status)]
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response["content"]["application/json"]["schema"]


def problems(document: dict, schema: dict, instance) -> list[str]:
    """What in `instance` the schema refuses (empty when it is valid)."""
    root = {**schema, "components": document["components"]}
    validator = OAS30Validator(root, format_checker=oas30_format_checker)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(instance)]
