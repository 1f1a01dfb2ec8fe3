import importlib
import importlib.util

from django.apps import AppConfig


class ArrearsConfig(AppConfig):
    name = "zhengjiao.arrears"
    label = "arrears"
    verbose_name = "欠费"

    def ready(self) -> None:
        # Message handlers register themselves when their module is imported.
        if importlib.util.find_spec(f"{self.name}.messages") is not None:
            importlib.import_module(f"{self.name}.messages")
