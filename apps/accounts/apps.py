from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Accounts and access"

    def ready(self):
        from apps.accounts import schema, signals  # noqa: F401  (schema ext., audit receivers)
