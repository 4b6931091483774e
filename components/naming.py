"""Deterministic, collision-resistant resource names following the Cloud Adoption Framework (CAF).

Physical names are derived, never typed: ``<abbr>-<prefix>[-<qualifier>]-<env>-<region>-<hash>``. The hash suffix is
computed from the naming seed (project and stack) and every other input, so the same inputs always give the same name
(no replacement on the next ``pulumi up``) while two stacks or projects never fight over a globally unique name such
as a storage account. Names are checked against Azure's real naming rules before they leave this module, so an
invalid name fails at preview time instead of halfway through a deployment.

Sources (checked when this table was written; Azure adds rules over time, so re-check when adding a kind):

* Naming rules and restrictions for Azure resources:
  https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules
* CAF abbreviation recommendations for Azure resources:
  https://learn.microsoft.com/azure/cloud-adoption-framework/ready/azure-best-practices/resource-abbreviations
* Azure ML compute clusters (name rules of the studio form):
  https://learn.microsoft.com/azure/machine-learning/how-to-create-attach-compute-cluster
* Azure ML online and batch endpoints (3-32 characters, letter first, alphanumeric last, as the azure-ai-ml SDK checks):
  https://learn.microsoft.com/azure/machine-learning/how-to-deploy-online-endpoints
* Azure ML registries: https://learn.microsoft.com/azure/machine-learning/how-to-manage-registries
* Microsoft Graph group ``mailNickname`` characters:
  https://learn.microsoft.com/graph/api/directoryobject-validateproperties
* Blob container names: https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata
* Key Vault object (key) names: https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates

Standard library only and no Pulumi import: stack code, policies and tests import it cheaply.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypedDict

from components.regions import normalize_location, region_code

SUFFIX_LENGTH = 5
"""Length of the base36 hash suffix: 36**5 (about 60 million) values, ample to keep stacks apart."""

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_HASH_SCHEME = "v1"  # part of the hashed payload; bumping it renames everything, so never change it casually
_MIN_QUALIFIER = 2  # a qualifier cut shorter than this tells a reader nothing: drop it instead
_MIN_PREFIX = 2
_PREFIX_RE = re.compile(r"[a-z][a-z0-9]{1,11}")
_ENVIRONMENT_RE = re.compile(r"[a-z0-9]{2,8}")


class InvalidNameError(ValueError):
    """Raised for a name or naming input that breaks a naming rule."""


class ResourceKind(str, enum.Enum):
    """Kinds of resources (and Entra ID objects) this library names. Values are stable: they feed the hash."""

    RESOURCE_GROUP = "resource_group"
    STORAGE_ACCOUNT = "storage_account"
    KEY_VAULT = "key_vault"
    CONTAINER_REGISTRY = "container_registry"
    ML_WORKSPACE = "ml_workspace"
    ML_REGISTRY = "ml_registry"
    ML_COMPUTE_CLUSTER = "ml_compute_cluster"
    ML_ONLINE_ENDPOINT = "ml_online_endpoint"
    ML_BATCH_ENDPOINT = "ml_batch_endpoint"
    LOG_ANALYTICS = "log_analytics"
    APP_INSIGHTS = "app_insights"
    USER_ASSIGNED_IDENTITY = "user_assigned_identity"
    VIRTUAL_NETWORK = "virtual_network"
    SUBNET = "subnet"
    NETWORK_SECURITY_GROUP = "network_security_group"
    PRIVATE_ENDPOINT = "private_endpoint"
    PRIVATE_DNS_ZONE_LINK = "private_dns_zone_link"
    MANAGEMENT_LOCK = "management_lock"
    ACTION_GROUP = "action_group"
    METRIC_ALERT = "metric_alert"
    BUDGET = "budget"
    ENTRA_GROUP = "entra_group"
    CONDITIONAL_ACCESS_POLICY = "conditional_access_policy"
    APPLICATION = "application"
    BLOB_CONTAINER = "blob_container"
    KEY_VAULT_KEY = "key_vault_key"
    MONITOR_PRIVATE_LINK_SCOPE = "monitor_private_link_scope"


@dataclass(frozen=True)
class NamingRule:
    """Azure's naming rule for one kind, plus how this library builds names of that kind.

    ``pattern`` is the whole rule (length included) and is the source of truth; the character-class fields only
    exist so that :func:`validate_name` can say *what* is wrong instead of just "invalid".
    """

    abbreviation: str
    """CAF abbreviation where CAF defines one, otherwise a short local one (noted in :data:`RULES`)."""
    display_name: str
    min_length: int
    max_length: int
    pattern: re.Pattern[str]
    """Full-match regular expression of a valid name."""
    hyphens_allowed: bool
    """When false, generated names concatenate their parts with no separator."""
    lowercase_required: bool
    globally_unique: bool
    """Unique beyond the resource group (worldwide, per region DNS or per tenant): the hash suffix matters."""
    verbatim: bool
    """The caller's qualifier is the name, unchanged (it is referenced by hand elsewhere, e.g. in job YAML)."""
    description: str
    """Human-readable summary of the rule, quoted in error messages."""
    allowed_chars: str
    """Regex character class of the characters allowed anywhere."""
    start_chars: str
    start_text: str
    end_chars: str
    end_text: str
    forbidden: tuple[tuple[str, str], ...] = ()
    """Extra (regex searched in the name, problem when found) pairs, e.g. consecutive hyphens."""


