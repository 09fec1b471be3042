"""The owner's garage: cars linked to an account, the primary account, the ownership check."""
