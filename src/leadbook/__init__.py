"""Leadbook: a self-hosted lead book for small teams."""

__version__ = "0.1.0"