def _rule(
    abbreviation: str,
    display_name: str,
    length: tuple[int, int],
    allowed: str,
    description: str,
    *,
    start: tuple[str, str] | None = None,
    end: tuple[str, str] | None = None,
    lowercase: bool = False,
    globally_unique: bool = False,
    verbatim: bool = False,
    forbidden: tuple[tuple[str, str], ...] = (),
) -> NamingRule:
    """Build a rule and its full-match pattern from its parts, so the two can never disagree."""
    low, high = length
    start_chars, start_text = start or (allowed, "an allowed character")
    end_chars, end_text = end or (allowed, "an allowed character")
    lookaheads = "".join(f"(?!.*(?:{regex}))" for regex, _ in forbidden)
    pattern = re.compile(
        rf"(?s)(?=.{{{low},{high}}}\Z)(?={start_chars})(?=.*{end_chars}\Z){lookaheads}{allowed}*\Z"
    )
    return NamingRule(
        abbreviation=abbreviation,
        display_name=display_name,
        min_length=low,
        max_length=high,
        pattern=pattern,
        hyphens_allowed=re.fullmatch(allowed, "-") is not None,
        lowercase_required=lowercase,
        globally_unique=globally_unique,
        verbatim=verbatim,
        description=description,
        allowed_chars=allowed,
        start_chars=start_chars,
        start_text=start_text,
        end_chars=end_chars,
        end_text=end_text,
        forbidden=forbidden,
    )


_ALNUM = "[a-zA-Z0-9]"
_LETTER = ("[a-zA-Z]", "a letter")
_ALNUM_EDGE = (_ALNUM, "a letter or digit")
_ALNUM_OR_UNDERSCORE_END = ("[a-zA-Z0-9_]", "a letter, digit or underscore")
_NETWORK_CHARS = r"[a-zA-Z0-9_.\-]"  # most Microsoft.Network child resources
_CONTROL = r"\x00-\x1f\x7f"
# Free-text ARM names: everything but the listed characters; '#' is excluded everywhere because it breaks ARM URLs.
_APPI_CHARS = rf"[^{_CONTROL}%&\\?/#]"
_ACTION_GROUP_CHARS = rf"[^{_CONTROL}:<>+/&%\\?|#]"
_METRIC_ALERT_CHARS = rf"[^{_CONTROL}*#&+:<>?@%{{}}\\/|]"
_NO_TRAILING_SPACE_OR_PERIOD = "a character other than a space or period"

