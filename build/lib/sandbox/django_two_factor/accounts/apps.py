from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "sandbox.django_two_factor.accounts"
    label = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sandbox.django_two_factor.accounts import signals  # noqa: F401  (connects receivers)
