from rest_framework.routers import DefaultRouter

from work_skills.api.views import CompanyViewSet, ContactViewSet, DealViewSet, NoteViewSet, PipelineViewSet

router = DefaultRouter()
router.register("companies", CompanyViewSet, basename="company")
router.register("contacts", ContactViewSet, basename="contact")
router.register("deals", DealViewSet, basename="deal")
router.register("notes", NoteViewSet, basename="note")
router.register("pipeline", PipelineViewSet, basename="pipeline")

urlpatterns = router.urls
