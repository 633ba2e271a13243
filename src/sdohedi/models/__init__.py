"""Pydantic models: claims, remittances, acknowledgments, service-log rows and configuration.

The claim models are imported on first use (``from sdohedi.models import Claim``): a job that
reads remittances only does not build them (about 0.14 s of pydantic schema building).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .claim import (
        Address, BillingProvider, Claim, Patient, Payer, Person, Receiver, RenderingProvider, ServiceLine,
        Submitter, Subscriber,
    )

__all__ = [
    "Address", "BillingProvider", "Claim", "Patient", "Payer", "Person", "Receiver", "RenderingProvider",
    "ServiceLine", "Submitter", "Subscriber",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import claim

        return getattr(claim, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
