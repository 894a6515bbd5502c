"""The HTTP service's settings: where the log is, and how callers are known.

Read from ``stafet serve``'s flags, from environment variables (``STAFET_HTTP_*``, e.g.
``STAFET_HTTP_JWKS_URL``; lists as JSON, ``STAFET_HTTP_TRUSTED_PROXIES='["10.0.0.5"]'``) or from
a JSON file (``stafet serve --config FILE``). Every worker process reads the same settings:
``stafet serve`` hands them on in ``STAFET_HTTP_SETTINGS`` (JSON).

    >>> HttpSettings(dev_identity=True).identity_modes()
    ['dev']
    >>> HttpSettings().identity_modes()
    []
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The JWT algorithms accepted by default: asymmetric only (a shared HS256 secret would let any
# service that can check a token also mint one).
DEFAULT_ALGORITHMS = ["RS256", "ES256", "EdDSA"]
DEV_ISSUER = "stafet-dev"
DEV_AUDIENCE = "stafet"


class HttpSettings(BaseSettings):
    """What ``create_app`` needs. Identity: at least one of ``jwks_file``, ``jwks_url``,
    ``trusted_header`` (with ``trusted_proxies``) or ``dev_identity``."""

    model_config = SettingsConfigDict(env_prefix="STAFET_HTTP_", extra="forbid")

    db_url: str | None = Field(None, description="The store (as `stafet --db`); default STAFET_DB "
                               "or sqlite:///stafet.db.")
    read_db_url: str | None = Field(None, description="The read models' database, if apart.")
    policy_file: str | None = Field(None, description="A JSON policy file (as `stafet --policy`).")

    # -- bearer tokens (OIDC) --------------------------------------------------------------
    jwks_file: str | None = Field(None, description="A JWKS file; re-read when it changes.")
    jwks_url: str | None = Field(None, description="The issuer's JWKS URL (cached, refreshed "
                                 "when a token names an unknown key id).")
    jwks_cache_seconds: float = Field(300, gt=0)
    issuer: str | None = Field(None, description="The `iss` every token must carry.")
    audience: str | None = Field(None, description="The `aud` every token must carry.")
    algorithms: list[str] = Field(default_factory=lambda: list(DEFAULT_ALGORITHMS))
    leeway_seconds: int = Field(30, ge=0, le=300, description="Clock skew allowed on exp/nbf.")
    actor_claim: str = Field("sub", description="The claim holding person@org.")
    actor_role_claim: str | None = Field(
        "stafet_role", description="A claim naming the professional role the caller acts in "
        "(recorded as actor_role on commands that give none); not an authorisation role.")

    # -- a trusted identity gateway ------------------------------------------------------
    trusted_header: str | None = Field(None, description="A header holding person@org, set by "
                                       "an identity gateway (e.g. X-Stafet-Actor).")
    trusted_role_header: str | None = Field(None, description="A header holding the role the "
                                            "caller acts in (optional).")
    trusted_proxies: list[str] = Field(default_factory=list, description="Addresses or "
                                       "networks the trusted header is accepted from.")

    # -- demos and tests ------------------------------------------------------------------
    dev_identity: bool = Field(False, description="Trust tokens signed with the local dev key "
                               "(`stafet dev token`). Never in production.")
    dev_key_file: str | None = Field(None, description="The dev key (default: beside the store).")

    # -- reads and the feed -----------------------------------------------------------------
    purpose_header: str = "X-Stafet-Purpose"
    heartbeat_seconds: float = Field(10.0, gt=0)
    poll_seconds: float = Field(0.25, gt=0, description="How often the feed looks for new "
                                "events when no NOTIFY wakes it (SQLite; a fallback on PostgreSQL).")
    retry_after_seconds: int = Field(5, ge=1)
    threads: int = Field(16, ge=1, le=256, description="Requests decided at once per worker.")

    # -- the web view (docs/web.md) ---------------------------------------------------------
    web_session_key_file: str | None = Field(None, description="The key sealing the web view's "
                                             "session cookies (default: beside the store, "
                                             "made on first use).")
    web_idle_minutes: float = Field(30, gt=0, le=24 * 60, description="A web session ends after "
                                    "this long without a request.")
    web_absolute_hours: float = Field(10, gt=0, le=7 * 24, description="A web session ends this "
                                      "long after sign-in, however busy.")
    oidc_client_id: str | None = Field(None, description="The web view's client id at the "
                                       "issuer: turns on 'sign in with the municipality's "
                                       "login' (authorization code with PKCE).")
    oidc_client_secret: str | None = Field(None, description="For a confidential client "
                                           "(optional: PKCE alone serves a public client).")
    oidc_redirect_uri: str | None = Field(None, description="The callback the issuer knows, "
                                          "e.g. https://stafet.kommune.dk/sign-in/oidc/callback "
                                          "(default: this server's own address).")
    oidc_discovery_url: str | None = Field(None, description="The issuer's metadata (default: "
                                           "<issuer>/.well-known/openid-configuration).")
    oidc_scopes: str = Field("openid profile", description="The scopes asked for.")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"'{item}' is not an IP address or network") from None
        return value

    @field_validator("algorithms")
    @classmethod
    def _asymmetric(cls, value: list[str]) -> list[str]:
        for alg in value:
            if alg.upper().startswith("HS") or alg.lower() == "none":
                raise ValueError(f"{alg} is not accepted: only public-key signatures "
                                 "(RS*, PS*, ES*, EdDSA)")
        return value

    def identity_modes(self) -> list[str]:
        modes = []
        if self.jwks_file or self.jwks_url:
            modes.append("jwt")
        if self.trusted_header:
            modes.append("gateway")
        if self.dev_identity:
            modes.append("dev")
        return modes

    def problems(self) -> list[str]:
        """Why these settings cannot start a server (empty: they can)."""
        found = []
        if not self.identity_modes():
            found.append("no identity configuration: give --jwks-url or --jwks-file (with "
                         "--issuer and --audience), --trusted-header with --trusted-proxy, or "
                         "--dev-identity for a demo")
        if (self.jwks_file or self.jwks_url) and not (self.issuer and self.audience):
            found.append("a JWKS needs --issuer and --audience: every token's iss and aud are "
                         "checked")
        if self.jwks_file and not Path(self.jwks_file).is_file():
            found.append(f"the JWKS file {self.jwks_file} does not exist")
        if self.oidc_client_id and not (self.issuer and (self.jwks_url or self.jwks_file)):
            found.append("--oidc-client-id needs the issuer's keys (--jwks-url or --jwks-file, "
                         "with --issuer and --audience): the ID token is checked against them")
        if self.trusted_header and not self.trusted_proxies:
            found.append("--trusted-header needs --trusted-proxy: the header is accepted only "
                         "from the gateway's addresses")
        return found
