"""People who use csplatform: CSMs, managers and admins, grouped in teams."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    CSM = "csm", "Customer success manager"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Admin"


class Team(models.Model):
    """A group of CSMs led by one manager; a manager may lead several teams."""

    name = models.CharField(max_length=100, unique=True)
    manager = models.ForeignKey(
        "users.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A platform user; `role` decides which customer accounts they see and what they may do."""

    role = models.CharField(max_length=10, choices=Role.choices, default=Role.CSM)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )

    class Meta:
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="user_role_valid")
        ]

    @property
    def is_csm(self) -> bool:
        return self.role == Role.CSM

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_admin_role(self) -> bool:
        """Admins (or Django superusers) configure scorecards, ICPs, rules and see everything."""
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username
