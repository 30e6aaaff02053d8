"""The accounts domain's configuration, built from the app's settings."""

from __future__ import annotations

from datetime import timedelta

from bikenode.accounts.logic import TokenSettings
from bikenode.accounts.passwords import PasswordHashing
from bikenode.accounts.service import AccountsConfig
from bikenode.config import Settings


def build_accounts_config(settings: Settings) -> AccountsConfig:
    """Password hashing and token settings from configuration."""
    return AccountsConfig(
        hashing=PasswordHashing(
            memory_kib=settings.argon2_memory_kib,
            time_cost=settings.argon2_time_cost,
            max_concurrent=settings.max_concurrent_password_hashes,
            wait_s=settings.password_hash_wait_s,
        ),
        tokens=TokenSettings(
            secret=settings.effective_secret_key,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl=timedelta(seconds=settings.access_token_ttl_s),
        ),
        session_idle_ttl=timedelta(seconds=settings.session_idle_ttl_s),
        session_absolute_ttl=timedelta(seconds=settings.session_absolute_ttl_s),
        refresh_grace=timedelta(seconds=settings.refresh_grace_s),
    )
