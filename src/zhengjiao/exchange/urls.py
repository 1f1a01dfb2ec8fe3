"""The inbound HTTP endpoint for separately deployed sides (filled in by the exchange module)."""

app_name = "exchange"
urlpatterns: list = []
