"""Mounted under /api/ by alfred/urls.py when home_skills is installed."""

from django.urls import include, path

urlpatterns = [path("", include("home_skills.api.urls"))]
