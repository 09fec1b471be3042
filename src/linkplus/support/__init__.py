"""Support: "Contact us" by category, support cases with their message thread, and the
customer-centre console's handling of them (docs/support.md)."""