RULES: Mapping[ResourceKind, NamingRule] = MappingProxyType(
    {
        ResourceKind.RESOURCE_GROUP: _rule(
            "rg",
            "resource group",
            (1, 90),
            r"[a-zA-Z0-9_.()\-]",
            "1-90 letters, digits, underscores, hyphens, periods and parentheses, not ending with a period "
            "(Azure also accepts non-ASCII letters; this library keeps to ASCII)",
            end=(r"[a-zA-Z0-9_()\-]", "a character other than a period"),
        ),
        ResourceKind.STORAGE_ACCOUNT: _rule(
            "st",
            "storage account",
            (3, 24),
            "[a-z0-9]",
            "3-24 lowercase letters and digits, globally unique",
            lowercase=True,
            globally_unique=True,
        ),
        ResourceKind.KEY_VAULT: _rule(
            "kv",
            "key vault",
            (3, 24),
            r"[a-zA-Z0-9\-]",
            "3-24 letters, digits and hyphens, starting with a letter, ending with a letter or digit, "
            "no consecutive hyphens, globally unique",
            start=_LETTER,
            end=_ALNUM_EDGE,
            globally_unique=True,
            forbidden=(("--", "contains consecutive hyphens"),),
        ),
        ResourceKind.CONTAINER_REGISTRY: _rule(
            "cr",
            "container registry",
            (5, 50),
            _ALNUM,
            "5-50 letters and digits, globally unique",
            globally_unique=True,
        ),
        ResourceKind.ML_WORKSPACE: _rule(
            "mlw",
            "machine learning workspace",
            (3, 33),
            r"[a-zA-Z0-9_\-]",
            "3-33 letters, digits, underscores and hyphens, starting with a letter or digit",
            start=_ALNUM_EDGE,
        ),
        # "mlr" is not a CAF abbreviation (CAF has none for ML registries). The docs give 2-32 characters while the
        # REST API pattern requires at least 3: 3-32 satisfies both. Unique within the Entra tenant.
        ResourceKind.ML_REGISTRY: _rule(
            "mlr",
            "machine learning registry",
            (3, 32),
            r"[a-zA-Z0-9_\-]",
            "3-32 letters, digits, underscores and hyphens, starting with a letter or digit, unique in the tenant",
            start=_ALNUM_EDGE,
            globally_unique=True,
        ),
        # Verbatim: cluster names are typed in job YAML. The docs disagree on the length (2-16 for "other compute
        # types", 3-24 in the studio form, 3-32 for AmlCompute in resource-name-rules): 3-16 satisfies all of them.
        # The studio form also requires a letter somewhere after every hyphen ("cpu-cluster-1" is rejected).
        ResourceKind.ML_COMPUTE_CLUSTER: _rule(
            "mlc",
            "machine learning compute cluster",
            (3, 16),
            r"[a-zA-Z0-9\-]",
            "3-16 letters, digits and hyphens, starting with a letter, ending with a letter or digit, "
            "with a letter somewhere after every hyphen (so 'gpu-a100' but not 'cpu-1')",
            start=_LETTER,
            end=_ALNUM_EDGE,
            verbatim=True,
            forbidden=(
                (r"-[0-9]*\Z", "has no letter after its last hyphen"),
            ),
        ),
        # Endpoint names become DNS labels (<name>.<region>.inference.ml.azure.com): unique per region.
        # "mloe"/"mlbe" are local abbreviations (CAF has none).
        ResourceKind.ML_ONLINE_ENDPOINT: _rule(
            "mloe",
            "machine learning online endpoint",
            (3, 32),
            r"[a-zA-Z0-9\-]",
            "3-32 letters, digits and hyphens, starting with a letter, ending with a letter or digit, "
            "unique in the region",
            start=_LETTER,
            end=_ALNUM_EDGE,
            globally_unique=True,
        ),
        ResourceKind.ML_BATCH_ENDPOINT: _rule(
            "mlbe",
            "machine learning batch endpoint",
            (3, 32),
            r"[a-zA-Z0-9\-]",
            "3-32 letters, digits and hyphens, starting with a letter, ending with a letter or digit, "
            "unique in the region",
            start=_LETTER,
            end=_ALNUM_EDGE,
            globally_unique=True,
        ),
        ResourceKind.LOG_ANALYTICS: _rule(
            "log",
            "Log Analytics workspace",
            (4, 63),
            r"[a-zA-Z0-9\-]",
            "4-63 letters, digits and hyphens, starting and ending with a letter or digit",
            start=_ALNUM_EDGE,
            end=_ALNUM_EDGE,
        ),
        ResourceKind.APP_INSIGHTS: _rule(
            "appi",
            "Application Insights component",
            (1, 260),
            _APPI_CHARS,
            "1-260 characters except control characters and % & \\ ? / #, not ending with a space or period",
            end=(rf"[^{_CONTROL}%&\\?/# .]", _NO_TRAILING_SPACE_OR_PERIOD),
        ),
        ResourceKind.USER_ASSIGNED_IDENTITY: _rule(
            "id",
            "user-assigned managed identity",
            (3, 128),
            r"[a-zA-Z0-9_\-]",
            "3-128 letters, digits, hyphens and underscores, starting with a letter or digit",
            start=_ALNUM_EDGE,
        ),
        ResourceKind.VIRTUAL_NETWORK: _rule(
            "vnet",
            "virtual network",
            (2, 64),
            _NETWORK_CHARS,
            "2-64 letters, digits, underscores, periods and hyphens, starting with a letter or digit, "
            "ending with a letter, digit or underscore",
            start=_ALNUM_EDGE,
            end=_ALNUM_OR_UNDERSCORE_END,
        ),
        ResourceKind.SUBNET: _rule(
            "snet",
            "subnet",
            (1, 80),
            _NETWORK_CHARS,
            "1-80 letters, digits, underscores, periods and hyphens, starting with a letter or digit, "
            "ending with a letter, digit or underscore",
            start=_ALNUM_EDGE,
            end=_ALNUM_OR_UNDERSCORE_END,
        ),
        ResourceKind.NETWORK_SECURITY_GROUP: _rule(
            "nsg",
            "network security group",
            (1, 80),
            _NETWORK_CHARS,
            "1-80 letters, digits, underscores, periods and hyphens, starting with a letter or digit, "
            "ending with a letter, digit or underscore",
            start=_ALNUM_EDGE,
            end=_ALNUM_OR_UNDERSCORE_END,
        ),
        ResourceKind.PRIVATE_ENDPOINT: _rule(
            "pep",
            "private endpoint",
            (2, 64),
            _NETWORK_CHARS,
            "2-64 letters, digits, underscores, periods and hyphens, starting with a letter or digit, "
            "ending with a letter, digit or underscore",
            start=_ALNUM_EDGE,
            end=_ALNUM_OR_UNDERSCORE_END,
        ),
        # "vnl" (virtual network link) is a local abbreviation: CAF has none for privateDnsZones/virtualNetworkLinks.
        ResourceKind.PRIVATE_DNS_ZONE_LINK: _rule(
            "vnl",
            "private DNS zone virtual network link",
            (1, 80),
            _NETWORK_CHARS,
            "1-80 letters, digits, underscores, periods and hyphens, starting with a letter or digit, "
            "ending with a letter, digit or underscore",
            start=_ALNUM_EDGE,
            end=_ALNUM_OR_UNDERSCORE_END,
        ),
        # "lock" is a local abbreviation: CAF has none for Microsoft.Authorization/locks.
        ResourceKind.MANAGEMENT_LOCK: _rule(
            "lock",
            "management lock",
            (1, 90),
            r"[a-zA-Z0-9_.()\-]",
            "1-90 letters, digits, periods, underscores, hyphens and parentheses, not ending with a period",
            end=(r"[a-zA-Z0-9_()\-]", "a character other than a period"),
        ),
        ResourceKind.ACTION_GROUP: _rule(
            "ag",
            "action group",
            (1, 260),
            _ACTION_GROUP_CHARS,
            "1-260 characters except control characters and : < > + / & % \\ ? | #, "
            "not ending with a space or period",
            end=(rf"[^{_CONTROL}:<>+/&%\\?|# .]", _NO_TRAILING_SPACE_OR_PERIOD),
        ),
        # "alert" is a local abbreviation: CAF has none for Microsoft.Insights/metricAlerts.
        ResourceKind.METRIC_ALERT: _rule(
            "alert",
            "metric alert",
            (1, 260),
            _METRIC_ALERT_CHARS,
            "1-260 characters except control characters and * # & + : < > ? @ % { } \\ / |, "
            "not ending with a space or period",
            end=(rf"[^{_CONTROL}*#&+:<>?@%{{}}\\/| .]", _NO_TRAILING_SPACE_OR_PERIOD),
        ),
        # "budget" is a local abbreviation: CAF has none for Microsoft.Consumption/budgets.
        ResourceKind.BUDGET: _rule(
            "budget",
            "budget",
            (1, 63),
            r"[a-zA-Z0-9_\-]",
            "1-63 letters, digits, hyphens and underscores",
        ),
        # Entra ID objects are named by display name. A group's name is also used as its mailNickname, which is the
        # stricter of the two: at most 64 printable ASCII characters without @ ( ) \ [ ] " ; : < > , or spaces.
        ResourceKind.ENTRA_GROUP: _rule(
            "grp",
            "Entra ID group",
            (1, 64),
            r"[!#-'*+\--9=?A-Z^-~]",
            "1-64 printable ASCII characters except spaces and @ ( ) \\ [ ] \" ; : < > , "
            "(usable as both display name and mail nickname)",
        ),
        ResourceKind.CONDITIONAL_ACCESS_POLICY: _rule(
            "cap",
            "conditional access policy",
            (1, 256),
            rf"[^{_CONTROL}]",
            "1-256 characters, no control characters",
        ),
        # "appreg" avoids CAF's "app", which means a Web App (Microsoft.Web/sites).
        ResourceKind.APPLICATION: _rule(
            "appreg",
            "Entra ID application registration",
            (1, 256),
            rf"[^{_CONTROL}]",
            "1-256 characters, no control characters",
        ),
        # Verbatim: the state container and the secrets-provider key are named in `pulumi login azblob://<container>`
        # and `--secrets-provider azurekeyvault://.../keys/<key>`, so the configured name is the name.
        # "stc" and "kvk" are local abbreviations (CAF has none for containers or vault keys).
        ResourceKind.BLOB_CONTAINER: _rule(
            "stc",
            "blob container",
            (3, 63),
            r"[a-z0-9\-]",
            "3-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit, "
            "no consecutive hyphens",
            start=("[a-z0-9]", "a lowercase letter or digit"),
            end=("[a-z0-9]", "a lowercase letter or digit"),
            lowercase=True,
            verbatim=True,
            forbidden=(("--", "contains consecutive hyphens"),),
        ),
        ResourceKind.KEY_VAULT_KEY: _rule(
            "kvk",
            "key vault key",
            (1, 127),
            r"[a-zA-Z0-9\-]",
            "1-127 letters, digits and hyphens",
            verbatim=True,
        ),
        # "ampls" is a local abbreviation (CAF has none). Azure publishes no naming rule for privateLinkScopes: this
        # is a conservative one, the characters and length every network resource name accepts.
        ResourceKind.MONITOR_PRIVATE_LINK_SCOPE: _rule(
            "ampls",
            "Azure Monitor private link scope",
            (1, 64),
            _NETWORK_CHARS,
            "1-64 letters, digits, underscores, periods and hyphens, starting with a letter or digit, "
            "ending with a letter, digit or underscore",
            start=_ALNUM_EDGE,
            end=_ALNUM_OR_UNDERSCORE_END,
        ),
    }
)


