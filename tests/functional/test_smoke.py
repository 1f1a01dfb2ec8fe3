import pytest


@pytest.mark.django_db
def test_the_api_answers_its_health_check(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
