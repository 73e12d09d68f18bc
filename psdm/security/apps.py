from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class SecurityConfig(AppConfig):
    name = "psdm.security"
    label = "security"
    verbose_name = "Security"
    default = True

    def ready(self):
        from . import checks  # noqa: F401 - registers the system checks


class AdminConfig(admin_apps.AdminConfig):
    """Django's admin on our AdminSite: two-factor codes for those who use them."""

    default = False
    default_site = "psdm.security.admin_site.AdminSite"
