from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .forms import AdminLockoutAuthenticationForm
from .models import Team, User

# /admin/login/ locks out after the same failures as /login/ (one shared counter).
admin.site.login_form = AdminLockoutAuthenticationForm


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (("Role", {"fields": ("role", "team")}),)
    list_display = ("username", "email", "role", "team", "is_active")
    list_filter = ("role", "team", "is_active")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "manager")
