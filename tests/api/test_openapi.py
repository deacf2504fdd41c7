"""The OpenAPI document is generated from the code, valid, public, and says what can happen."""

from openapi_spec_validator import validate

from panel.core.errors import MAX_ID

METHODS = {"get", "post", "put", "patch", "delete"}


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_document_is_valid_openapi_3_and_needs_no_token(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json
    assert document["openapi"].startswith("3.")
    validate(document)
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert document["security"] == [{"bearerAuth": []}]


def test_document_covers_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").json
    documented = {(path, method) for path, method, _ in operations(document)}
    routed = {
        (rule.rule.replace("<int:", "{").replace(">", "}"), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and rule.endpoint != "api-docs.openapi_json"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == routed


def test_every_operation_documents_the_errors_it_can_give(client):
    document = client.get("/api/v1/openapi.json").json

    for path, method, operation in operations(document):
        codes = set(operation["responses"])
        label = f"{method.upper()} {path}"
        assert "default" not in codes, label
        assert {"401", "422"} <= codes, label
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= codes, label
        if "{" in path:
            assert "404" in codes, label
        for code in codes - {"200", "201", "202", "204"}:
            assert operation["responses"][code]["$ref"].startswith("#/components/responses/")


def test_error_responses_use_the_contract_shape(client):
    document = client.get("/api/v1/openapi.json").json
    schemas = document["components"]["schemas"]

    assert schemas["Error"]["required"] == ["error"]
    assert set(schemas["ErrorDetail"]["required"]) == {"code", "message", "fields"}
    for name, response in document["components"]["responses"].items():
        assert response["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }, name


def test_path_ids_are_bounded_to_the_database_range(client):
    document = client.get("/api/v1/openapi.json").json

    bounded = 0
    for item in document["paths"].values():
        for parameter in item.get("parameters", []):
            assert parameter["in"] == "path"
            assert parameter["schema"] == {"type": "integer", "minimum": 0, "maximum": MAX_ID}
            bounded += 1
    assert bounded >= 5


def test_contract_of_member_creation(client):
    document = client.get("/api/v1/openapi.json").json
    create = document["paths"]["/api/v1/members"]["post"]
    body = document["components"]["schemas"]["MemberCreate"]
    answer = document["components"]["schemas"]["Member"]

    assert set(body["required"]) == {"name", "email", "prefix"}
    assert body["properties"]["kind"]["enum"] == ["natural", "legal"]
    assert body["additionalProperties"] is False
    assert {"201", "403", "409", "422"} <= set(create["responses"])
    assert {"id", "number", "prefix", "user_id"} <= set(answer["properties"])


def test_every_change_documents_the_403_of_a_read_only_token(client):
    document = client.get("/api/v1/openapi.json").json

    changes = [(path, method, op) for path, method, op in operations(document) if method != "get"]

    assert len(changes) >= 10
    for path, method, operation in changes:
        assert "403" in operation["responses"], f"{method.upper()} {path}"
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert "read_only_token" in scheme["description"]


def test_contract_of_token_creation(client):
    document = client.get("/api/v1/openapi.json").json
    schemas = document["components"]["schemas"]
    body = schemas["TokenCreate"]["properties"]
    answer = schemas["NewToken"]["properties"]

    assert body["expires_in_days"]["minimum"] == 1
    assert body["expires_in_days"]["maximum"] == 730
    assert body["expires_in_days"]["type"] == "integer"
    assert body["read_only"]["type"] == "boolean"
    assert {"expires_at", "read_only", "token"} <= set(answer)
    assert {"expires_at", "read_only"} <= set(schemas["Token"]["properties"])
