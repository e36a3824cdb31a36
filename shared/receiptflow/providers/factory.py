"""Build the provider (or provider chain) a command or handler asked for, by name."""

from __future__ import annotations

from receiptflow.ports import Provider
from receiptflow.settings import Settings

PROVIDER_NAMES = ("local", "textract", "openai", "auto")


def build_provider(name: str, settings: Settings) -> Provider:
    """A ready provider for ``name`` (local | textract | openai | auto)."""
    if name == "local":
        from receiptflow.providers.local import LocalProvider

        return LocalProvider(settings)
    raise ValueError(f"unknown provider {name!r}; choose one of {', '.join(PROVIDER_NAMES)}")
