"""{% gds_field %}: the pack's field template, drawn by psdm.govuk_forms.fields."""

from django import template

from ..fields import drawable, field_html

register = template.Library()


class GdsFieldNode(template.Node):
    def __init__(self, origin):
        self.origin = origin  # this override's own template, to skip

    def render(self, context):
        field = context.get("field")
        if field is not None and hasattr(field, "field") and drawable(field):
            return field_html(context)
        # Checkboxes, multi-value widgets: crispy-forms-gds' own template.
        engine = context.template.engine
        pack, _ = engine.find_template("gds/field.html", skip=[self.origin])
        return pack.render(context)


@register.tag
def gds_field(parser, token):
    return GdsFieldNode(parser.origin)
