"""The JSON API under /api/v1 (Django Ninja)."""

from ninja import NinjaAPI

api = NinjaAPI(title="Zhengjiao API", version="1", urls_namespace="api")


@api.get("/health", auth=None, tags=["meta"])
def health(request) -> dict:
    return {"status": "ok"}
