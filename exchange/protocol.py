"""The wire rules a party's client and the hub share: header names, the signature profile, limits.

Both sides import these names from here, so a party's software needs nothing of the hub (no
database, no web framework) to speak to it, and the two cannot drift apart. This module holds
constants and pure checks only; it does no I/O.

A party request carries one RFC 9421 HTTP Message Signature with tag ``exchange-v1`` that covers
``@method``, ``@target-uri``, ``content-digest`` (RFC 9530, over the exact body bytes, also for an
empty body), ``exchange-user`` and ``exchange-role``, with ``created``, ``keyid`` and a ``nonce`` of
16 to 128 characters. A POST that changes state may carry an ``Idempotency-Key``: the hub does the
action once per (party, user, role, route, key) and answers a retry with the stored response
(docs/api.md).
"""

from __future__ import annotations

import re
from typing import Final

#: RFC 9421 section 2.3 ``tag`` parameter: names this profile, so a signature made for another
#: application cannot be replayed here.
SIGNATURE_TAG: Final = "exchange-v1"

#: RFC 9530 Content-Digest field, covered by the signature so the body cannot be swapped.
CONTENT_DIGEST: Final = "content-digest"

USER_HEADER: Final = "Exchange-User"
ROLE_HEADER: Final = "Exchange-Role"

#: The components every exchange-v1 signature must cover (RFC 9421 section 2), in signing order.
COVERED_COMPONENTS: Final = (
    "@method",
    "@target-uri",
    CONTENT_DIGEST,
    USER_HEADER.lower(),
    ROLE_HEADER.lower(),
)

#: Exchange-User and Exchange-Role values: identifiers, never names or other personal data.
IDENTIFIER: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")

IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
#: What an Idempotency-Key may look like.
IDEMPOTENCY_KEY: Final = r"^[A-Za-z0-9._:-]{8,200}$"

#: RFC 9110 section 10.2.3: how long to wait before retrying a 503.
RETRY_AFTER_HEADER: Final = "Retry-After"

#: The dossier envelope ``category`` of a forwarded signal; its ``case`` and ``item`` are both the
#: forward's id, ``fwd-`` and 32 lowercase hex digits (docs/specs/forwards.md).
FORWARD_CATEGORY: Final = "signal-forward"
FORWARD_ID: Final = re.compile(r"^fwd-[0-9a-f]{32}$")
#: The response header of a hit/no-hit query listing the (provider, category) pairs the covenant
#: allows the caller for the case's purpose only in another phase (docs/specs/hit-states.md).
NOT_IN_PHASE_HEADER: Final = "Exchange-Not-In-Phase"
