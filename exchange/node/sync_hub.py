"""The hub's side of an index sync (:class:`~exchange.node.folder_sync.IndexHub`): batches signed
with the party's keys as the sync's own user id, and this party's copies of the covenant's
pseudonym keys, checked and opened as :func:`exchange.client.pseudonym_keys.fetch` does."""

from __future__ import annotations

from exchange.client.pseudonym_keys import fetch
from exchange.crypto.keystore import Keystore
from exchange.crypto.pseudonym import PseudonymKey
from exchange.errors import ConfigurationError
from exchange.node.index_runs import SyncInterrupted
from exchange.node.provider_hub import HubTrouble, acting_role, connected, update_index
from exchange.node.runtime import NodeRuntime


class LiveIndexHub:
    """The hub at ``EXCHANGE_NODE_HUB_URL``; each call opens its own signed client."""

    def __init__(self, rt: NodeRuntime) -> None:
        role = acting_role(rt.party.roles, rt.party.roles)
        if role is None:
            raise ConfigurationError(f"the covenants give '{rt.party.id}' no role to act in at the hub")
        self.rt, self.role = rt, role

    def send(self, category: str, add: list[str], remove: list[str], key: str) -> None:
        with connected(self.rt, self.rt.settings.sync_user, self.role) as client:
            update_index(client, category, add, remove, key)

    def keys(self, covenant: str) -> list[PseudonymKey]:
        try:
            with connected(self.rt, self.rt.settings.sync_user, self.role) as client:
                store, _ = fetch(client, Keystore(self.rt.keystore.keys), covenant)
        except HubTrouble as exc:
            raise SyncInterrupted(
                f"cannot fetch the pseudonym keys of '{covenant}' from the hub at {self.rt.settings.hub_url} "
                f"({exc.problem}); nothing was sent. Check EXCHANGE_NODE_HUB_URL and sync again",
                exc.problem,
            ) from None
        return list(store.pseudonym_keys)
