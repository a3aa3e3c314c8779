from django.urls import path

from . import views

app_name = "scorecards"

urlpatterns = [
    path("", views.scorecard_list, name="list"),
    path("<int:pk>/", views.scorecard_detail, name="detail"),
    path("<int:pk>/draft/", views.version_draft, name="version_draft"),
    path("versions/<int:pk>/edit/", views.version_edit, name="version_edit"),
    path("versions/<int:pk>/publish/", views.version_publish, name="version_publish"),
    path("versions/<int:pk>/coverage/", views.version_coverage, name="version_coverage"),
]
