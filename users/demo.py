"""Demo teams and people. Everyone's password is DEMO_PASSWORD."""

from users.models import Role, Team, User

DEMO_PASSWORD = "demo-pass-2026"

# (username, first, last, role, team)
DEMO_PEOPLE = [
    ("admin", "Ada", "Admin", Role.ADMIN, None),
    ("maria", "Maria", "Lopez", Role.MANAGER, None),
    ("omar", "Omar", "Haddad", Role.MANAGER, None),
    ("alice", "Alice", "Meyer", Role.CSM, "Enterprise"),
    ("ben", "Ben", "Okafor", Role.CSM, "Enterprise"),
    ("chloe", "Chloe", "Dubois", Role.CSM, "Mid-Market"),
    ("dev", "Dev", "Patel", Role.CSM, "Mid-Market"),
    ("emma", "Emma", "Larsen", Role.CSM, "Scale"),
    ("farid", "Farid", "Nasser", Role.CSM, "Scale"),
]
DEMO_TEAMS = {"Enterprise": "maria", "Mid-Market": "maria", "Scale": "omar"}


def seed(*, rng, today, stdout, **_) -> None:
    users = {}
    for username, first, last, role, _team in DEMO_PEOPLE:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@demo.csplatform.local",
                "role": role,
                "is_staff": role == Role.ADMIN,
                "is_superuser": role == Role.ADMIN,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        users[username] = user
    for team_name, manager in DEMO_TEAMS.items():
        team, _ = Team.objects.get_or_create(name=team_name, defaults={"manager": users[manager]})
        for username, *_rest, member_team in DEMO_PEOPLE:
            if member_team == team_name and users[username].team_id != team.pk:
                users[username].team = team
                users[username].save(update_fields=["team"])
    stdout.write(f"users: {len(users)} people in {len(DEMO_TEAMS)} teams")


def print_logins(stdout) -> None:
    stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
    for username, first, last, role, team in DEMO_PEOPLE:
        where = f", team {team}" if team else ""
        stdout.write(f"  {username:<8} {first} {last} — {role.label}{where}")
