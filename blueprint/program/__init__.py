"""The deployed Pulumi program: what ``__main__.py`` (and so ``pulumi up``) imports.

It reads the project's and the stack's files, validates the configuration and composes the stack from the
components. It never imports :mod:`blueprint.tools` (a test enforces it): the program runs under the real engine,
where the CLI's tools are not there to help.
"""
