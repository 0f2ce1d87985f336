from django.apps import AppConfig


class FieldConfig(AppConfig):
    name = "apps.field"
    label = "field"
    verbose_name = "Field operations"