def validate_name(kind: ResourceKind, name: str) -> list[str]:
    """Return the problems of ``name`` as a name of ``kind`` (empty when valid), each readable on its own."""
    rule = RULES[ResourceKind(kind)]
    if not isinstance(name, str):
        return [f"is not a string ({type(name).__name__})"]
    if rule.pattern.fullmatch(name):
        return []
    label = f"{rule.display_name} names"
    problems: list[str] = []
    if not rule.min_length <= len(name) <= rule.max_length:
        problems.append(f"is {len(name)} characters; {label} allow {rule.min_length} to {rule.max_length}")

    def allowed(char: str) -> bool:
        return re.fullmatch(rule.allowed_chars, char) is not None

    uppercase = rule.lowercase_required and any(c.isupper() and allowed(c.lower()) for c in name)
    if uppercase:
        problems.append(f"contains uppercase letters; {label} must be lowercase")
    if "-" in name and not rule.hyphens_allowed:
        problems.append(f"contains hyphens, which {label} do not allow")
    bad = sorted(
        {c for c in name if not allowed(c) and c != "-" and not (uppercase and c.isupper() and allowed(c.lower()))}
    )
    if bad:
        problems.append(f"contains characters not allowed in {label}: {', '.join(repr(c) for c in bad)}")
    if name and allowed(name[0]) and re.fullmatch(rule.start_chars, name[0]) is None:
        problems.append(f"starts with {name[0]!r}; {label} must start with {rule.start_text}")
    if name and allowed(name[-1]) and re.fullmatch(rule.end_chars, name[-1]) is None:
        problems.append(f"ends with {name[-1]!r}; {label} must end with {rule.end_text}")
    for regex, problem in rule.forbidden:
        if re.search(regex, name, re.DOTALL):
            problems.append(f"{problem}, which {label} do not allow")
    if not problems:  # the pattern knows a constraint the checks above do not spell out
        problems.append(f"does not follow the {rule.display_name} rule: {rule.description}")
    return problems


