from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "zhengjiao.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from zhengjiao.accounts.second_factor import forget_verification

        user_logged_in.connect(forget_verification, dispatch_uid="zj_forget_second_factor")
