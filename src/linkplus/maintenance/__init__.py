"""Vehicle health and maintenance: warning lights and trouble codes explained, the health
report and its monthly PDF, service reminders, and the service history (docs/maintenance.md)."""
