"""The CRM API under /api/: companies, contacts, deals (filter by stage, company, close period), notes (list,
add) and the pipeline. Token auth, one token per member (made in the admin); a user without a member gets 403."""
