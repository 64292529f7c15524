"""The admin site of an instance: its look (title, header and colour band per instance, so nobody edits the
wrong one), an index grouped by skill rather than by Django app, and the dashboard of ``alfred.dashboard``.

Which section a model is listed in is said by its ModelAdmin (``admin_section = Section(...)``), so a skill app
files its own models and the core names none of them. Third-party apps (auth, tokens, the login lockout, TOTP
devices) are filed by app label below; anything else keeps its app's name, after the rest.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.functional import Promise
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

# The colour of each instance's header band: home green, biz blue, as the issue asks (and nothing else alike).
INSTANCE_COLOURS = {
    "home": {"band": "#2e7d32", "header": "#1b5e20", "primary": "#388e3c", "link": "#2e7d32"},
    "biz": {"band": "#1565c0", "header": "#0d47a1", "primary": "#1976d2", "link": "#1565c0"},
}


@dataclass(frozen=True)
class Section:
    """A group of models on the admin index. Skills use orders 10–49; the core's sections come after them."""

    title: "str | Promise"
    order: int

    @property
    def slug(self) -> str:
        return slugify(str(self.title)) or "other"


PEOPLE = Section(_("People and access"), 50)
MESSAGES = Section(_("Messages"), 60)
LLM = Section(_("LLM usage"), 70)
SECURITY = Section(_("Security and audit"), 80)
OTHER_ORDER = 90

# Apps we install but do not write: where their models belong.
APP_SECTIONS = {
    "auth": PEOPLE,
    "axes": SECURITY,
    "otp_totp": SECURITY,
    "otp_static": SECURITY,
}


def instance_title() -> str:
    return f"Alfred · {settings.INSTANCE.title()}"


class AlfredAdminSite(admin.AdminSite):
    index_template = "admin/alfred/index.html"
    login_template = "admin/alfred/login.html"
    # There is no public site to go back to: the admin is Alfred's one web page.
    site_url = None

    def __init__(self, name: str = "admin") -> None:
        from alfred.admin_otp import AdminLoginForm

        super().__init__(name)
        self.login_form = AdminLoginForm
        self.site_header = self.site_title = instance_title()
        self.index_title = _("Administration")

    def has_permission(self, request: HttpRequest) -> bool:
        """Active staff, and verified by their authenticator code when they have one (alfred.admin_otp)."""
        from alfred.admin_otp import second_factor_satisfied

        return super().has_permission(request) and second_factor_satisfied(request)

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().each_context(request)
        context["alfred_instance"] = settings.INSTANCE
        context["alfred_colours"] = INSTANCE_COLOURS.get(settings.INSTANCE, INSTANCE_COLOURS["home"])
        return context

    def section_of(self, model: type[Any]) -> Section:
        section = getattr(self._registry[model], "admin_section", None)
        if isinstance(section, Section):
            return section
        app_label = model._meta.app_label
        if app_label in APP_SECTIONS:
            return APP_SECTIONS[app_label]
        return Section(str(model._meta.app_config.verbose_name), OTHER_ORDER)

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        """The index and the navigation sidebar list sections (one per skill, then the core's); an app's own
        page (``/admin/<app_label>/``) still lists that app's models, as Django does."""
        if app_label is not None:
            return super().get_app_list(request, app_label)
        sections: dict[Section, list[dict[str, Any]]] = {}
        for app in self._build_app_dict(request).values():
            for model in app["models"]:
                sections.setdefault(self.section_of(model["model"]), []).append(model)
        app_list = []
        for section in sorted(sections, key=lambda s: (s.order, str(s.title).lower())):
            app_list.append(
                {
                    "name": section.title,
                    "app_label": f"section-{section.slug}",
                    "app_url": reverse("admin:alfred_section", kwargs={"slug": section.slug}, current_app=self.name),
                    "has_module_perms": True,
                    "models": sorted(sections[section], key=lambda m: str(m["name"])),
                }
            )
        return app_list

    def get_urls(self) -> list[URLResolver | URLPattern]:
        section = path("section/<slug:slug>/", self.admin_view(self.section_view), name="alfred_section")
        return [section, *super().get_urls()]

    def section_view(self, request: HttpRequest, slug: str) -> HttpResponse:
        """One section's models, like Django's page of one app."""
        app_list = [app for app in self.get_app_list(request) if app["app_label"] == f"section-{slug}"]
        if not app_list:
            raise Http404("No such section.")
        context = {
            **self.each_context(request),
            "title": app_list[0]["name"],
            "subtitle": None,
            "app_list": app_list,
            "app_label": app_list[0]["app_label"],
        }
        request.current_app = self.name
        return TemplateResponse(request, "admin/app_index.html", context)

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        from alfred.dashboard import dashboard_cards

        return super().index(request, {"dashboard_cards": dashboard_cards(request), **(extra_context or {})})


class AlfredAdminConfig(AdminConfig):
    """``django.contrib.admin`` with Alfred's site as ``admin.site`` (INSTALLED_APPS names this config)."""

    default_site = "alfred.admin_site.AlfredAdminSite"
