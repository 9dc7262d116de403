"""The one settings object: every value comes from a ``DEALBASE_`` environment variable."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MAX_SEATS = 100_000  # a company's seats (they multiply its daily token budget)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEALBASE_", extra="ignore")

    database_url: str = "sqlite:///dealbase.db"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    # The token the first start gives the admin user; random when unset.
    api_token: str | None = None
    company_name: str = "dealbase"
    company_domain: str = "dealbase"
    admin_email: str = "admin@dealbase.local"
    admin_name: str = "Admin"
    default_currency: str = "USD"
    # The first admin's password for the web app (``/login``); unset: the first start makes a
    # random one and prints it once.
    admin_password: str | None = None
    # How long a web app session lasts from sign-in, in hours.
    session_hours: int = Field(336, ge=1)
    # The integration developer's server (``dealbase serve --sandbox``): the control plane on,
    # webhook receivers on this machine allowed, the first company filled with demo data.
    sandbox: bool = False
    # The bearer token of the control plane (``/_dealbase/``); without one (and outside
    # sandbox mode, which makes one) there is no control plane: its paths are 404s.
    control_token: str | None = None
    # The request journal (``/_dealbase/companies/{id}/requests``): the last N requests kept
    # per company; unset: 1,000 in sandbox mode, off otherwise; 0: off.
    journal_size: int | None = Field(None, ge=0)
    # Cap for any single JSON body, in bytes.
    max_body_bytes: int = 1_048_576
    log_level: str = "info"
    # Where uploaded files (attachments, pictures, product images) are kept.
    files_dir: str = "dealbase-files"
    # Cap for one uploaded file, in bytes.
    max_upload_bytes: int = 52_428_800
    # The server's address as clients reach it, for the links it gives out (file download
    # URLs, picture URLs); default http://<host>:<port>.
    public_url: str | None = None
    # OAuth 2.0: an access token's lifetime (the token answers' expires_in), an authorization
    # code's, and how long a refresh token stays valid unused.
    oauth_access_token_seconds: int = 3599
    oauth_code_seconds: int = 300
    oauth_refresh_token_days: int = 60
    # Pipedrive's rate limits (daily token budget, burst window): off for local work.
    rate_limits: bool = False
    # The plan and seats of a company made without them (the first start's company too); each
    # company's limits follow its own (see api/rate_limits.py: PLANS).
    plan: Literal[
        "lite", "growth", "premium", "ultimate", "essential", "advanced", "professional", "power", "enterprise"
    ] = "lite"
    seats: int = Field(1, ge=1, le=MAX_SEATS)
    # Keep the rate limit counters in Redis, shared by every process naming the same prefix;
    # in each process's memory when unset.
    redis_url: str | None = None
    redis_prefix: str = "dealbase"
    # Webhooks (``events/``). Receivers on loopback or private addresses are refused, as
    # Pipedrive refuses them, unless this is on (local work: a listener on 127.0.0.1).
    webhooks_allow_private: bool = False
    # Run the webhook dispatcher in this server process.
    webhooks_dispatch: bool = True
    # Seconds before each retry of a failed delivery (Pipedrive: 3 more tries after 3, 30
    # and 150 s); tests shorten it, e.g. "0.2,0.2,0.2".
    webhooks_retry_delays: str = "3,30,150"
    # A receiver must answer within this many seconds.
    webhooks_timeout: float = 10.0
    # A ban (after 10 failed first attempts) lasts this long; events meanwhile are lost.
    webhooks_ban_seconds: float = 1800.0
    # A webhook with no successful delivery for this long is removed (3 days).
    webhooks_remove_after_seconds: float = 259200.0
    # How often an idle dispatcher looks for due deliveries (writes in this process wake it).
    webhooks_poll_seconds: float = 1.0

    # Smart BCC (``smtp.py``): each company's address is <its mail name>@<smtp_domain> (a
    # deal's <name>+deal<id>@…, a lead's <name>+lead<id>@…), as Pipedrive's are on its own
    # mail domain; a server that takes real mail names the domain its MX record points here.
    smtp_domain: str = "pipedrivemail.com"
    # The SMTP receiver that takes that mail: off unless a port is given.
    smtp_port: int | None = Field(None, ge=1, le=65535)
    smtp_host: str = "127.0.0.1"

    @property
    def base_url(self) -> str:
        """Where clients reach this server: ``public_url``, else http://<host>:<port>."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def webhook_retry_delays(self) -> tuple[float, ...]:
        return tuple(float(part) for part in self.webhooks_retry_delays.split(",") if part.strip())
