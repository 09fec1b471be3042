"""Refusals of the Data Privacy Portal, each with a stable code and what to do about it."""

from __future__ import annotations

from linkplus.errors import Conflict, InvalidInput, NotFound


class DocumentNotFound(NotFound):
    code = "document_not_found"
    title = "No such legal document"

    def __init__(self, document: str) -> None:
        super().__init__(
            f"There is no document called '{document}'. The documents are 'terms_of_use' and "
            "'privacy_notice'."
        )


class DocumentVersionOutdated(Conflict):
    code = "document_version_outdated"
    title = "A newer version of the document applies"

    def __init__(self, document: str, version: str, current_version: str) -> None:
        super().__init__(
            f"Version {version} of the {document.replace('_', ' ')} is not the current one. "
            f"Read version {current_version} and accept that.",
            document=document,
            current_version=current_version,
        )


class InvalidChannel(InvalidInput):
    code = "invalid_channel"
    title = "Unknown channel"

    def __init__(self, channel: str) -> None:
        super().__init__(
            f"'{channel}' is not a channel; use 'app', 'portal' or 'head_unit'.", channel=channel
        )


class InvalidPrivacyModeSource(InvalidInput):
    code = "invalid_source"
    title = "Unknown source of a privacy mode change"

    def __init__(self, source: str) -> None:
        super().__init__(f"'{source}' is not a source; use 'app' or 'vehicle'.", source=source)
