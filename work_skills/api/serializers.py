from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from work_skills.models import Company, Contact, Deal, Note, Stage
from work_skills.services.crm import MAX_NOTE_CHARS


class ContactSerializer(serializers.ModelSerializer):
    company = serializers.CharField(source="company.name", read_only=True)

    class Meta:
        model = Contact
        fields = ("id", "company", "name", "role", "email", "phone")
        read_only_fields = fields


class CompanySerializer(serializers.ModelSerializer):
    aliases = serializers.SerializerMethodField()

    class Meta:
        model = Company
        fields = ("id", "name", "aliases")
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_aliases(self, obj: Company) -> list[str]:
        return obj.alias_list()


class DealSerializer(serializers.ModelSerializer):
    company = serializers.CharField(source="company.name", read_only=True)
    owner = serializers.CharField(source="owner.name", read_only=True, default=None)

    class Meta:
        model = Deal
        fields = ("id", "company", "title", "stage", "amount", "currency", "expected_close", "owner", "next_step")
        read_only_fields = fields


class NoteSerializer(serializers.ModelSerializer):
    company = serializers.CharField(source="company.name", read_only=True, default=None)
    deal = serializers.CharField(source="deal.title", read_only=True, default=None)
    author = serializers.CharField(source="author.name", read_only=True, default=None)

    class Meta:
        model = Note
        fields = ("id", "company", "deal", "author", "created_at", "text")
        read_only_fields = fields


class NoteAddSerializer(serializers.Serializer):
    """Add a note to a company (named loosely, like in chat); it goes on the company's open deal too when
    there is exactly one."""

    company = serializers.CharField(help_text="Company name or alias; typos are forgiven when one company fits.")
    text = serializers.CharField(max_length=MAX_NOTE_CHARS, trim_whitespace=True)


class StageTotalSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    deals = serializers.IntegerField()
    amounts = serializers.DictField(child=serializers.DecimalField(max_digits=16, decimal_places=2))
