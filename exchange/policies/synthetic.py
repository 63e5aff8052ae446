"""Synthetic covenants of any size, for benchmarks and property tests.

A national deployment has 150+ municipalities; a realistic covenant has tens of flows. To measure
the decision engine at 10,000 policy rows and to test it on shapes no jurist wrote, this builds a
deterministic covenant from a seed: parties, groups, attribute requirements and role restrictions.
"""

from __future__ import annotations

import random
from datetime import date

from exchange.policies.model import (
    ArticleText,
    CategoryDef,
    Covenant,
    Flow,
    Group,
    Party,
    PartyRole,
    PurposeDef,
)
from exchange.vocabulary import (
    Article,
    Category,
    CovenantId,
    CovenantRef,
    Form,
    GroupId,
    LegalGround,
    PartyId,
    Phase,
    Purpose,
    Role,
    Sensitivity,
)

ROLES = (Role("coordinator"), Role("employee"), Role("privacy-officer"), Role("jurist"))


def synthetic_covenant(
    seed: int = 1, parties: int = 60, flows: int = 1000, categories: int = 40, purposes: int = 8
) -> Covenant:
    """A valid covenant with about ``flows`` × 10 policy rows (one row per party pair, two
    categories and five phases per flow, group ends expanded by Casbin, not by the compiler)."""
    rnd = random.Random(seed)  # noqa: S311 - deterministic test data, not secrets
    party_ids = [PartyId(f"party-{i:03d}") for i in range(parties)]
    party_map = {
        pid: Party(
            pid,
            f"Party {pid}",
            "municipality",
            PartyRole.SIGNATORY,
            frozenset({"infosec"}) if rnd.random() < 0.8 else frozenset(),
        )
        for pid in party_ids
    }
    groups = {}
    for g in range(max(1, parties // 10)):
        gid = GroupId(f"group-{g:02d}")
        groups[gid] = Group(gid, f"Group {g}", tuple(rnd.sample(party_ids, k=min(5, parties))))
    cats = [Category(f"cat-{i:03d}") for i in range(categories)]
    purps = [Purpose(f"purpose-{i:02d}") for i in range(purposes)]
    phases = list(Phase)
    ends = [*party_ids, *groups]
    flow_list = []
    for i in range(flows):
        flow_phases = tuple(sorted(rnd.sample(phases, k=5), key=phases.index))
        flow_list.append(
            Flow(
                id=f"flow-{i:05d}",
                providers=(str(rnd.choice(ends)),),
                recipients=(str(rnd.choice(ends)),),
                categories=tuple(rnd.sample(cats, k=2)),
                purpose=rnd.choice(purps),
                phases=flow_phases,
                form=rnd.choice([Form.HIT, Form.CONTENT]),
                ground=LegalGround(f"Wet {i % 17} art. {i % 89 + 1}"),
                article=Article(str(i % 20 + 1)),
                roles=(rnd.choice(ROLES),) if rnd.random() < 0.3 else (),
                requires_recipient=frozenset({"infosec"}) if rnd.random() < 0.3 else frozenset(),
                requires_provider=frozenset({"infosec"}) if rnd.random() < 0.1 else frozenset(),
            )
        )
    return Covenant(
        ref=CovenantRef(CovenantId("synthetic"), str(seed)),
        title=f"Synthetic covenant {seed}",
        effective_from=date(2020, 1, 1),
        effective_until=None,
        query_limit=10,
        roles=ROLES,
        phases=tuple(Phase),
        parties=party_map,
        groups=groups,
        articles={
            Article(str(n)): ArticleText(Article(str(n)), f"Article {n}", "Synthetic.") for n in range(1, 21)
        },
        purposes={p: PurposeDef(p, p, (LegalGround("AVG art. 6 lid 1 sub e"),)) for p in purps},
        categories={c: CategoryDef(c, c, Sensitivity.ORDINARY, 365) for c in cats},
        flows=tuple(flow_list),
    )
