"""Legal documents, consents (the Data Privacy Portal) and each car's privacy mode."""
