"""Server-rendered web app (owner pages and staff console)."""

from fastapi import FastAPI

from linkplus.runtime import Runtime


def mount_web(app: FastAPI, runtime: Runtime) -> None:
    """Placeholder: replaced by the web implementation."""
