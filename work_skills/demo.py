"""Demo data for ``manage.py seed_demo`` on the biz instance. Idempotent."""

from alfred.models import Member


def seed() -> None:
    Member.objects.update_or_create(name="Owner", defaults={"is_admin": True, "language": "en"})
