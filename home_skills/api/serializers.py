from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from home_skills.models import Chore, Item, ShoppingList, Unit
from home_skills.services.lists import MAX_NAME_CHARS, MAX_QUANTITY


class ShoppingListSerializer(serializers.ModelSerializer):
    to_buy = serializers.SerializerMethodField()

    class Meta:
        model = ShoppingList
        fields = ("id", "name", "aliases", "is_default", "to_buy")

    @extend_schema_field(serializers.IntegerField())
    def get_to_buy(self, obj: ShoppingList) -> int:
        return obj.items.filter(state="open").count()


class ItemSerializer(serializers.ModelSerializer):
    list = serializers.CharField(source="shopping_list.name", read_only=True)
    aisle = serializers.SerializerMethodField()
    added_by = serializers.CharField(source="added_by.name", read_only=True, default=None)
    bought_by = serializers.CharField(source="bought_by.name", read_only=True, default=None)

    class Meta:
        model = Item
        fields = (
            "id",
            "list",
            "name",
            "quantity",
            "unit",
            "aisle",
            "note",
            "state",
            "added_by",
            "added_at",
            "bought_at",
            "bought_by",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_aisle(self, obj: Item) -> str | None:
        return obj.aisle.name_en if obj.aisle else None


class ItemAddSerializer(serializers.Serializer):
    """Add one item; the same name already open on the list is merged (quantities summed)."""

    list = serializers.CharField(required=False, allow_blank=True, help_text="List name; default list if empty.")
    name = serializers.CharField(max_length=MAX_NAME_CHARS, trim_whitespace=True)
    quantity = serializers.DecimalField(
        max_digits=12,
        decimal_places=3,
        required=False,
        allow_null=True,
        min_value=Decimal("0.001"),
        max_value=MAX_QUANTITY,
    )
    unit = serializers.ChoiceField(choices=Unit.choices, required=False, allow_blank=True)


class ChoreSerializer(serializers.ModelSerializer):
    assignees = serializers.SerializerMethodField()
    current_assignee = serializers.CharField(source="current_assignee.name", read_only=True, default=None)

    class Meta:
        model = Chore
        fields = (
            "id",
            "title",
            "aliases",
            "recurrence",
            "basis",
            "strategy",
            "assignees",
            "current_assignee",
            "next_due",
            "is_active",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_assignees(self, obj: Chore) -> list[str]:
        return [a.member.name for a in obj.assignments.all()]


class CompletionSerializer(serializers.Serializer):
    chore = ChoreSerializer()
    completed = serializers.BooleanField()
    already_done = serializers.BooleanField()
    next_due = serializers.DateField(allow_null=True)
    next_assignee = serializers.CharField(allow_null=True, help_text="Who is on duty next.")
