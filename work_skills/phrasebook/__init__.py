"""The work skills' rules: the CRM phrasebook (English and Spanish)."""
