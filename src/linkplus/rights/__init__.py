"""The owner's data rights across every domain: the export (GDPR art. 15 and 20, the EU Data
Act) and the erasure of an account (art. 17). It stands above the other domains because it
reads and erases what each of them holds, through each domain's own ``data_export`` and
``data_erasure`` modules."""
