from django.apps import AppConfig


class GovukFormsConfig(AppConfig):
    name = "psdm.govuk_forms"
    label = "govuk_forms"
    verbose_name = "GOV.UK form fields"
