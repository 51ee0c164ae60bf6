from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "authprobe.sandbox.django_two_factor.accounts"
    label = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from authprobe.sandbox.django_two_factor.accounts import signals  # noqa: F401  (connects receivers)
