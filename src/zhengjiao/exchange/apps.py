import importlib
import importlib.util

from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "zhengjiao.exchange"
    label = "exchange"

    def ready(self) -> None:
        # Message handlers register themselves when their module is imported.
        if importlib.util.find_spec(f"{self.name}.messages") is not None:
            importlib.import_module(f"{self.name}.messages")
