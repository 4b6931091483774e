"""Pulumi components of the Azure MLOps blueprint: one module per component, plus naming, tags, VM sizes."""
