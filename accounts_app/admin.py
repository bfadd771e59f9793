from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts_app.models import User


@admin.register(User)
class NaviUserAdmin(UserAdmin):
    list_display = ("username", "email", "display_name", "role", "is_active")
    fieldsets = UserAdmin.fieldsets + (("Navi", {"fields": ("display_name", "role", "permissions")}),)
