"""The home API under /api/: lists, items (add, check off), chores (list, complete). Token auth, one token
per member (made in the admin); a user without a member gets 403."""
