"""The composition root, one provider per feature: which adapter serves which port, chosen once
from the settings. A new feature is a folder in application/ and a module here."""

from entrypoints.ioc.registry import build_container

__all__ = ["build_container"]
