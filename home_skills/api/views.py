from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alfred.models import Member
from home_skills import selectors
from home_skills.api.serializers import (
    ChoreSerializer,
    CompletionSerializer,
    ItemAddSerializer,
    ItemSerializer,
    ShoppingListSerializer,
)
from home_skills.models import Chore, Item, ItemState, ShoppingList
from home_skills.services import Rejected
from home_skills.services.chores import chore_complete
from home_skills.services.lists import (
    grocery_items_add,
    grocery_items_mark_bought,
    item_spec,
    shopping_list_get_or_create,
)


class IsMember(permissions.BasePermission):
    """Authenticated *and* linked to an active family member (the API acts as that member)."""

    message = "This login is not linked to an active member."

    def has_permission(self, request: Request, view: APIView) -> bool:
        member = getattr(request.user, "member", None)
        return bool(request.user and request.user.is_authenticated and member is not None and member.is_active)


def acting_member(request: Request) -> Member:
    member: Member = request.user.member  # type: ignore[union-attr]
    return member


class ShoppingListViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.IsAuthenticated, IsMember]
    serializer_class = ShoppingListSerializer
    queryset = ShoppingList.objects.all()


@extend_schema(
    parameters=[
        OpenApiParameter("list", str, description="Only items of this list (name or alias)."),
        OpenApiParameter("state", str, description="open (default), bought, cleared, removed or all."),
    ]
)
class ItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [permissions.IsAuthenticated, IsMember]
    serializer_class = ItemSerializer

    def get_queryset(self) -> Any:
        items = Item.objects.select_related("shopping_list", "aisle", "added_by", "bought_by")
        if self.action != "list":
            return items
        state = self.request.query_params.get("state", ItemState.OPEN)
        if state != "all":
            items = items.filter(state=state)
        name = self.request.query_params.get("list")
        if name:
            found = selectors.shopping_list_find(name)
            items = items.filter(shopping_list=found) if found else items.none()
        return items

    @extend_schema(request=ItemAddSerializer, responses={201: ItemSerializer})
    def create(self, request: Request) -> Response:
        incoming = ItemAddSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            spec = item_spec(name=data["name"], quantity=data.get("quantity"), unit=data.get("unit"))
            shopping_list = shopping_list_get_or_create(name=data.get("list") or None)
        except Rejected as problem:
            raise ValidationError({"detail": problem.code, **{k: str(v) for k, v in problem.params.items()}}) from None
        line = grocery_items_add(shopping_list=shopping_list, items=[spec], member=acting_member(request))[0]
        return Response(ItemSerializer(line.item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"])
    def bought(self, request: Request, pk: str | None = None) -> Response:
        """Check the item off (no-op when it is not open any more)."""
        item = self.get_object()
        grocery_items_mark_bought(items=[item], member=acting_member(request))
        item.refresh_from_db()
        return Response(ItemSerializer(item).data)


class ChoreViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.IsAuthenticated, IsMember]
    serializer_class = ChoreSerializer
    queryset = (
        Chore.objects.filter(is_active=True).select_related("current_assignee").prefetch_related("assignments__member")
    )

    @extend_schema(request=None, responses={200: CompletionSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        """Complete the current occurrence as the token's member: rotates the turn, sets the next due date."""
        member = acting_member(request)
        outcome = chore_complete(chore=self.get_object(), member=member, today=selectors.local_today(member))
        chore = self.get_queryset().get(pk=outcome.chore.pk)
        return Response(
            CompletionSerializer(
                {
                    "chore": chore,
                    "completed": outcome.completed,
                    "already_done": outcome.already_done,
                    "next_due": outcome.next_due,
                    "next_assignee": outcome.next_assignee.name if outcome.next_assignee else None,
                }
            ).data
        )
