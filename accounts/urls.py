from django.urls import path

from .views import imports, ledger, lifecycle, pages, settings

app_name = "accounts"

urlpatterns = [
    path("", pages.account_list, name="list"),
    path("bad-fit/", pages.bad_fit_list, name="bad_fit"),
    path("search/", pages.search, name="search"),
    path("views/", pages.saved_view_create, name="saved_view_create"),
    path("views/<int:pk>/delete/", pages.saved_view_remove, name="saved_view_delete"),
    path("import/", imports.import_csv, name="import"),
    path("interactions/new/", ledger.interaction_create, name="interaction_log"),
    path("interactions/contacts/", ledger.interaction_contacts, name="interaction_contacts"),
    path("<int:pk>/", pages.account_detail, name="detail"),
    path("<int:pk>/edit/", pages.account_edit, name="edit"),
    path("<int:pk>/timeline/", pages.account_timeline, name="timeline"),
    path("<int:pk>/contacts/new/", pages.contact_edit, name="contact_new"),
    path("<int:pk>/contacts/<int:contact_id>/", pages.contact_edit, name="contact_edit"),
    path("<int:pk>/ledger/", pages.account_ledger, name="ledger"),
    path("<int:pk>/archive/", lifecycle.account_archive_view, name="archive"),
    path(
        "<int:pk>/contacts/<int:contact_id>/erase/",
        lifecycle.contact_erase_view,
        name="contact_erase",
    ),
    path("<int:pk>/interactions/new/", ledger.interaction_create, name="interaction_create"),
    path("<int:pk>/ledger/new/", ledger.ledger_entry_create, name="ledger_entry_create"),
    path(
        "<int:pk>/ledger/<int:entry_id>/reverse/",
        ledger.ledger_entry_reverse,
        name="ledger_entry_reverse",
    ),
    # --- admin settings ---
    path("settings/", settings.settings_index, name="settings"),
    path("settings/archived/", lifecycle.archived_list, name="settings_archived"),
    path(
        "settings/archived/<int:pk>/restore/",
        lifecycle.account_restore_view,
        name="settings_archived_restore",
    ),
    path(
        "settings/archived/<int:pk>/delete/",
        lifecycle.account_delete_view,
        name="settings_archived_delete",
    ),
    path("settings/icp/new/", settings.icp_edit, name="settings_icp_new"),
    path("settings/icp/<int:pk>/", settings.icp_edit, name="settings_icp"),
    path("settings/icp/<int:pk>/delete/", settings.icp_delete, name="settings_icp_delete"),
    path(
        "settings/icp/<int:pk>/criteria/new/",
        settings.icp_criterion_edit,
        name="settings_criterion_new",
    ),
    path(
        "settings/icp/<int:pk>/criteria/<int:criterion_id>/",
        settings.icp_criterion_edit,
        name="settings_criterion",
    ),
    path(
        "settings/icp/<int:pk>/criteria/<int:criterion_id>/delete/",
        settings.icp_criterion_delete,
        name="settings_criterion_delete",
    ),
    path("settings/trust-rules/", settings.trust_rules, name="settings_trust_rules"),
    path("settings/trust-rules/<int:pk>/", settings.trust_rules, name="settings_trust_rule"),
    path(
        "settings/trust-rules/<int:pk>/delete/",
        settings.trust_rule_delete,
        name="settings_trust_rule_delete",
    ),
    path("settings/trust-policy/", settings.trust_policy, name="settings_trust_policy"),
    path("settings/segments/new/", settings.segment_edit, name="settings_segment_new"),
    path("settings/segments/<int:pk>/", settings.segment_edit, name="settings_segment"),
]
