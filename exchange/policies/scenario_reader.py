"""Reading a covenant version's scenario file: requests with the decision the jurist expects."""

from __future__ import annotations

from exchange.policies.model import Scenario
from exchange.policies.yamlfields import Collector, require
from exchange.policies.yamlsource import CovenantFileError, Node, ShapeError, parse_yaml
from exchange.vocabulary import Form


def read_scenarios(text: str, file: str) -> list[Scenario]:
    """Read a scenarios file. Raises :class:`CovenantFileError` listing every problem."""
    out = Collector()
    root = parse_yaml(text, file)
    top = out.guard(root.mapping)
    items = out.guard(lambda: require(top or {}, "scenarios", root).sequence()) or []
    scenarios: list[Scenario] = []
    for node in items:

        def one(node: Node = node) -> Scenario:
            m = node.mapping()
            req = require(m, "request", node).mapping()
            expect_node = require(m, "expect", node)
            expect = expect_node.text()
            if expect not in ("allow", "deny"):
                raise ShapeError(expect_node, "expect must be 'allow' or 'deny'")
            form_node = m.get("form")
            form = None
            if form_node is not None:
                try:
                    form = Form(form_node.text())
                except ValueError:
                    raise ShapeError(form_node, "form must be 'hit' or 'content'") from None
            article = m.get("article")
            moment = req.get("moment")
            rnode = m["request"]
            return Scenario(
                name=require(m, "name", node).text(),
                requester=require(req, "requester", rnode).text(),
                role=req["role"].text() if "role" in req else "coordinator",
                provider=require(req, "provider", rnode).text(),
                category=require(req, "category", rnode).text(),
                purpose=require(req, "purpose", rnode).text(),
                phase=require(req, "phase", rnode).text(),
                expect_allow=expect == "allow",
                form=form,
                article=str(article.value) if article is not None else None,
                moment=str(moment.value) if moment is not None else None,
                line=node.line,
                file=file,
            )

        scenario = out.guard(one)
        if scenario is not None:
            scenarios.append(scenario)
    if out.problems:
        raise CovenantFileError(out.problems)
    return scenarios
