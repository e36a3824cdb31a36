"""Provider-test fixtures (shared with the other level: ``tests.support.provider_fixtures``)."""

from tests.support.provider_fixtures import _fresh_providers, make_doc, no_wait

__all__ = ["_fresh_providers", "make_doc", "no_wait"]
