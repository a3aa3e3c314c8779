"""Erasing a contact's personal data on request, keeping the aggregate history.

The contact row stays (so interaction and survey counts, champion flags and links hold) with
its name replaced by "Erased contact" and its e-mail, phone and title cleared. Survey answers
they gave keep their score and lose their comment. Every interaction summary and survey
comment of the account that names them (full name, e-mail, phone, or a capitalised part of the
name of 3+ letters) has those mentions replaced by "[erased]"; so do the payloads other apps
logged (core.privacy erasers: outbox, idempotency replays, webhook deliveries). The goodwill
ledger is not touched: its reasons never copy free text written about a person (only staff's
own words on manual entries, which the count `ledger_mentions` reports). Scores, snapshots and
the ledger's points stay as they were.
"""

from django.db import transaction
from django.utils import timezone

from accounts.models import Contact, Interaction, SurveyResponse, TrustEntry
from core.models import AuditAction
from core.privacy import ErasureTerms, audit_record, personal_data_erase, rows_redact

ERASED_NAME = "Erased contact"


@transaction.atomic
def contact_erase(*, contact: Contact, actor, request=None) -> tuple[Contact, dict[str, int]]:
    """Erase the contact's personal data everywhere the app holds it; audited, idempotent:
    erasing an erased contact changes nothing and records nothing. Returns (contact, counts)."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.erased_at is not None:
        return contact, {}
    terms = ErasureTerms.for_person(name=contact.name, email=contact.email, phone=contact.phone)
    counts = {
        "survey_comments_cleared": SurveyResponse.objects.filter(contact=contact)
        .exclude(comment="")
        .update(comment=""),
        "survey_comments_redacted": rows_redact(
            SurveyResponse.objects.filter(account_id=contact.account_id), "comment", terms
        ),
        "interaction_summaries_redacted": rows_redact(
            Interaction.objects.filter(account_id=contact.account_id), "summary", terms
        ),
    }
    for name, changed in personal_data_erase(terms).items():
        counts[name.replace(" ", "_") + "_redacted"] = changed
    # Read, never edited (append-only): staff's manual reasons that name the person.
    counts["ledger_mentions"] = sum(
        1
        for reason in TrustEntry.objects.filter(
            terms.candidates("reason"), account_id=contact.account_id
        ).values_list("reason", flat=True)
        if terms.redact(reason)[1]
    )
    contact.name, contact.email, contact.phone, contact.title = ERASED_NAME, "", "", ""
    contact.erased_at = timezone.now()
    contact.save(update_fields=["name", "email", "phone", "title", "erased_at"])
    audit_record(
        action=AuditAction.CONTACT_ERASED,
        target_type="contact",
        target_id=contact.pk,
        account_id=contact.account_id,
        actor=actor,
        request=request,
        counts=counts,
    )
    return contact, counts
