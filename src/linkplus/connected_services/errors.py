"""Refusals of the Connected Services Centre, each with a stable code and what to do."""

from __future__ import annotations

from datetime import date

from linkplus.errors import Conflict


class TermsNotAccepted(Conflict):
    code = "terms_not_accepted"
    title = "Accept the current Terms of Use and Privacy Notice"

    def __init__(self, current_versions: dict[str, str]) -> None:
        listed = ", ".join(
            f"{k.replace('_', ' ')} {v}" for k, v in sorted(current_versions.items())
        )
        super().__init__(
            "Connected services need your acceptance of the current documents: "
            f"{listed}. Read them in the Data Privacy Portal and send "
            '"accept": {"terms_of_use": "<version>", "privacy_notice": "<version>"} with the '
            "activation.",
            current_versions=current_versions,
        )


class PackageNotActivatable(Conflict):
    code = "package_not_activatable"
    title = "This package is not switched on here"

    def __init__(self, package: str, why: str) -> None:
        super().__init__(why, package=package)


class PackageNotAvailable(Conflict):
    code = "package_not_available"
    title = "This package is not available for this car"

    def __init__(self, package: str, why: str, reason: str) -> None:
        super().__init__(why, package=package, reason=reason)


class ComplimentaryPeriodOver(Conflict):
    code = "complimentary_period_over"
    title = "The complimentary period is over"

    def __init__(self, package: str, ended_on: date) -> None:
        super().__init__(
            f"The complimentary period of this package ended on {ended_on.isoformat()}. "
            "Keeping it needs a paid subscription.",
            package=package,
            ended_on=ended_on.isoformat(),
        )


class UnknownService(LookupError):
    """A programming error: another domain asked about a service the catalogue does not have."""
