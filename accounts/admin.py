from django.contrib import admin

from . import models

admin.site.register(models.Segment)
admin.site.register(models.Contact)


@admin.register(models.Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "external_id", "segment", "stage", "owner", "arr", "health_score")
    list_filter = ("stage", "segment")
    search_fields = ("name", "external_id", "domain")
