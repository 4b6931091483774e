"""Azure ML CLI v2 templates (``ml_templates/``): offline validation with azure-ai-ml's own loaders.

Importing this package is cheap: azure-ai-ml (about 3 s to import) is loaded only when templates are validated,
so nothing on the ``blueprint preview`` path pays for it.
"""

from blueprint.tools.templates.validate import MissingDependencyError, TemplateProblem, TemplateReport, check_templates, validate_templates

__all__ = ["MissingDependencyError", "TemplateProblem", "TemplateReport", "check_templates", "validate_templates"]
