from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alfred.models import Member
from work_skills import selectors
from work_skills.api.serializers import (
    CompanySerializer,
    ContactSerializer,
    DealSerializer,
    NoteAddSerializer,
    NoteSerializer,
    StageTotalSerializer,
)
from work_skills.models import Company, Contact, Deal, Note
from work_skills.services import Rejected
from work_skills.services.crm import note_add


class IsMember(permissions.BasePermission):
    """Authenticated *and* linked to an active member (the API acts as that member)."""

    message = "This login is not linked to an active member."

    def has_permission(self, request: Request, view: APIView) -> bool:
        member = getattr(request.user, "member", None)
        return bool(request.user and request.user.is_authenticated and member is not None and member.is_active)


def acting_member(request: Request) -> Member:
    member: Member = request.user.member  # type: ignore[union-attr]
    return member


def company_or_400(reference: str) -> Company:
    found = selectors.company_match(reference)
    if found.company is None:
        raise ValidationError(
            {
                "company": "unknown" if not found.candidates else "ambiguous",
                "candidates": [c.name for c in found.candidates],
                "closest": found.closest.name if found.closest else None,
            }
        )
    return found.company


MEMBERS_ONLY = [permissions.IsAuthenticated, IsMember]


class CompanyViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = MEMBERS_ONLY
    serializer_class = CompanySerializer
    queryset = Company.objects.all()


@extend_schema(parameters=[OpenApiParameter("company", str, description="Only contacts at this company.")])
class ContactViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = MEMBERS_ONLY
    serializer_class = ContactSerializer

    def get_queryset(self) -> Any:
        contacts = Contact.objects.select_related("company")
        name = self.request.query_params.get("company")
        return contacts.filter(company=company_or_400(name)) if name and self.action == "list" else contacts


@extend_schema(
    parameters=[
        OpenApiParameter("stage", str, description="lead, qualified, proposal, negotiation, won or lost."),
        OpenApiParameter("company", str, description="Only deals with this company (name or alias)."),
        OpenApiParameter("closing", str, description="Open deals closing in: " + ", ".join(selectors.PERIODS) + "."),
    ]
)
class DealViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = MEMBERS_ONLY
    serializer_class = DealSerializer

    def get_queryset(self) -> Any:
        deals = Deal.objects.select_related("company", "owner").order_by("expected_close", "id")
        if self.action != "list":
            return deals
        params = self.request.query_params
        if params.get("stage"):
            deals = deals.filter(stage=params["stage"])
        if params.get("company"):
            deals = deals.filter(company=company_or_400(params["company"]))
        period = params.get("closing")
        if period:
            if period not in selectors.PERIODS:
                raise ValidationError({"closing": f"one of {', '.join(selectors.PERIODS)}"})
            start, end = selectors.period_range(period, today=selectors.local_today(acting_member(self.request)))  # type: ignore[arg-type]
            deals = deals.filter(pk__in=[deal.pk for deal in selectors.deals_closing(start=start, end=end)])
        return deals


class NoteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = MEMBERS_ONLY
    serializer_class = NoteSerializer
    queryset = Note.objects.select_related("company", "deal", "author")

    @extend_schema(request=NoteAddSerializer, responses={201: NoteSerializer})
    def create(self, request: Request) -> Response:
        incoming = NoteAddSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        company = company_or_400(incoming.validated_data["company"])
        try:
            note = note_add(company=company, text=incoming.validated_data["text"], author=acting_member(request))
        except Rejected as problem:
            raise ValidationError({"detail": problem.code}) from None
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


class PipelineViewSet(viewsets.ViewSet):
    """Per stage: how many deals and their totals per currency."""

    permission_classes = MEMBERS_ONLY

    @extend_schema(responses={200: StageTotalSerializer(many=True)})
    def list(self, request: Request) -> Response:
        rows = [
            {"stage": row.stage.value, "deals": row.deals, "amounts": row.amounts}
            for row in selectors.pipeline_totals()
        ]
        return Response(StageTotalSerializer(rows, many=True).data)
