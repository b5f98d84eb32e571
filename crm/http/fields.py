"""Field types the crm's schemas share."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo

from callcenter.phones import DEFAULT_REGION, normalize_phone


def _e164(value: str, info: ValidationInfo) -> str:
    """Any way of writing a number, as E.164 (the region for numbers without
    a country code comes from the validation context, i.e. the settings)."""
    phone = normalize_phone(value, (info.context or {}).get("region", DEFAULT_REGION))
    if phone is None:
        raise ValueError("not a phone number")
    return phone


Phone = Annotated[
    str,
    Field(max_length=40, description="A phone number in any format; stored and shown in E.164.", examples=["+79123456789"]),
    AfterValidator(_e164),
]
