"""Starting a node: settings, covenants, keystore, store and data key, checked before it serves.

A node that cannot open its keystore, finds no party of that name in the covenants, or holds data its
keystore cannot open refuses to start with a :class:`ConfigurationError` that says why and what to do.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from exchange.crypto.keystore import Keystore, KeystoreError, WrongPassphrase, read_keystore
from exchange.errors import ConfigurationError
from exchange.node import fetched_keys
from exchange.node.oidc import OidcRefused, OpenIdClient, ProviderConfig
from exchange.node.oidc_accounts import load_role_map
from exchange.node.party import PartyProfile, party_profile
from exchange.node.sealing import DataKey, SealedDataError, derive_data_key, open_sealed, seal
from exchange.node.settings import LocalSignIn, NodeSettings
from exchange.node.signin import Policy
from exchange.node.store import MetaRow, make_engine, sessions, upgrade
from exchange.policies.files import load_tree

#: Sealed under the data key at the first start; opened at every later one.
CHECK_PLAINTEXT = b"exchange-node-store-v1"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OidcSetup:
    """Sign-in through the organisation's OpenID provider, as the settings configure it."""

    client: OpenIdClient
    #: Provider group -> node roles (each one the covenants let the party hold).
    roles: dict[str, tuple[str, ...]]
    #: "Aanmelden met <display_name>".
    display_name: str
    post_logout_redirect_uri: str


@dataclass
class NodeRuntime:
    settings: NodeSettings
    party: PartyProfile
    keystore: Keystore
    data_key: DataKey
    engine: Engine
    sessions: sessionmaker[Any]
    policy: Policy
    clock: Callable[[], datetime] = field(default=_now)
    oidc: OidcSetup | None = None


def load_party(settings: NodeSettings) -> PartyProfile:
    party = settings.require_party()
    tree = settings.convenant_dir
    if not tree.is_dir():
        raise ConfigurationError(
            f"no covenant directory at {tree}; set EXCHANGE_NODE_CONVENANT_DIR to the covenant tree"
        )
    return party_profile((v.covenant for v in load_tree(tree)), party)


def open_store(settings: NodeSettings) -> tuple[Engine, sessionmaker[Any]]:
    engine = make_engine(settings.database_url())
    upgrade(engine)
    return engine, sessions(engine)


def open_party_keystore(settings: NodeSettings, party: str) -> Keystore:
    passphrase = settings.read_passphrase()
    try:
        store = read_keystore(settings.keystore, passphrase)
    except WrongPassphrase:
        raise ConfigurationError(
            f"the passphrase does not open the keystore {settings.keystore}; the node does not start. "
            "Check the file EXCHANGE_NODE_PASSPHRASE_FILE names"
        ) from None
    except KeystoreError as exc:
        raise ConfigurationError(f"cannot open the keystore: {exc}; the node does not start") from None
    if store.party != party:
        raise ConfigurationError(
            f"the keystore {settings.keystore} belongs to '{store.party}', not to '{party}' "
            "(EXCHANGE_NODE_PARTY)"
        )
    return store


def bind_data_key(session: Session, store: Keystore) -> DataKey:
    """The store's data key: on first use derived from the keystore's current key version and
    recorded; later from the recorded version, checked by opening the sealed check value."""
    version_row = session.get(MetaRow, "data_key_version")
    if version_row is None:
        key = derive_data_key(store, store.keys.current.version)
        check = base64.b64encode(seal(key, CHECK_PLAINTEXT)).decode("ascii")
        session.add(MetaRow(key="data_key_version", value=str(key.version)))
        session.add(MetaRow(key="data_key_check", value=check))
        return key
    key = derive_data_key(store, int(version_row.value))
    check_row = session.get(MetaRow, "data_key_check")
    try:
        if check_row is None or open_sealed(key, base64.b64decode(check_row.value)) != CHECK_PLAINTEXT:
            raise SealedDataError()
    except (SealedDataError, ValueError):
        raise ConfigurationError(
            "this keystore does not open the node's store (its data key check failed); "
            "is EXCHANGE_NODE_KEYSTORE the keystore this store was made with?"
        ) from None
    return key


