"""The party node (``exchange node``): the party's own edge, run inside its own network.

Like an X-Road security server or an FSC outway, the node holds the party's keystore and signs every
request to the hub; it keeps the party's own data in its own store and serves the party's staff a
Dutch web workspace behind local accounts. It talks to the hub only through :mod:`exchange.client`
and imports nothing of the hub's code (ADR 0019).
"""
