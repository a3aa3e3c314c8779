"""Which of an account's fields people write: one list for the account form, the API serializer
and the CSV import (`accounts/forms.py`, `accounts/api/serializers.py`,
`accounts/services/imports.py`).

The rules for each value (ranges, lengths, choices, blank or not) are the model fields' own
(`accounts/models/account.py`): the form and the serializer are built from them, and the import
parses each cell by its model field's type and then runs the model's validation. Adding a field
here makes it editable on the page, writable through the API and importable from a CSV file.
"""

# The CRM's key for the account. The API and the CSV import set it (a re-import updates the
# account with the same key instead of duplicating it); the account page does not edit it.
ACCOUNT_KEY = "external_id"

# What people write on an account, in the order the form shows it. Who may become the `owner`
# is one rule for all three, `accounts.selectors.account_owner_choices` (a CSM only themselves,
# so the form leaves the field out for them).
ACCOUNT_WRITABLE = (
    "name",
    "domain",
    "industry",
    "employee_count",
    "region",
    "segment",
    "stage",
    "owner",
    "arr",
    "mrr",
    "currency",
    "seats",
    "contract_start",
    "renewal_date",
    "churned_on",
    "relationship_word",
    "strategy_3m",
    "strategy_6m",
    "strategy_12m",
    "strategy_18m",
    "hourly_cost",
    "monthly_support_cost",
    "discount_pct",
)

# Column headers CRMs export for these fields, as the import normalises them (lower case,
# spaces and dashes as underscores).
ACCOUNT_CSV_ALIASES = {
    "id": "external_id",
    "account_id": "external_id",
    "account_external_id": "external_id",
    "account_name": "name",
    "company": "name",
    "website": "domain",
    "employees": "employee_count",
    "number_of_employees": "employee_count",
    "csm": "owner",
    "account_owner": "owner",
    "owner_email": "owner",
    "lifecycle_stage": "stage",
    "renewal": "renewal_date",
}
