"""Admins archive, restore and delete accounts and erase contacts in the browser; others can't."""

from accounts.models import Account, Contact
from core.models import AuditRecord
from tests import factories


def test_an_admin_archives_restores_and_deletes_an_account_from_the_pages(client, org):
    """GIVEN an admin on an account page WHEN they archive it THEN it is listed under Settings →
    Archived accounts and gone from its CSM's pages; restore brings it back; delete for good
    needs the name typed and then removes it. Every step is audited as a web request."""
    account = org.accounts["csm_a1"][0]
    client.force_login(org.admin)
    page = client.get(f"/accounts/{account.pk}/").content.decode()
    assert f"/accounts/{account.pk}/archive/" in page

    archived = client.post(f"/accounts/{account.pk}/archive/", follow=True)
    assert "archived: out of every book" in archived.content.decode()
    assert account.name in archived.content.decode()
    client.force_login(org.csm_a1)
    assert client.get(f"/accounts/{account.pk}/").status_code == 404

    client.force_login(org.admin)
    client.post(f"/accounts/settings/archived/{account.pk}/restore/")
    assert Account.objects.get(pk=account.pk).archived_at is None
    client.post(f"/accounts/{account.pk}/archive/")
    client.post(f"/accounts/settings/archived/{account.pk}/delete/", {"confirm": "wrong"})
    assert Account.objects.filter(pk=account.pk).exists()
    done = client.post(
        f"/accounts/settings/archived/{account.pk}/delete/", {"confirm": account.name}, follow=True
    )
    assert "deleted for good" in done.content.decode()
    assert not Account.objects.filter(pk=account.pk).exists()
    assert list(AuditRecord.objects.order_by("id").values_list("action", "channel")) == [
        ("account.archived", "web"),
        ("account.restored", "web"),
        ("account.archived", "web"),
        ("account.deleted", "web"),
    ]


def test_a_csm_or_manager_cannot_archive_or_erase(client, org):
    account = org.accounts["csm_a1"][0]
    contact = factories.ContactFactory(account=account)
    for user in (org.csm_a1, org.manager_a):
        client.force_login(user)
        assert (
            f"/accounts/{account.pk}/archive/"
            not in client.get(f"/accounts/{account.pk}/").content.decode()
        )
        assert client.post(f"/accounts/{account.pk}/archive/").status_code == 403
        erase = f"/accounts/{account.pk}/contacts/{contact.pk}/erase/"
        assert client.post(erase).status_code == 403
        assert client.get("/accounts/settings/archived/").status_code == 403
    assert Account.objects.get(pk=account.pk).archived_at is None
    assert Contact.objects.get(pk=contact.pk).erased_at is None


def test_an_admin_erases_a_contact_from_the_contact_page(client, org):
    account = org.accounts["csm_a1"][0]
    contact = factories.ContactFactory(account=account, name="Rae Okafor", email="rae@x.example")
    client.force_login(org.admin)
    form = client.get(f"/accounts/{account.pk}/contacts/{contact.pk}/").content.decode()
    erase = f"/accounts/{account.pk}/contacts/{contact.pk}/erase/"
    assert erase in form
    page = client.post(erase, follow=True).content.decode()
    assert "Personal data erased" in page and "Rae Okafor" not in page
    assert Contact.objects.get(pk=contact.pk).name == "Erased contact"
    # The erased contact cannot be filled in again from its form.
    again = client.post(
        f"/accounts/{account.pk}/contacts/{contact.pk}/", {"name": "Rae Okafor", "is_user": "on"}
    )
    assert "erased" in again.content.decode()
    assert Contact.objects.get(pk=contact.pk).name == "Erased contact"


def test_the_audit_trail_is_readable_in_the_django_admin_and_cannot_be_changed(client, org):
    account = org.accounts["csm_b1"][0]
    client.force_login(org.admin)
    client.post(f"/accounts/{account.pk}/archive/")
    record = AuditRecord.objects.get()
    org.admin.is_staff = org.admin.is_superuser = True
    org.admin.save()
    listing = client.get("/admin/core/auditrecord/")
    assert listing.status_code == 200 and "account.archived" in listing.content.decode()
    assert client.get("/admin/core/auditrecord/add/").status_code == 403
    client.post(f"/admin/core/auditrecord/{record.pk}/delete/", {"post": "yes"})
    assert AuditRecord.objects.filter(pk=record.pk).exists()
