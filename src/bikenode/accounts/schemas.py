"""Wire formats of the accounts API (kept apart from the tables)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Role = Literal["rider", "mechanic", "club_admin", "admin"]
Units = Literal["metric", "imperial"]


class StrictModel(BaseModel):
    """Request bodies: strict types (true is not a number), no unknown fields, finite floats."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class Register(StrictModel):
    email: str = Field(max_length=254, examples=["ada@example.org"])
    password: str = Field(max_length=1024, examples=["correct horse battery staple"])
    display_name: str = Field(min_length=1, max_length=100, examples=["Ada"])


class Login(StrictModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class RefreshRequest(StrictModel):
    refresh_token: str = Field(min_length=1, max_length=256)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int = Field(description="seconds until the access token expires")


class UserUpdate(StrictModel):
    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    units: Units | None = None
    timezone: str | None = Field(default=None, max_length=64, examples=["Europe/Paris"])
    ftp_w: int | None = Field(
        default=None, ge=30, le=2500, description="functional threshold power"
    )
    max_hr_bpm: int | None = Field(default=None, ge=100, le=250)
    weight_kg: float | None = Field(
        default=None,
        ge=20,
        le=300,
        description="body weight in kilograms, at most one decimal; stored encrypted",
        examples=[72.5],
    )
    resting_hr_bpm: int | None = Field(
        default=None, ge=25, le=120, description="resting heart rate; stored encrypted"
    )
    share_health_by_default: bool | None = Field(
        default=None,
        description="show heart rate and power of your public rides to others, unless a ride "
        "says otherwise (its share_health)",
    )
    birth_year: int | None = Field(default=None, ge=1900, le=2100, description="for age classes")
    share_board_classes: bool | None = Field(
        default=None,
        description="rank you in segment boards' age and weight classes (from your birth "
        "year and weight); off by default",
    )

    @field_validator("weight_kg")
    @classmethod
    def _one_decimal(cls, value: float | None) -> float | None:
        if value is not None and round(value, 1) != value:
            raise ValueError("expected kilograms with at most one decimal, like 72.5")
        return value


class PasswordChange(StrictModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class RoleChange(StrictModel):
    role: Role


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    display_name: str
    role: Role
    units: Units
    timezone: str
    ftp_w: int | None
    max_hr_bpm: int | None
    share_health_by_default: bool
    birth_year: int | None = None
    share_board_classes: bool = False
    moderator: bool = Field(description="granted moderation by an admin (admins always are)")
    created_at: datetime


class SessionPublic(BaseModel):
    """One of your signed-in sessions (a sign-in and the refreshes since)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    started_at: datetime = Field(description="when you signed in")
    last_used_at: datetime = Field(description="the sign-in or the latest token refresh")
    expires_at: datetime = Field(description="ends here unless refreshed before (idle timeout)")
    absolute_expires_at: datetime = Field(description="ends here however often it is refreshed")
    current: bool = Field(description="true for the session this request comes from")


class UserPrivate(UserPublic):
    """The signed-in user's own view: the profile plus health values no one else is shown."""

    weight_kg: float | None = Field(description="kilograms; shown only to you")
    resting_hr_bpm: int | None = Field(description="beats per minute; shown only to you")


class MfaRequired(BaseModel):
    """The password was right; send a TOTP or recovery code to /auth/login/mfa next."""

    mfa_required: Literal[True] = True
    mfa_token: str = Field(description="a 5-minute token for the second step")
    expires_in: int = Field(description="seconds until the second-step token expires")


class MfaLogin(StrictModel):
    mfa_token: str = Field(min_length=1, max_length=2048)
    code: str = Field(
        min_length=1, max_length=64, description="a 6-digit TOTP code or a recovery code"
    )


class PasswordConfirmation(StrictModel):
    current_password: str = Field(max_length=1024)


class MfaCode(StrictModel):
    code: str = Field(min_length=1, max_length=64)


class MfaDisable(StrictModel):
    current_password: str = Field(max_length=1024)
    code: str = Field(min_length=1, max_length=64)


class TotpEnrolmentPublic(BaseModel):
    secret: str = Field(description="base32; type it into the app if the QR code cannot be read")
    otpauth_uri: str
    qr_svg_url: str


class RecoveryCodes(BaseModel):
    recovery_codes: list[str] = Field(description="each works once; shown only now")


class MfaStatus(BaseModel):
    enabled: bool
    pending_enrolment: bool
    recovery_codes_left: int


class RatePlanUpdate(StrictModel):
    tier: Literal["standard", "premium"]
    requests_per_minute: int | None = Field(
        default=None, ge=1, le=1_000_000, description="an override replacing the tier's limit"
    )


class RatePlanPublic(BaseModel):
    user_id: uuid.UUID
    tier: Literal["standard", "premium"]
    requests_per_minute: int | None


class PasswordResetRequest(StrictModel):
    email: str = Field(max_length=254, examples=["ada@example.org"])


class RegistrationAccepted(BaseModel):
    detail: str = Field(
        default=(
            "if this address is new, its account is ready: sign in with it; if it already "
            "has an account, we sent it an e-mail saying so"
        )
    )


class PasswordResetAccepted(BaseModel):
    detail: str = Field(
        default=(
            "if an account exists for this address, a reset link is on its way to it; "
            "the link works once, for 30 minutes"
        )
    )


class PasswordResetConfirm(StrictModel):
    token: str = Field(min_length=1, max_length=256, description="from the e-mailed link")
    new_password: str = Field(max_length=1024)
    code: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="a TOTP or recovery code, needed when the account has two-factor sign-in",
    )
