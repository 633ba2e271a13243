"""Pydantic models: claims, remittances, acknowledgments, service-log rows and configuration."""

from .claim import (
    Address, BillingProvider, Claim, Patient, Payer, Person, Receiver, RenderingProvider, ServiceLine,
    Submitter, Subscriber,
)

__all__ = [
    "Address", "BillingProvider", "Claim", "Patient", "Payer", "Person", "Receiver", "RenderingProvider",
    "ServiceLine", "Submitter", "Subscriber",
]
