"""The erasure preview's kept records and the personal-data map agree."""

from __future__ import annotations

from linkplus.config import Settings
from linkplus.privacy import data_map
from linkplus.rights.erasure_rules import KEPT_GROUPS, kept


def test_every_table_the_map_pseudonymises_is_named_in_the_preview() -> None:
    """A table whose rows outlive the account (pseudonymised) must be shown to the owner as
    kept, with its rule; a table added to the map that way fails here until it is."""
    grouped = {table for _, tables, _ in KEPT_GROUPS for table in tables}
    pseudonymised = {
        name for name, entry in data_map.load().tables.items() if entry.erasure == "pseudonymise"
    }
    assert pseudonymised - grouped == set()
    assert grouped <= set(data_map.load().tables)


def test_each_kept_group_names_the_maps_rule_and_this_installations_period() -> None:
    groups = {
        group.what: group for group in kept(data_map.load(), Settings(invoice_retention_years=8))
    }
    invoices = groups["Invoices and credit notes"]
    assert invoices.rule == data_map.load().tables["invoice_documents"].kept_because
    assert invoices.kept_for == "8 years"
    assert (invoices.period, invoices.unit) == (8, "years")
    # The owner reads a period, never the name of the setting behind it.
    assert all("LINKPLUS_" not in group.kept_for for group in groups.values())
    assert all(group.rule for group in groups.values())
