"""`manage.py import_csv {accounts,contacts,interactions} FILE [--dry-run]`: all rows or none."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.services.imports import KINDS, csv_import


class Command(BaseCommand):
    help = "Import a CRM CSV export; any bad row means nothing is written (each is reported)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Validate and report only.")

    def handle(self, *args, kind, file, dry_run, **options):
        try:
            content = file.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file}: not UTF-8 text; export the CSV as UTF-8") from None
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from None
        report = csv_import(kind=kind, content=content, dry_run=dry_run, stream=self.stdout)
        for error in report.errors:
            problems = "; ".join(
                f"{column}: {' '.join(messages)}" for column, messages in error["errors"].items()
            )
            self.stderr.write(f"line {error['line']}: {problems}")
        if report.ignored_columns:
            self.stdout.write(f"ignored columns: {', '.join(report.ignored_columns)}")
        if report.errors:
            raise CommandError(f"{len(report.errors)} bad row(s) in {file}; nothing was imported.")
        verb = "would create" if dry_run else "created"
        self.stdout.write(
            f"{report.total} {kind} rows: {verb} {report.created}, "
            f"{'would update' if dry_run else 'updated'} {report.updated}"
            + (" (dry run, nothing written)" if dry_run else "")
        )
