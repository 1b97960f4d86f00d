"""docs/model.md's reference tables are generated from the code and must be current."""

from __future__ import annotations

from sim import reference


def test_docs_reference_tables_are_current():
    text = reference.DOC.read_text()
    assert reference.updated_doc(text) == text, "run `python -m sim.reference` to refresh docs/model.md"


def test_every_action_and_rule_appears_in_the_docs():
    from sim.actions import Action
    from sim.rules import RULES

    text = reference.DOC.read_text()
    assert all(f"`{a.value}`" in text for a in Action)
    assert all(f"`{rid}`" in text for rid in RULES)
