import yaml


def test_openapi_documents_the_ingest_endpoints_and_every_response(client_for, ada):
    response = client_for(ada).get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    for path in ("/api/v1/inbound/{system_code}/events", "/api/v1/inbound/{system_code}/files"):
        operation = schema["paths"][path]["post"]
        assert set(operation["responses"]) == {
            "200",
            "202",
            "400",
            "401",
            "404",
            "405",
            "413",
            "415",
        }
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}
        assert operation["security"] == []
    assert "IngestAccepted" in schema["components"]["schemas"]
    assert "/api/v1/transactions/{transaction_id}/lineage/" in schema["paths"]
    assert "/api/v1/systems/{code}/secrets/" in schema["paths"]