def oidc_setup(settings: NodeSettings, party: PartyProfile) -> OidcSetup | None:
    """The OpenID provider's client and the group mapping, None when no issuer is configured; a
    configuration error names the variable that is missing or wrong."""
    if settings.local_sign_in is LocalSignIn.ADMINS:
        if not settings.oidc_issuer:
            raise ConfigurationError(
                "EXCHANGE_NODE_LOCAL_SIGN_IN=admins leaves staff no way to sign in without "
                "EXCHANGE_NODE_OIDC_ISSUER; set both, or LOCAL_SIGN_IN=everyone"
            )
        if not settings.admin_names():
            raise ConfigurationError(
                "EXCHANGE_NODE_LOCAL_SIGN_IN=admins needs EXCHANGE_NODE_ADMINS: the local accounts that may "
                "still sign in when the OpenID provider is down"
            )
    if not settings.oidc_issuer:
        return None
    missing = [
        name
        for name, value in (
            ("EXCHANGE_NODE_OIDC_CLIENT_ID", settings.oidc_client_id),
            ("EXCHANGE_NODE_OIDC_REDIRECT_URI", settings.oidc_redirect_uri),
            ("EXCHANGE_NODE_OIDC_DISPLAY_NAME", settings.oidc_display_name),
        )
        if not value
    ]
    if missing:
        raise ConfigurationError(f"EXCHANGE_NODE_OIDC_ISSUER is set, so set {', '.join(missing)} too")
    if "openid" not in settings.oidc_scopes.split():
        raise ConfigurationError("EXCHANGE_NODE_OIDC_SCOPES must include 'openid'")
    roles = load_role_map(settings.oidc_roles_file, party)
    redirect = settings.oidc_redirect_uri
    post_logout = settings.oidc_post_logout_redirect_uri or (
        redirect.split("/aanmelden/")[0] + "/aanmelden?afgemeld=1"
    )
    client = OpenIdClient(
        ProviderConfig(
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id,
            client_secret=settings.read_oidc_client_secret(),
            redirect_uri=redirect,
            scopes=settings.oidc_scopes,
            groups_claim=settings.oidc_groups_claim,
            leeway_seconds=settings.oidc_clock_skew_seconds,
            timeout_seconds=settings.hub_timeout_seconds,
        )
    )
    # The discovery document is fetched now if the provider is up, else at the first sign-in: a node
    # whose provider is away still starts, so its administrators can sign in locally.
    with contextlib.suppress(OidcRefused):
        client.metadata()
    return OidcSetup(client, roles, settings.oidc_display_name, post_logout)


def start(settings: NodeSettings, clock: Callable[[], datetime] = _now) -> NodeRuntime:
    """Everything the node needs to serve, or a :class:`ConfigurationError` saying what is wrong."""
    party = load_party(settings)
    settings.check_console_url()
    keystore = open_party_keystore(settings, party.id)
    engine, factory = open_store(settings)
    with factory.begin() as session:
        data_key = bind_data_key(session, keystore)
        try:
            keystore = fetched_keys.with_keys(keystore, fetched_keys.stored(session, data_key))
        except SealedDataError:
            raise ConfigurationError(
                "a pseudonym key the node fetched from the hub does not open with this keystore's data key; "
                "the node does not start"
            ) from None
    policy = Policy(
        max_failures=settings.max_failed_sign_ins,
        lockout=timedelta(minutes=settings.lockout_minutes),
        idle=timedelta(minutes=settings.idle_timeout_minutes),
        profile=settings.password_profile,
        local_only=settings.admin_names() if settings.local_sign_in is LocalSignIn.ADMINS else None,
    )
    oidc = oidc_setup(settings, party)
    return NodeRuntime(settings, party, keystore, data_key, engine, factory, policy, clock, oidc)