def _plain(value: object) -> object:
    """Unwrap ``str`` enums (e.g. an ``Environment``), whose ``str()`` is the member name, not the value."""
    return value.value if isinstance(value, enum.Enum) else value


def _slug(text: str, separator: str) -> str:
    """Lowercase ``text`` and keep ASCII letters and digits, joining the runs with ``separator``."""
    return separator.join(re.findall("[a-z0-9]+", text.lower()))


def _base36(number: int, width: int) -> str:
    """Fixed-width lowercase base36: only [0-9a-z], valid at the end of every kind of name."""
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 36)
        digits.append(_BASE36[digit])
    return "".join(reversed(digits))


@dataclass(frozen=True)
class Namer:
    """Names every resource of one platform deployment (one project and stack).

    ``seed`` identifies the project and stack (e.g. ``"mlplatform/prod"``): it is hashed into every name, so two
    stacks with the same prefix, environment and region still get distinct globally unique names.
    """

    prefix: str
    environment: str
    location: str
    seed: str

    def __post_init__(self) -> None:
        for field_name in ("prefix", "environment", "location", "seed"):
            object.__setattr__(self, field_name, _plain(getattr(self, field_name)))
        if not isinstance(self.prefix, str) or _PREFIX_RE.fullmatch(self.prefix) is None:
            raise InvalidNameError(
                f"invalid naming prefix {self.prefix!r}: expected 2 to 12 lowercase letters or digits starting with "
                "a letter (it goes into every name, including storage accounts, which allow only a-z and 0-9)"
            )
        if not isinstance(self.environment, str) or _ENVIRONMENT_RE.fullmatch(self.environment) is None:
            raise InvalidNameError(
                f"invalid environment {self.environment!r}: expected 2 to 8 lowercase letters or digits, "
                "such as 'dev' or 'prod'"
            )
        if not isinstance(self.seed, str) or not self.seed.strip():
            raise InvalidNameError(
                f"invalid naming seed {self.seed!r}: expected a non-empty string identifying the project and stack, "
                "such as 'mlplatform/prod' (it keeps globally unique names apart across stacks)"
            )
        region_code(self.location)  # fail now on an unknown region rather than at the first name

    @property
    def region(self) -> str:
        """Short code of :attr:`location`, as used in names."""
        return region_code(self.location)

    def suffix(self, kind: ResourceKind, qualifier: str = "") -> str:
        """Hash suffix of the name of ``kind``/``qualifier``: base36 over every input, so any change changes it."""
        payload = json.dumps(
            [
                _HASH_SCHEME,
                self.seed,
                ResourceKind(kind).value,
                qualifier,
                self.prefix,
                self.environment,
                normalize_location(self.location),
            ],
            ensure_ascii=True,
            separators=(",", ":"),
        )
        digest = hashlib.sha256(payload.encode("ascii")).digest()
        return _base36(int.from_bytes(digest, "big") % 36**SUFFIX_LENGTH, SUFFIX_LENGTH)

    def name(self, kind: ResourceKind, qualifier: str = "") -> str:
        """Return the physical name of the ``kind`` resource distinguished by ``qualifier``.

        Verbatim kinds return ``qualifier`` itself once validated. Other kinds get the CAF name; when it is too
        long the qualifier is shortened (or dropped) first, then the prefix; the abbreviation and hash always stay,
        and kinds that allow hyphens fall back to the compact form as a last resort.
        """
        kind = ResourceKind(kind)
        rule = RULES[kind]
        value = _plain(qualifier)
        if not isinstance(value, str):
            raise InvalidNameError(f"qualifier for {kind.name} must be a string, not {type(value).__name__}")
        qualifier = value
        if rule.verbatim:
            problems = validate_name(kind, qualifier)
            if problems:
                raise InvalidNameError(
                    f"invalid {rule.display_name} name {qualifier!r} (ResourceKind.{kind.name}, used verbatim): "
                    f"{'; '.join(problems)}. Rule: {rule.description}"
                )
            return qualifier
        name = self._fit(rule, qualifier, self.suffix(kind, qualifier))
        problems = validate_name(kind, name)
        if problems:  # pragma: no cover - a bug in this module, not a caller error
            raise AssertionError(f"generated an invalid {rule.display_name} name {name!r}: {'; '.join(problems)}")
        return name

    def _join(self, rule: NamingRule, separator: str, prefix: str, qualifier: str, suffix: str) -> str:
        parts = (rule.abbreviation, prefix, qualifier, self.environment, self.region, suffix)
        return separator.join(part for part in parts if part)

    def _fit(self, rule: NamingRule, qualifier: str, suffix: str) -> str:
        """Assemble the name within ``rule.max_length``, trimming descriptive parts only."""
        for separator in ("-", "") if rule.hyphens_allowed else ("",):
            prefix, qual = self.prefix, _slug(qualifier, separator)
            if qual and len(self._join(rule, separator, prefix, qual, suffix)) > rule.max_length:
                room = rule.max_length - len(self._join(rule, separator, prefix, "", suffix)) - len(separator)
                qual = qual[: max(room, 0)].strip("-")
                if len(qual) < _MIN_QUALIFIER:
                    qual = ""
            if len(self._join(rule, separator, prefix, qual, suffix)) > rule.max_length:
                room = rule.max_length - len(self._join(rule, separator, "", "", suffix)) - len(separator)
                if room < _MIN_PREFIX:
                    continue
                prefix = prefix[:room]
            return self._join(rule, separator, prefix, qual, suffix)
        raise AssertionError(f"no {rule.display_name} name fits in {rule.max_length} characters")  # pragma: no cover


