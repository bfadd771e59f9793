from django.apps import AppConfig


class AdminAppConfig(AppConfig):
    name = "admin_app"
    verbose_name = "Navi administration"
