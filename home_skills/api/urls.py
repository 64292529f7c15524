from rest_framework.routers import DefaultRouter

from home_skills.api.views import ChoreViewSet, ItemViewSet, ShoppingListViewSet

router = DefaultRouter()
router.register("lists", ShoppingListViewSet, basename="list")
router.register("items", ItemViewSet, basename="item")
router.register("chores", ChoreViewSet, basename="chore")

urlpatterns = router.urls