#: The naming rule that applies to each azure-native type token the platform creates with an explicit name, so
#: plans and policies can check every physical name against Azure's rules for its type.
KIND_OF_TYPE: Mapping[str, ResourceKind] = MappingProxyType(
    {
        "azure-native:resources:ResourceGroup": ResourceKind.RESOURCE_GROUP,
        "azure-native:storage:StorageAccount": ResourceKind.STORAGE_ACCOUNT,
        "azure-native:keyvault:Vault": ResourceKind.KEY_VAULT,
        "azure-native:containerregistry:Registry": ResourceKind.CONTAINER_REGISTRY,
        "azure-native:machinelearningservices:Workspace": ResourceKind.ML_WORKSPACE,
        "azure-native:machinelearningservices:Registry": ResourceKind.ML_REGISTRY,
        "azure-native:machinelearningservices:Compute": ResourceKind.ML_COMPUTE_CLUSTER,
        "azure-native:machinelearningservices:OnlineEndpoint": ResourceKind.ML_ONLINE_ENDPOINT,
        "azure-native:machinelearningservices:BatchEndpoint": ResourceKind.ML_BATCH_ENDPOINT,
        "azure-native:operationalinsights:Workspace": ResourceKind.LOG_ANALYTICS,
        "azure-native:applicationinsights:Component": ResourceKind.APP_INSIGHTS,
        "azure-native:managedidentity:UserAssignedIdentity": ResourceKind.USER_ASSIGNED_IDENTITY,
        "azure-native:network:VirtualNetwork": ResourceKind.VIRTUAL_NETWORK,
        "azure-native:network:Subnet": ResourceKind.SUBNET,
        "azure-native:network:NetworkSecurityGroup": ResourceKind.NETWORK_SECURITY_GROUP,
        "azure-native:network:PrivateEndpoint": ResourceKind.PRIVATE_ENDPOINT,
        "azure-native:privatedns:VirtualNetworkLink": ResourceKind.PRIVATE_DNS_ZONE_LINK,
        "azure-native:authorization:ManagementLockAtResourceGroupLevel": ResourceKind.MANAGEMENT_LOCK,
        "azure-native:monitor:ActionGroup": ResourceKind.ACTION_GROUP,
        "azure-native:monitor:MetricAlert": ResourceKind.METRIC_ALERT,
        "azure-native:consumption:Budget": ResourceKind.BUDGET,
        "azuread:index/group:Group": ResourceKind.ENTRA_GROUP,
        "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy": ResourceKind.CONDITIONAL_ACCESS_POLICY,
        "azuread:index/application:Application": ResourceKind.APPLICATION,
        "azure-native:storage:BlobContainer": ResourceKind.BLOB_CONTAINER,
        "azure-native:keyvault:Key": ResourceKind.KEY_VAULT_KEY,
        "azure-native:monitor:PrivateLinkScope": ResourceKind.MONITOR_PRIVATE_LINK_SCOPE,
    }
)


class NamingArgs(TypedDict):
    """Component argument carrying the naming inputs: physical names derive from these, deterministically."""

    prefix: str
    """Workload prefix, e.g. ``fraud``."""
    environment: str
    """Environment kind, e.g. ``prod``."""
    seed: str
    """Project and stack (``project/stack``): keeps names unique across stacks and projects."""


def namer_for(naming: NamingArgs, location: str) -> Namer:
    """The :class:`Namer` a component uses for ``naming`` in ``location``."""
    return Namer(prefix=naming["prefix"], environment=naming["environment"], location=location, seed=naming["seed"])
