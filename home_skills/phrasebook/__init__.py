"""The home skills' rules: one phrasebook for shopping lists, one for chores (English and Spanish)."""
