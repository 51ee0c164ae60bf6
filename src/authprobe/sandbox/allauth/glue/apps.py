from django.apps import AppConfig


class GlueConfig(AppConfig):
    name = "authprobe.sandbox.allauth.glue"
    label = "glue"
    verbose_name = "Glue"

    def ready(self) -> None:
        from authprobe.sandbox.allauth.glue import admin, signals  # noqa: F401  (registers them)
