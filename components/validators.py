"""The formats several places accept: an e-mail address Azure delivers alerts to, and an Entra object ID.

One definition each, used by the components (which refuse a bad value with ``ValueError``), by the stack
configuration's schema (``pattern``, read with JSON Schema's semantics by :mod:`components.schema_patterns`) and so by every alert,
budget and monitor that takes an address.
"""

from __future__ import annotations

from components.schema_patterns import matches

_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"

#: An address action groups, budgets and model monitors deliver to: dot-atom local part of at most 64 characters,
#: a domain of DNS labels, 254 characters in all (RFC 5321's limits).
EMAIL_PATTERN = rf"^(?=[^@]{{1,64}}@)(?=.{{3,254}}$){_LOCAL}@{_DOMAIN}$"
#: An Entra object ID (or any GUID) in its 8-4-4-4-12 hexadecimal form.
GUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

def is_email(value: object) -> bool:
    """Whether ``value`` is an address :data:`EMAIL_PATTERN` admits."""
    return isinstance(value, str) and matches(EMAIL_PATTERN, value)


def is_guid(value: object) -> bool:
    """Whether ``value`` is an object ID in :data:`GUID_PATTERN`'s form."""
    return isinstance(value, str) and matches(GUID_PATTERN, value)
